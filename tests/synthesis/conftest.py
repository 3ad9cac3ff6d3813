"""Fixtures for synthesis: the embedded server with its kubelet and Eno's CRDs, a manager running the
synthesis controllers, and small helpers that play the scheduler's part (dispatching a synthesis)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest
import yaml

from controllers import synthesis
from eno.api.v1 import Composition, ResourceSlice, Synthesizer
from eno.api.v1 import constants as c
from eno.api.v1.times import now
from eno.apiserver.kubelet import Kubelet
from eno.apiserver.server import ApiServer
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.manager import Manager
from eno.synthesis.pod import PodOptions
from tests.eventually import eventually

CRDS = Path(__file__).resolve().parents[2] / "manifests" / "crds"
# The local shim: what the pod runs in front of the synthesizer on the embedded kubelet.
LOCAL_SHIM = (sys.executable, "-m", "eno.synthesis.shim")
T = TypeVar("T")


async def until(check: Callable[[], Awaitable[T]], timeout: float = 15.0, message: str = "condition") -> T:
    result: T = await eventually(check, timeout=timeout, message=message)
    return result


def options(**changes: Any) -> synthesis.Options:
    base = synthesis.Options(pod=PodOptions(namespace="default", shim_command=LOCAL_SHIM))
    return attrs.evolve(base, **changes)


async def install_crds(srv: ApiServer) -> None:
    async with await Client.from_url(srv.url, qps=0) as client:
        for path in sorted(CRDS.glob("*.yaml")):
            await client.create(yaml.safe_load(path.read_text()))


@pytest.fixture
async def server() -> AsyncIterator[ApiServer]:
    """The embedded server with Eno's CRDs and the kubelet: pods run."""
    srv = ApiServer(bookmark_interval=0.2)
    kubelet = Kubelet(srv)
    async with srv, kubelet:
        await install_crds(srv)
        yield srv


@pytest.fixture
async def bare_server() -> AsyncIterator[ApiServer]:
    """The embedded server with Eno's CRDs and no kubelet: pods only exist."""
    async with ApiServer(bookmark_interval=0.2) as srv:
        await install_crds(srv)
        yield srv


@pytest.fixture
async def client(server: ApiServer) -> AsyncIterator[Client]:
    async with await Client.from_url(server.url, qps=0) as c:
        yield c


@asynccontextmanager
async def running(url: str, opts: synthesis.Options) -> AsyncIterator[Manager]:
    async with await Client.from_url(url, qps=0) as client:
        cache = Cache(
            client,
            by_kind=synthesis.cache_options(opts),
            informer_settings={"backoff_base": 0.05, "backoff_cap": 0.5},
        )
        manager = Manager(
            client, cache=cache, health_probe_address=None, metrics_address=None, graceful_shutdown_timeout=5
        )
        synthesis.setup(manager, opts)
        task = asyncio.create_task(manager.run())
        # A stop() before run() first runs would be lost (notes/S-needs.md): wait until it leads.
        await asyncio.wait_for(manager.leading.wait(), 10)
        try:
            yield manager
        finally:
            manager.stop()
            await asyncio.wait_for(task, 10)


async def make_synthesizer(client: Client, name: str, command: list[str], **spec: Any) -> Synthesizer:
    body = {
        "apiVersion": c.API_VERSION,
        "kind": "Synthesizer",
        "metadata": {"name": name},
        "spec": {"image": "example.com/synth:1", "command": command, **spec},
    }
    return Synthesizer.from_dict(await client.create(body))


async def set_command(client: Client, name: str, command: list[str]) -> None:
    await client.patch(Synthesizer, name, None, {"spec": {"command": command}}, patch_type="merge")


async def make_composition(client: Client, name: str, synth: str, **spec: Any) -> Composition:
    body = {
        "apiVersion": c.API_VERSION,
        "kind": "Composition",
        "metadata": {"name": name, "namespace": "default", "finalizers": [c.FINALIZER_CLEANUP]},
        "spec": {"synthesizer": {"name": synth}, **spec},
    }
    return Composition.from_dict(await client.create(body))


async def dispatch(client: Client, name: str) -> str:
    """Start a synthesis as the scheduler does: a new in-flight synthesis with a fresh UUID."""
    comp = await client.get(Composition, name, "default")
    new = str(uuid.uuid4())
    synthesis = {
        "uuid": new,
        "initialized": now(),
        "observedCompositionGeneration": comp.generation,
        "attempts": 1,
    }
    # The scheduler replaces the whole in-flight synthesis (a merge would keep the old one's results).
    ops: list[dict[str, Any]] = []
    if not comp.to_dict().get("status"):
        ops.append({"op": "add", "path": "/status", "value": {}})
    ops.append({"op": "replace", "path": "/status/inFlightSynthesis", "value": synthesis})
    await client.patch(Composition, name, "default", ops, patch_type="json", subresource="status")
    return new


async def current_is(client: Client, name: str, uuid_: str) -> Composition:
    async def check() -> Composition | None:
        comp = await client.get(Composition, name, "default")
        current = comp.status.current_synthesis
        return comp if current is not None and current.uuid == uuid_ else None

    comp = await until(check, message=f"current synthesis {uuid_}")
    assert comp is not None
    return comp


async def failed_with(client: Client, name: str, uuid_: str) -> tuple[Composition, str]:
    """The composition once its in-flight synthesis `uuid_` carries an error result."""

    async def check() -> tuple[Composition, str] | None:
        comp = await client.get(Composition, name, "default")
        in_flight = comp.status.in_flight_synthesis
        if in_flight is None or in_flight.uuid != uuid_:
            return None
        errors = [r.message for r in in_flight.results if r.severity == "error"]
        return (comp, errors[0]) if errors else None

    result = await until(check, message=f"an error on synthesis {uuid_}")
    assert result is not None
    return result


async def slices_of(client: Client, comp: Composition) -> list[ResourceSlice]:
    current = comp.status.current_synthesis
    assert current is not None
    return [await client.get(ResourceSlice, ref.name, comp.namespace) for ref in current.resource_slices]


# Like Eno's shell examples: prints at once and never reads stdin (`%` the ConfigMap's name).
GOOD_SH_TEMPLATE = (
    "#!/bin/sh\n"
    'echo "starting" >&2\n'
    """echo '{"apiVersion":"config.kubernetes.io/v1","kind":"ResourceList","items":["""
    """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s","namespace":"default"},"""
    """"data":{"k":"v"}}]}'\n"""
    'echo "done" >&2\n'
)


def script(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text)
    path.chmod(0o755)
    return str(path)
