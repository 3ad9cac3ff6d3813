"""`eno dev`: Eno on this machine in one process, no cluster needed.

The embedded API server (with its kubelet, so synthesizer pods run as local processes), Eno's CRDs, and
both daemons' controllers, each in its own manager with its own client (user agents `eno-controller` and
`eno-reconciler`, as in a cluster) and its own cache (the reconciler's cache blanks slice manifests, the
controller's must not). In-process managers rather than subprocesses: one Ctrl-C stops everything in
order, nothing is left running, start-up takes a second, and the daemons are built by the same code the
console scripts run (`eno_cmd.controller`, `eno_cmd.reconciler`); the end-to-end tests run the real
subprocesses. Logs go to `.eno/dev.log` (JSON, as the daemons write them) so the terminal keeps a short
live summary of the compositions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import signal
import sys
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml
from prometheus_client import CollectorRegistry

from eno.apiserver.kubelet import Kubelet
from eno.apiserver.server import ApiServer
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.errors import AlreadyExists
from eno.runtime.frozen import FrozenDict
from eno.runtime.gvk import GVK
from eno.runtime.informer import FuncHandler
from eno.runtime.logging import configure_logging
from eno.runtime.manager import Manager
from eno_cmd import controller, daemon, reconciler

REPO = Path(__file__).resolve().parents[2]
CRDS = REPO / "manifests" / "crds"
EXAMPLES = REPO / "examples"
COMPOSITION = GVK("eno.azure.io", "v1", "Composition")
FIELD_MANAGER = "eno-dev"
POD_NAMESPACE = "default"
READY_TIMEOUT = 180.0
# Composition-like kinds go last, so what they refer to exists first.
_LAST = ("Composition", "Symphony")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "dev",
        help="run Eno locally: the embedded API server, its kubelet and both daemons",
        description="Run Eno locally until Ctrl-C: the embedded API server (with a kubelet that runs "
        "synthesizer pods as local processes), Eno's CRDs, and the eno-controller and eno-reconciler "
        "controllers. Writes a kubeconfig for kubectl.",
    )
    parser.add_argument("--data-dir", default=".eno/data", help="persist objects here (default .eno/data)")
    parser.add_argument("--kubeconfig", default=".eno/kubeconfig", help="write the kubeconfig here")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    parser.add_argument("--log-file", default=".eno/dev.log", help="JSON logs (default .eno/dev.log)")
    parser.add_argument(
        "--example", default="", help="apply examples/NAME (or a directory) and wait until it is Ready"
    )
    parser.add_argument(
        "--exit-when-ready", action="store_true", help="with --example: stop once the example is Ready"
    )
    parser.add_argument(
        "--walkthrough",
        action="store_true",
        help="with --example: once Ready, run the example's walkthrough.sh against this cluster",
    )


# -- pure pieces -------------------------------------------------------------------------------------


def example_dir(name: str) -> Path:
    path = Path(name)
    if path.is_dir():
        return path.resolve()
    candidate = EXAMPLES / name
    if candidate.is_dir():
        return candidate
    known = ", ".join(sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())) if EXAMPLES.is_dir() else ""
    raise SystemExit(f"error: no example {name!r} (known: {known})")


def example_objects(directory: Path) -> list[dict[str, Any]]:
    """Every object of the example's YAML files, compositions last, each Synthesizer's command resolved
    against the directory (the embedded kubelet runs it as a local process, from anywhere)."""
    objects: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.yaml")):
        objects += [doc for doc in yaml.safe_load_all(path.read_text()) if isinstance(doc, dict)]
    for obj in objects:
        if obj.get("kind") == "Synthesizer":
            spec = obj.setdefault("spec", {})
            spec["command"] = [_local(directory, arg) for arg in spec.get("command") or []]
    return sorted(objects, key=lambda o: o.get("kind") in _LAST)


def _local(directory: Path, arg: str) -> str:
    return str(directory / arg) if "/" not in arg and (directory / arg).is_file() else arg


def composition_row(obj: FrozenDict | dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    simplified = (obj.get("status") or {}).get("simplified") or {}
    return (
        f"{meta.get('namespace', '')}/{meta.get('name', '')}",
        str(((obj.get("spec") or {}).get("synthesizer") or {}).get("name", "")),
        str(simplified.get("status") or "Pending"),
        str(simplified.get("error") or ""),
    )


def summary(rows: Iterable[tuple[str, str, str, str]]) -> str:
    table = [("COMPOSITION", "SYNTHESIZER", "STATUS", "ERROR"), *sorted(rows)]
    if len(table) == 1:
        return "no compositions yet (kubectl apply -f one, or run eno dev --example getting-started)"
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    )


def daemon_args() -> tuple[list[str], list[str]]:
    """The daemons' flags in dev: pods in `default`, the shim as a local command, no probe/metrics ports."""
    quiet = ["--health-probe-addr=0", "--metrics-addr=0"]
    shim = shlex.join([sys.executable, "-m", "eno.synthesis.shim"])
    controller_args = [f"--synthesizer-pod-namespace={POD_NAMESPACE}", f"--synthesizer-shim-command={shim}"]
    return [*controller_args, *quiet], quiet


def kubectl_hints(kubeconfig: Path, names: Sequence[str]) -> str:
    lines = [
        "Look with kubectl:",
        f"  export KUBECONFIG={kubeconfig}",
        "  kubectl get compositions -A",
        "  kubectl get synthesizers",
        "  kubectl get resourceslices -A",
    ]
    if names:
        lines.append(f"  kubectl get composition {names[0]} -o yaml")
    return "\n".join(lines)


# -- the process ---------------------------------------------------------------------------------------


async def install_crds(client: Client) -> None:
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        try:
            await client.create(crd)
        except AlreadyExists:  # a persisted data dir: bring it up to date
            current = await client.get(
                GVK.from_api_version(crd["apiVersion"], crd["kind"]), crd["metadata"]["name"]
            )
            crd["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            await client.update(crd)


async def apply_all(client: Client, objects: Sequence[dict[str, Any]]) -> None:
    for obj in objects:
        await client.patch(obj, patch=obj, patch_type="apply", field_manager=FIELD_MANAGER, force=True)


@contextlib.asynccontextmanager
async def running_daemons(url: str) -> AsyncIterator[list[Manager]]:
    """Both daemons' managers, built from their flags as the console scripts build them, running."""
    controller_args, reconciler_args = daemon_args()
    env: dict[str, str] = {}
    built = [
        controller.controller_daemon(
            controller.controller_config(controller.controller_flags().parse(controller_args), env), env
        ),
        reconciler.reconciler_daemon(
            reconciler.reconciler_config(reconciler.reconciler_flags().parse(reconciler_args), env), env
        ),
    ]
    async with contextlib.AsyncExitStack() as stack:
        managers: list[Manager] = []
        for spec in built:
            registry = CollectorRegistry()
            client = await stack.enter_async_context(await Client.from_url(url, registry=registry))
            daemon.name_client(client, spec.name)
            if spec.on_start is not None:
                spec.on_start()
            managers.append(daemon.build_manager(spec, client, registry=registry, handle_signals=False))
        tasks = [asyncio.create_task(m.run(), name=f"manager-{i}") for i, m in enumerate(managers)]
        try:
            await asyncio.wait_for(asyncio.gather(*(m.leading.wait() for m in managers)), 30)
            yield managers
        finally:
            for manager in managers:
                manager.stop()
            await asyncio.wait(tasks, timeout=35)
            for task in tasks:
                task.cancel()


class Summary:
    """Prints the compositions table whenever it changes (driven by a watch, not by polling)."""

    def __init__(self, client: Client, out: TextIO) -> None:
        self.cache = Cache(client)
        self.out = out
        self.changed = asyncio.Event()
        self._last = ""
        informer = self.cache.informer_for(COMPOSITION)
        wake = FuncHandler(
            on_add=lambda _: self.changed.set(),
            on_update=lambda _, __: self.changed.set(),
            on_delete=lambda _: self.changed.set(),
        )
        informer.add_event_handler(wake)

    async def rows(self) -> list[tuple[str, str, str, str]]:
        return [composition_row(obj) for obj in await self.cache.list(COMPOSITION)]

    async def print_if_changed(self) -> None:
        text = summary(await self.rows())
        if text != self._last:
            self._last = text
            print(f"\n[{time.strftime('%H:%M:%S')}]\n{text}", file=self.out, flush=True)

    async def ready(self, names: Sequence[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        wanted = set(names)
        while True:
            self.changed.clear()
            await self.print_if_changed()
            statuses = {row[0]: row[2] for row in await self.rows()}
            if all(statuses.get(name) == "Ready" for name in wanted):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)

    async def follow(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.changed.clear()
            await self.print_if_changed()
            waits = [asyncio.ensure_future(self.changed.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()


async def dev(args: argparse.Namespace, stop: asyncio.Event | None = None, out: TextIO = sys.stdout) -> int:
    """Run until `stop` (Ctrl-C, SIGTERM) or, with --exit-when-ready, until the example is Ready."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        return await _serve(args, stop, out)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def python_first_on_path() -> None:
    """Put this interpreter's directory first on PATH, for the processes the embedded kubelet starts.

    Synthesizers written with eno.function run as `python3 synth.py`; under `.venv/bin/eno dev` the system
    `python3` would not have eno-py installed, so every such synthesis would fail.
    """
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if parts[:1] != [bindir]:
        os.environ["PATH"] = os.pathsep.join([bindir, *(p for p in parts if p)])


async def _serve(args: argparse.Namespace, stop: asyncio.Event, out: TextIO) -> int:
    python_first_on_path()
    objects = example_objects(example_dir(args.example)) if args.example else []
    srv = ApiServer(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        request_log_limit=10_000,
        history_per_key=16,
    )
    kubelet = Kubelet(srv)
    async with srv, kubelet, await Client.from_url(srv.url, qps=0) as client:
        daemon.name_client(client, "eno-dev")
        kubeconfig = srv.write_kubeconfig(args.kubeconfig).resolve()
        say(out, f"eno dev: API server at {srv.url}; kubeconfig {kubeconfig}; logs in {args.log_file}")
        await install_crds(client)
        async with running_daemons(srv.url):
            say(out, "eno dev: eno-controller and eno-reconciler running (Ctrl-C stops)")
            view = Summary(client, out)
            view.cache.start()
            try:
                code = await _run(args, view, client, objects, kubeconfig, stop, out)
            finally:
                await view.cache.stop()
        say(out, "eno dev: stopped")
    return code


def say(out: TextIO, text: str) -> None:
    print(text, file=out, flush=True)


async def _run(
    args: argparse.Namespace,
    view: Summary,
    client: Client,
    objects: Sequence[dict[str, Any]],
    kubeconfig: Path,
    stop: asyncio.Event,
    out: TextIO,
) -> int:
    names = [
        f"{o['metadata'].get('namespace', 'default')}/{o['metadata']['name']}"
        for o in objects
        if o.get("kind") == "Composition"
    ]
    if objects:
        await apply_all(client, objects)
        say(out, f"eno dev: applied {args.example}; waiting until {', '.join(names)} Ready")
        if not await view.ready(names, READY_TIMEOUT):
            say(out, f"eno dev: not Ready after {READY_TIMEOUT:g}s; see {args.log_file}")
            return 1
        print(f"\neno dev: {args.example} is Ready.", file=out)
    say(out, kubectl_hints(kubeconfig, [n.split("/")[1] for n in names]))
    if args.example and (readme := example_dir(args.example) / "README.md").is_file():
        say(out, f"Next steps: {readme}")
    if getattr(args, "walkthrough", False) and args.example:
        code = await walkthrough(example_dir(args.example), kubeconfig, out)
        if code != 0 or args.exit_when_ready:
            return code
    if args.exit_when_ready and objects:
        return 0
    await view.follow(stop)
    return 0


async def walkthrough(example: Path, kubeconfig: Path, out: TextIO) -> int:
    """Run the example's walkthrough.sh (e.g. the migration runbook through `eno migrate`) with KUBECONFIG
    pointing here, echoing its output; its exit code is the result."""
    script = example / "walkthrough.sh"
    if not script.is_file():
        say(out, f"eno dev: {example.name} has no walkthrough.sh")
        return 2
    say(out, f"eno dev: running {script}")
    process = await asyncio.create_subprocess_exec(
        "sh",
        str(script),
        env={**os.environ, "KUBECONFIG": str(kubeconfig), "EXAMPLE_DIR": str(example)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    async for line in process.stdout:
        print(line.decode(errors="replace"), end="", file=out, flush=True)
    code = await process.wait()
    say(out, f"eno dev: walkthrough {'done' if code == 0 else f'failed (exit {code})'}")
    return code


def run(args: argparse.Namespace) -> int:
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    log_path = Path(args.log_file)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a") as log_file:
        configure_logging(json=True, level="debug", stream=log_file)
        try:
            return asyncio.run(dev(args))
        except KeyboardInterrupt:
            return 0
