"""A small kubelet for the embedded API server: pods become local processes (spec apiserver.md).

For every pod the kubelet runs the first container's `command` + `args` as a subprocess with the
container's `env` on top of this process's environment (the image is ignored, so is everything else in
the pod spec but `restartPolicy`). The pod moves Pending -> Running -> Succeeded/Failed with container
statuses and exit codes, as a kubelet reports them. `pods/log` serves what the process wrote (stdout and
stderr merged, as kube does) and `pods/attach` serves the WebSocket channel protocol (`channel.py`) when
the container has `stdin: true`. Deleting the pod kills the process group.

Like a real container, output written before anyone attaches reaches only the log, and `stdinOnce` gives
stdin to the first attach only: the embedded kubelet must not be kinder than a real one, or synthesis
designs that only work here would pass their tests.

It is a component of the server, not part of its core: `Kubelet(server)` registers the two subresources
with `server.add_subresource`, and `start()`/`stop()` (or `async with`) run the pod watch.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

import structlog
from aiohttp import WSMsgType, web

from eno.apiserver import channel, errors
from eno.apiserver.store import ADDED, DELETED, Event, Key
from eno.apiserver.strategy import rfc3339, utcnow

if TYPE_CHECKING:
    from eno.apiserver.context import ApiContext
    from eno.apiserver.negotiation import Output
    from eno.apiserver.registry import ResourceInfo
    from eno.apiserver.requestinfo import RequestInfo
    from eno.apiserver.server import ApiServer

log = structlog.get_logger("eno.apiserver.kubelet")

Obj = dict[str, Any]

# Kept per container, oldest dropped first: a synthesizer may print its whole output to the log too.
LOG_LIMIT_BYTES: Final = 16 * 1024 * 1024
_RESTART_BACKOFF_MAX: Final = 10.0
_READ_CHUNK: Final = 64 * 1024


def _truthy(value: str | None) -> bool:
    return value is not None and value.lower() in ("1", "true", "t", "yes")


class ContainerRun:
    """One run of a container's process: its output (for the log and attached clients) and its end."""

    def __init__(self, process: asyncio.subprocess.Process, started_at: str, stdin_once: bool) -> None:
        self.process = process
        self.started_at = started_at
        self.stdin_once = stdin_once
        self.stdin_taken = False  # stdinOnce: the first attach with stdin got it
        self.log: deque[bytes] = deque()
        self.log_bytes = 0
        self.subscribers: set[asyncio.Queue[tuple[int, bytes] | None]] = set()
        self.done = asyncio.Event()  # process exited and its output is drained
        self.exit_code: int | None = None

    def emit(self, stream: int, data: bytes) -> None:
        self.log.append(data)
        self.log_bytes += len(data)
        while self.log_bytes > LOG_LIMIT_BYTES and len(self.log) > 1:
            self.log_bytes -= len(self.log.popleft())
        for queue in list(self.subscribers):
            queue.put_nowait((stream, data))

    def subscribe(self) -> asyncio.Queue[tuple[int, bytes] | None]:
        queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        if self.done.is_set():
            queue.put_nowait(None)
        else:
            self.subscribers.add(queue)
        return queue

    def finish(self, exit_code: int) -> None:
        self.exit_code = exit_code
        self.done.set()
        for queue in list(self.subscribers):
            queue.put_nowait(None)
        self.subscribers.clear()

    def close_stdin(self) -> None:
        stdin = self.process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()


class PodRunner:
    """Runs one pod (by uid) until it is terminal or deleted."""

    def __init__(self, kubelet: Kubelet, pod: Obj) -> None:
        self.kubelet = kubelet
        meta = pod["metadata"]
        self.key = Key("", "pods", meta.get("namespace", ""), meta["name"])
        self.uid: str = meta.get("uid", "")
        self.pod = pod
        self.run: ContainerRun | None = None
        self.task: asyncio.Task[None] | None = None
        self.log = log.bind(pod=f"{self.key.namespace}/{self.key.name}")

    @property
    def container(self) -> Obj:
        containers = self.pod.get("spec", {}).get("containers") or [{}]
        first: Obj = containers[0]
        return first

    def start(self) -> None:
        self.task = asyncio.create_task(self._main(), name=f"kubelet-{self.key.name}")

    async def stop(self) -> None:
        self.kill()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        run = self.run
        if run is not None:
            run.close_stdin()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(run.process.wait(), 5)
            if not run.done.is_set():
                # The cancelled _run_once never reached finish(): end attach sessions and log follows
                # now, with the exit code of a killed process.
                run.finish(128 + signal.SIGKILL)

    def kill(self) -> None:
        run = self.run
        if run is not None and run.process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(run.process.pid, signal.SIGKILL)

    async def _main(self) -> None:
        policy = self.pod.get("spec", {}).get("restartPolicy") or "Always"
        restarts = 0
        await self._write_status(lambda st: _pending(st, self.container))
        while True:
            code, reason, message = await self._run_once(restarts)
            restart = policy == "Always" or (policy == "OnFailure" and code != 0)
            phase = None if restart else ("Succeeded" if code == 0 else "Failed")
            ended = functools.partial(
                _terminated,
                container=self.container,
                run=self.run,
                code=code,
                reason=reason,
                message=message,
                restarts=restarts,
                phase=phase,
            )
            await self._write_status(ended)
            if not restart:
                return
            # A real kubelet backs off between restarts (CrashLoopBackOff); a short, capped delay here.
            await asyncio.sleep(min(_RESTART_BACKOFF_MAX, 0.1 * 2**restarts))
            restarts += 1

    async def _run_once(self, restarts: int) -> tuple[int, str, str]:
        """Start the process, report Running, wait for it; (exit code, reason, message)."""
        container = self.container
        argv = [str(a) for a in (container.get("command") or [])] + [
            str(a) for a in (container.get("args") or [])
        ]
        env = dict(os.environ)
        for var in container.get("env") or ():
            if isinstance(var, dict) and isinstance(var.get("name"), str):
                env[var["name"]] = str(var.get("value") or "")
        stdin = bool(container.get("stdin"))
        try:
            if not argv:
                raise FileNotFoundError("no command: the embedded kubelet has no image entrypoint to run")
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                cwd=container.get("workingDir") or None,
                start_new_session=True,  # its own process group: deleting the pod kills its children too
            )
        except OSError as err:
            self.log.info("container_start_failed", error=str(err))
            return 128, "StartError", f"failed to start container process {argv[:1]}: {err}"
        run = ContainerRun(process, rfc3339(utcnow()), bool(container.get("stdinOnce")))
        self.run = run
        await self._write_status(lambda st: _running(st, container, run, restarts))
        assert process.stdout is not None and process.stderr is not None
        await asyncio.gather(
            _pump(process.stdout, channel.STDOUT, run), _pump(process.stderr, channel.STDERR, run)
        )
        code = await process.wait()
        run.close_stdin()  # a process that never read its stdin leaves the pipe open
        if code < 0:  # killed by a signal: report as a shell does (128 + signal), as kube does
            code = 128 - code
        run.finish(code)
        reason = "Completed" if code == 0 else "Error"
        return code, reason, ""

    async def _write_status(self, change: Callable[[Obj], Obj]) -> None:
        uid = self.uid

        def mutate(current: Obj | None) -> Obj | None:
            if current is None or current.get("metadata", {}).get("uid") != uid:
                return current  # gone, or another pod by that name: leave it
            current["status"] = change(dict(current.get("status") or {}))
            self.pod = current
            return current

        await self.kubelet.server.context.write(self.key, mutate)


async def _pump(stream: asyncio.StreamReader, number: int, run: ContainerRun) -> None:
    while True:
        data = await stream.read(_READ_CHUNK)
        if not data:
            return
        run.emit(number, data)


def _condition(kind: str, status: bool, now: str) -> Obj:
    return {
        "type": kind,
        "status": "True" if status else "False",
        "lastProbeTime": None,
        "lastTransitionTime": now,
    }


def _pending(status: Obj, container: Obj) -> Obj:
    now = rfc3339(utcnow())
    status.update(
        phase="Pending",
        conditions=[_condition("PodScheduled", True, now)],
        hostIP="127.0.0.1",
        podIP="127.0.0.1",
        startTime=now,
    )
    return status


def _container_status(container: Obj, state: Obj, restarts: int, ready: bool, last: Obj | None) -> Obj:
    out: Obj = {
        "name": container.get("name", ""),
        "image": container.get("image", ""),
        "imageID": "",
        "containerID": "",
        "ready": ready,
        "started": ready,
        "restartCount": restarts,
        "state": state,
        "lastState": last or {},
    }
    return out


def _running(status: Obj, container: Obj, run: ContainerRun, restarts: int) -> Obj:
    now = rfc3339(utcnow())
    last = (status.get("containerStatuses") or [{}])[0].get("state") if restarts else None
    status.update(
        phase="Running",
        conditions=[
            _condition("PodScheduled", True, now),
            _condition("Initialized", True, now),
            _condition("ContainersReady", True, now),
            _condition("Ready", True, now),
        ],
        containerStatuses=[
            _container_status(
                container,
                {"running": {"startedAt": run.started_at}},
                restarts,
                True,
                last if last and "terminated" in last else None,
            )
        ],
    )
    status["containerStatuses"][0]["containerID"] = f"eno://{run.process.pid}"
    return status


def _terminated(
    status: Obj,
    *,
    container: Obj,
    run: ContainerRun | None,
    code: int,
    reason: str,
    message: str,
    restarts: int,
    phase: str | None,
) -> Obj:
    now = rfc3339(utcnow())
    terminated: Obj = {
        "exitCode": code,
        "reason": reason,
        "startedAt": run.started_at if run is not None else now,
        "finishedAt": now,
        "containerID": f"eno://{run.process.pid}" if run is not None else "",
    }
    if message:
        terminated["message"] = message
    state: Obj = {"terminated": terminated}
    if phase is None:  # about to restart: kube shows waiting with the last termination
        state = {"waiting": {"reason": "CrashLoopBackOff"}}
    cs = _container_status(container, state, restarts, False, {"terminated": terminated})
    cs["containerID"] = terminated["containerID"]
    cs["started"] = False
    if phase is not None:
        cs["lastState"] = {}
        status["phase"] = phase
    status["containerStatuses"] = [cs]
    status["conditions"] = [
        _condition("PodScheduled", True, now),
        _condition("Initialized", True, now),
        _condition("ContainersReady", False, now),
        _condition("Ready", False, now),
    ]
    return status


class Kubelet:
    """Runs the server's pods as local processes and serves their `log` and `attach` subresources."""

    def __init__(self, server: ApiServer) -> None:
        self.server = server
        self.runners: dict[str, PodRunner] = {}
        self._task: asyncio.Task[None] | None = None
        self._sessions: set[asyncio.Task[Any]] = set()
        # Served through the server's own dispatch: the request log and the fault injector see these
        # requests like any other.
        server.add_subresource("", "pods", "log", self.serve)
        server.add_subresource("", "pods", "attach", self.serve)

    async def __aenter__(self) -> Kubelet:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        store = self.server.store
        watcher, _ = store.subscribe("", "pods", None, since=None)
        for pod in store.list("", "pods"):
            self._admit(pod)

        async def watch() -> None:
            try:
                while True:
                    event = await watcher.queue.get()
                    if event is None:
                        return
                    self._handle(event)
            finally:
                watcher.close()

        self._task = asyncio.create_task(watch(), name="kubelet-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        runners = list(self.runners.values())
        self.runners.clear()
        await asyncio.gather(*(r.stop() for r in runners))

    def runner_for(self, namespace: str, name: str) -> PodRunner | None:
        pod = self.server.store.get(Key("", "pods", namespace, name))
        if pod is None:
            return None
        return self.runners.get(pod.get("metadata", {}).get("uid", ""))

    def _handle(self, event: Event) -> None:
        uid = event.object.get("metadata", {}).get("uid", "")
        if event.type == DELETED or event.object.get("metadata", {}).get("deletionTimestamp"):
            runner = self.runners.pop(uid, None)
            if runner is not None:
                runner.kill()
                task = asyncio.create_task(runner.stop())
                self._sessions.add(task)
                task.add_done_callback(self._sessions.discard)
            return
        if event.type == ADDED:
            self._admit(event.object)

    def _admit(self, pod: Obj) -> None:
        meta = pod.get("metadata", {})
        uid = meta.get("uid", "")
        if uid in self.runners or meta.get("deletionTimestamp"):
            return
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return
        runner = PodRunner(self, pod)
        self.runners[uid] = runner
        runner.start()

    # -- HTTP: pods/log and pods/attach ----------------------------------------------------------------

    async def serve(
        self, ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
    ) -> web.StreamResponse:
        """pods/log and pods/attach, as the server's subresource handlers."""
        namespace, name, sub = ri.namespace, ri.name, ri.subresource
        pod = self.server.store.get(Key("", "pods", namespace, name))
        if pod is None:
            raise errors.not_found("", "pods", name)
        container = self._container(pod, request.query.get("container"))
        runner = self.runners.get(pod.get("metadata", {}).get("uid", ""))
        if sub == "log":
            if request.method not in ("GET", "HEAD"):
                raise errors.method_not_allowed("", "pods/log", request.method)
            return await self._log(request, pod, container, runner)
        return await self._attach(request, pod, container, runner)

    @staticmethod
    def _container(pod: Obj, wanted: str | None) -> Obj:
        containers = pod.get("spec", {}).get("containers") or []
        name = pod["metadata"]["name"]
        if not wanted:
            if len(containers) != 1:
                names = " ".join(str(c.get("name")) for c in containers)
                raise errors.bad_request(
                    f"a container name must be specified for pod {name}, choose one of: [{names}]"
                )
            first: Obj = containers[0]
            return first
        for index, container in enumerate(containers):
            if container.get("name") == wanted:
                if index != 0:
                    raise errors.bad_request(
                        f"container {wanted} is not valid for pod {name}: the embedded kubelet runs only "
                        "the first container"
                    )
                found: Obj = container
                return found
        raise errors.bad_request(f"container {wanted} is not valid for pod {name}")

    async def _log(
        self, request: web.Request, pod: Obj, container: Obj, runner: PodRunner | None
    ) -> web.StreamResponse:
        run = runner.run if runner is not None else None
        if run is None:
            raise errors.bad_request(
                f'container "{container.get("name")}" in pod "{pod["metadata"]["name"]}" is waiting to '
                "start: ContainerCreating"
            )
        follow = _truthy(request.query.get("follow"))
        # Subscribe before copying the log: nothing written in between is lost or doubled.
        queue = run.subscribe() if follow else None
        text = b"".join(run.log)
        tail = request.query.get("tailLines")
        if tail is not None and tail.isdigit():
            lines = text.splitlines(keepends=True)
            text = b"".join(lines[-int(tail) :]) if int(tail) else b""
        limit = request.query.get("limitBytes")
        remaining = int(limit) if limit is not None and limit.isdigit() else None
        if remaining is not None:
            text = text[:remaining]
            remaining -= len(text)
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        await response.write(text)
        while queue is not None and (remaining is None or remaining > 0):
            item = await queue.get()
            if item is None:
                break
            data = item[1] if remaining is None else item[1][:remaining]
            if remaining is not None:
                remaining -= len(data)
            await response.write(data)
        if queue is not None:
            run.subscribers.discard(queue)
        await response.write_eof()
        return response

    async def _attach(
        self, request: web.Request, pod: Obj, container: Obj, runner: PodRunner | None
    ) -> web.StreamResponse:
        name = pod["metadata"]["name"]
        phase = (pod.get("status") or {}).get("phase", "")
        if phase in ("Succeeded", "Failed"):
            raise errors.bad_request(
                f"cannot attach to a container in a completed pod; current phase is {phase}"
            )
        run = runner.run if runner is not None else None
        if run is None or run.done.is_set():
            raise errors.bad_request(
                f'container "{container.get("name")}" in pod "{name}" is waiting to start: ContainerCreating'
            )
        want_stdin = _truthy(request.query.get("stdin"))
        if want_stdin and not container.get("stdin"):
            raise errors.bad_request(
                f'container "{container.get("name")}" in pod "{name}" was not started with stdin: true'
            )
        ws = web.WebSocketResponse(protocols=channel.PROTOCOLS, max_msg_size=0)
        if not ws.can_prepare(request).ok:
            raise errors.bad_request("Upgrade request required")
        await ws.prepare(request)
        protocol = ws.ws_protocol or ""
        if protocol not in channel.PROTOCOLS:
            await ws.close(message=b"unsupported channel protocol")
            return ws
        gets_stdin = want_stdin and not (run.stdin_once and run.stdin_taken)
        if gets_stdin:
            run.stdin_taken = True
        outputs = {
            s
            for s, q in ((channel.STDOUT, "stdout"), (channel.STDERR, "stderr"))
            if _truthy(request.query.get(q))
        }
        queue = run.subscribe()
        reader = asyncio.create_task(self._read_stdin(ws, protocol, run, gets_stdin))
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                stream, data = item
                if stream in outputs:
                    await ws.send_bytes(channel.encode(stream, data))
            # An attach ends with Success when the process ends; its exit code is in the pod status.
            await ws.send_bytes(channel.encode_status(channel.success_status()))
        except (ConnectionResetError, RuntimeError):
            pass  # the client went away
        finally:
            run.subscribers.discard(queue)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            await ws.close()
        return ws

    @staticmethod
    async def _read_stdin(ws: web.WebSocketResponse, protocol: str, run: ContainerRun, stdin: bool) -> None:
        stdin_stream = run.process.stdin if stdin else None
        try:
            async for message in ws:
                if message.type != WSMsgType.BINARY:
                    continue
                try:
                    decoded = channel.decode(message.data, protocol)
                except channel.ProtocolError as err:
                    log.info("attach_protocol_error", error=str(err))
                    return
                if decoded is None or stdin_stream is None:
                    continue
                if isinstance(decoded, channel.Close):
                    if decoded.channel == channel.STDIN:
                        run.close_stdin()
                        stdin_stream = None
                    continue
                if decoded.channel == channel.STDIN and not stdin_stream.is_closing():
                    stdin_stream.write(decoded.payload)
                    with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                        await stdin_stream.drain()
        finally:
            # stdinOnce: stdin closes when the client that held it disconnects.
            if stdin_stream is not None and run.stdin_once:
                run.close_stdin()
