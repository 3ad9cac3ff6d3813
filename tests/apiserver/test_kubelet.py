"""The embedded kubelet: pods as local processes, pod status, `log`, and `attach` over v4/v5 channels."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import pytest

from eno.apiserver import channel
from eno.apiserver.kubelet import Kubelet
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.synthesis import attach
from tests.eventually import eventually

POD = attach.POD
T = TypeVar("T")


async def until(check: Callable[[], Awaitable[T]], timeout: float = 10.0, message: str = "condition") -> T:
    result: T = await eventually(check, timeout=timeout, message=message)
    return result


PY = sys.executable


@pytest.fixture
async def server() -> AsyncIterator[ApiServer]:
    srv = ApiServer(bookmark_interval=0.2)
    kubelet = Kubelet(srv)
    async with srv, kubelet:
        srv.kubelet = kubelet  # type: ignore[attr-defined]
        yield srv


@pytest.fixture
async def client(server: ApiServer) -> AsyncIterator[Client]:
    async with await Client.from_url(server.url, qps=0) as c:
        yield c


def pod(
    name: str, code: str, *, stdin: bool = False, restart: str = "Never", env: Any = None
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "main", "image": "ignored:latest", "command": [PY, "-c", code]}
    if stdin:
        container.update(stdin=True, stdinOnce=True)
    if env:
        container["env"] = env
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"restartPolicy": restart, "containers": [container]},
    }


async def phase(client: Client, name: str) -> str:
    obj = await client.get(POD, name, "default")
    return str(obj.get("status", {}).get("phase", ""))


async def wait_phase(client: Client, name: str, *phases: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        obj = await client.get(POD, name, "default")
        return obj if obj.get("status", {}).get("phase") in phases else None

    result = await until(check, timeout=10, message=f"pod {name} in {phases}")
    assert result is not None
    return result


async def pod_log(server: ApiServer, name: str, query: str = "") -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server.url}/api/v1/namespaces/default/pods/{name}/log{query}") as r:
            return r.status, await r.text()


@pytest.mark.parametrize(
    ("code", "want_phase", "want_exit", "want_reason"),
    [
        ("print('hello')", "Succeeded", 0, "Completed"),
        ("import sys; print('bad'); sys.exit(3)", "Failed", 3, "Error"),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "Failed", 137, "Error"),
    ],
    ids=["exit-0", "exit-3", "killed-by-signal"],
)
async def test_pod_runs_to_completion_with_exit_code(
    client: Client, code: str, want_phase: str, want_exit: int, want_reason: str
) -> None:
    await client.create(pod("p", code))
    obj = await wait_phase(client, "p", "Succeeded", "Failed")
    assert obj["status"]["phase"] == want_phase
    terminated = obj["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == want_exit
    assert terminated["reason"] == want_reason
    assert attach.terminated_state(obj, "main") == terminated


async def test_pod_goes_through_pending_and_running(server: ApiServer, client: Client) -> None:
    await client.create(pod("p", "print('x')"))
    await wait_phase(client, "p", "Succeeded")
    history = server.store.history(server_key("p"))
    phases = [h.object.get("status", {}).get("phase") for h in history]
    assert phases[-3:] == ["Pending", "Running", "Succeeded"]


def server_key(name: str) -> Any:
    from eno.apiserver.store import Key

    return Key("", "pods", "default", name)


async def test_env_and_missing_command(client: Client) -> None:
    await client.create(
        pod("env", "import os; print(os.environ['GREETING'])", env=[{"name": "GREETING", "value": "hi"}])
    )
    await client.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "nocmd", "namespace": "default"},
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "main", "image": "x", "command": ["/definitely/not/here"]}],
            },
        }
    )
    await wait_phase(client, "env", "Succeeded")
    failed = await wait_phase(client, "nocmd", "Failed")
    terminated = failed["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (128, "StartError")


async def test_log_has_stdout_and_stderr(server: ApiServer, client: Client) -> None:
    code = "import sys; print('out', flush=True); print('err', file=sys.stderr, flush=True)"
    await client.create(pod("p", code))
    await wait_phase(client, "p", "Succeeded")
    status, text = await pod_log(server, "p")
    assert status == 200
    assert sorted(text.split()) == ["err", "out"]
    status, text = await pod_log(server, "p", "?container=nope")
    assert status == 400


async def test_log_follow_streams_until_exit(server: ApiServer, client: Client) -> None:
    code = "import sys; print('first', flush=True); sys.stdin.read(); print('last')"
    await client.create(pod("p", code, stdin=True))

    async def has_first() -> bool:
        # The whole line: the newline may reach the pipe in a write of its own.
        return "first\n" in (await pod_log(server, "p"))[1]

    await until(has_first)
    url = f"{server.url}/api/v1/namespaces/default/pods/p/log?follow=true"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        # The stream is open once its first bytes arrive; only then end the process, so the follow is
        # established whatever the machine's load.
        text = ""
        while "first\n" not in text:
            text += (await asyncio.wait_for(response.content.readany(), 10)).decode()
        result = await attach.exchange(client, "default", "p", "main", b"", max_stdout=1024)
        assert result.stdout == b"last\n"
        text += (await asyncio.wait_for(response.content.read(), 10)).decode()
    assert text == "first\nlast\n"


async def test_attach_v5_sends_stdin_then_eof(client: Client) -> None:
    code = (
        "import sys; data = sys.stdin.read(); sys.stderr.write('E' * 10); "
        "sys.stdout.write(data.upper()); sys.exit(4)"
    )
    await client.create(pod("p", code, stdin=True))
    await wait_phase(client, "p", "Running")
    result = await attach.exchange(client, "default", "p", "main", b"hello " * 100_000, max_stdout=10**7)
    assert result.stdout == b"HELLO " * 100_000
    assert result.stderr_tail == b"E" * 10
    assert result.status is not None and channel.status_exit_code(result.status) == 0  # attach: Success
    state = await attach.wait_terminated(client, "default", "p", "main", timeout=10)
    assert state["exitCode"] == 4


async def test_attach_output_limit(client: Client) -> None:
    await client.create(pod("p", "import sys; sys.stdin.read(); print('x' * 5000)", stdin=True))
    await wait_phase(client, "p", "Running")
    with pytest.raises(attach.OutputTooLarge):
        await attach.exchange(client, "default", "p", "main", b"", max_stdout=1000)


async def test_output_before_attach_reaches_only_the_log(server: ApiServer, client: Client) -> None:
    """As on a real node: attach sees output from the moment it attaches (why the synthesis uses a shim)."""
    code = "import sys; print('early', flush=True); data = sys.stdin.read(); print('late:' + data)"
    await client.create(pod("p", code, stdin=True))

    async def printed() -> bool:
        status, text = await pod_log(server, "p")
        return status == 200 and "early\n" in text

    await until(printed)
    result = await attach.exchange(client, "default", "p", "main", b"in", max_stdout=1000)
    _, text = await pod_log(server, "p")
    assert result.stdout == b"late:in\n", (result, text)


async def test_attach_v4_client_disconnect_closes_stdin_once(server: ApiServer, client: Client) -> None:
    code = "import sys; data = sys.stdin.read(); print(len(data))"
    await client.create(pod("p", code, stdin=True))
    await wait_phase(client, "p", "Running")
    url = attach.attach_url(server.url, "default", "p", "main")
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, protocols=[channel.V4]) as ws:
            assert ws.protocol == channel.V4
            await ws.send_bytes(channel.encode(channel.STDIN, b"abc"))
            # v4 has no CLOSE: a CLOSE-looking frame is plain data on channel 255, ignored.
    obj = await wait_phase(client, "p", "Succeeded")
    assert obj["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 0
    _, text = await pod_log(server, "p")
    assert text == "3\n"


@pytest.mark.parametrize(
    ("spec_stdin", "query", "want"),
    [
        (False, "stdin=true", 400),
        (True, "", 400),  # a plain GET, no WebSocket upgrade
    ],
    ids=["no-stdin-in-spec", "not-a-websocket"],
)
async def test_attach_refusals(
    server: ApiServer, client: Client, spec_stdin: bool, query: str, want: int
) -> None:
    await client.create(pod("p", "import sys, time; sys.stdin.read(); time.sleep(30)", stdin=spec_stdin))
    await wait_phase(client, "p", "Running")
    async with aiohttp.ClientSession() as session:
        url = f"{server.url}/api/v1/namespaces/default/pods/p/attach?{query}"
        if query:
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await session.ws_connect(url, protocols=[channel.V5])
            assert err.value.status == want
        else:
            async with session.get(url) as r:
                assert r.status == want


async def test_attach_to_completed_or_missing_pod(server: ApiServer, client: Client) -> None:
    await client.create(pod("p", "print(1)", stdin=True))
    await wait_phase(client, "p", "Succeeded")
    with pytest.raises(attach.AttachError, match="400"):
        await attach.exchange(client, "default", "p", "main", b"", max_stdout=10)
    with pytest.raises(attach.AttachError, match="404"):
        await attach.exchange(client, "default", "gone", "main", b"", max_stdout=10)


async def test_deleting_the_pod_kills_the_process(server: ApiServer, client: Client) -> None:
    code = (
        "import subprocess, sys; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']).wait()"
    )
    await client.create(pod("p", code))
    await wait_phase(client, "p", "Running")
    kubelet: Kubelet = server.kubelet  # type: ignore[attr-defined]
    runner = kubelet.runner_for("default", "p")
    assert runner is not None and runner.run is not None
    pid = runner.run.process.pid
    await client.delete(POD, "p", "default")
    with pytest.raises(NotFound):
        await client.get(POD, "p", "default")

    def group_gone() -> bool:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        return False

    await eventually(group_gone, timeout=10, message="process group killed")


async def test_on_failure_restarts_until_success(client: Client, tmp_path: Any) -> None:
    marker = tmp_path / "ran"
    code = (
        f"import os, sys; p = {str(marker)!r}\n"
        "if not os.path.exists(p):\n    open(p, 'w').close(); sys.exit(1)\n"
    )
    await client.create(pod("p", code, restart="OnFailure"))
    obj = await wait_phase(client, "p", "Succeeded")
    assert obj["status"]["containerStatuses"][0]["restartCount"] == 1


async def test_log_and_attach_requests_are_in_the_request_log(server: ApiServer, client: Client) -> None:
    await client.create(pod("p", "import sys; sys.stdout.write(sys.stdin.read())", stdin=True))
    await wait_phase(client, "p", "Running")
    await attach.exchange(client, "default", "p", "main", b"x", max_stdout=10)
    await wait_phase(client, "p", "Succeeded")
    await pod_log(server, "p")
    seen = {(r.subresource, r.status) for r in server.request_log if r.resource == "pods" and r.name == "p"}
    assert ("attach", 101) in seen and ("log", 200) in seen


async def test_deleting_the_pod_ends_an_attach_session(server: ApiServer, client: Client) -> None:
    # The process outlives its stdin; only the deletion can end the session.
    await client.create(pod("p", "import sys, time; sys.stdin.read(); time.sleep(60)", stdin=True))
    await wait_phase(client, "p", "Running")
    session = asyncio.create_task(attach.exchange(client, "default", "p", "main", b"", max_stdout=100))
    kubelet: Kubelet = server.kubelet  # type: ignore[attr-defined]

    def attached() -> bool:
        runner = kubelet.runner_for("default", "p")
        return runner is not None and runner.run is not None and bool(runner.run.subscribers)

    await eventually(attached, message="attach session open")
    await client.delete(POD, "p", "default")
    # The session ends (however the client reports it) instead of waiting out the process.
    with contextlib.suppress(attach.AttachError):
        await asyncio.wait_for(session, 10)
    assert session.done()
