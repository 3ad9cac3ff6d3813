"""The scheduler end to end: the embedded server with its kubelet, and a manager running Eno's
controller process (composition, synthesis, scheduling and input watching), real synthesizer processes."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import attrs

from controllers import composition, scheduling, synthesis, watch
from eno.api.v1 import Composition
from eno.api.v1 import constants as c
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.controller import Controller
from eno.runtime.manager import Manager
from tests.eventually import eventually
from tests.synthesis.conftest import client, options, server

__all__ = ["client", "server"]

PY = sys.executable
FAST_INFORMERS = {"backoff_base": 0.05, "backoff_cap": 0.5}

# Echoes each input's data back as a ConfigMap named after its key, plus one naming the synthesis.
ECHO = """
import json, os, sys
doc = json.load(sys.stdin)
items = [{"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": os.environ["COMPOSITION_NAME"] + "-out", "namespace": "default"},
          "data": {"uuid": os.environ["SYNTHESIS_UUID"]}}]
for obj in doc.get("items") or []:
    key = obj["metadata"]["annotations"]["eno.azure.io/input-key"]
    items.append({"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": os.environ["COMPOSITION_NAME"] + "-" + key, "namespace": "default"},
                  "data": obj.get("data") or {}})
json.dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}, sys.stdout)
"""
ECHO_COMMAND = [PY, "-c", ECHO]
# Reads its input, says so (a file named by argv[1] + ".started"), then waits for the file argv[1] before
# answering like ECHO.
GATED = """
import json, os, sys, time
doc = json.load(sys.stdin)
open(sys.argv[1] + ".started", "w").close()
while not os.path.exists(sys.argv[1]):
    time.sleep(0.02)
""" + ECHO.replace("json.load(sys.stdin)", "doc")
FAIL_COMMAND = [PY, "-c", "import sys; sys.stdin.read(); sys.exit(3)"]


@attrs.frozen
class Eno:
    manager: Manager
    scheduler: Controller

    async def settled(self) -> None:
        """Every scheduling pass asked for so far has run (a pass that started after the caller's change)."""

        def idle() -> bool:
            queue = self.scheduler.queue
            return len(queue) == 0 and not queue.processing()

        await eventually(idle, timeout=10)


@asynccontextmanager
async def eno(
    url: str,
    *,
    cooldown: float = 1.0,
    limit: int = 10,
    pod_timeout: float = 30.0,
    watchdog: float = 180.0,
) -> AsyncIterator[Eno]:
    """Eno's controller process: composition, synthesis, scheduling and watch controllers."""
    synthesis_options = options(pod_timeout=pod_timeout)
    async with await Client.from_url(url, qps=0) as api:
        cache = Cache(
            api, by_kind=synthesis.cache_options(synthesis_options), informer_settings=FAST_INFORMERS
        )
        manager = Manager(
            api, cache=cache, health_probe_address=None, metrics_address=None, graceful_shutdown_timeout=5
        )
        composition.setup(
            manager, composition.Options(pod_timeout=pod_timeout, synthesizer_pod_namespace="default")
        )
        synthesis.setup(manager, synthesis_options)
        scheduler = scheduling.setup(
            manager,
            scheduling.Options(
                concurrency_limit=limit, rollout_cooldown=cooldown, watchdog_threshold=watchdog
            ),
        )
        watch.setup(manager, watch.Options(informer_settings=FAST_INFORMERS))
        task = asyncio.create_task(manager.run())
        await asyncio.wait_for(manager.leading.wait(), 10)
        try:
            yield Eno(manager, scheduler)
        finally:
            manager.stop()
            await asyncio.wait_for(task, 15)


async def until(check: Callable[[], Any], timeout: float = 20.0, message: str = "condition") -> Any:
    return await eventually(check, timeout=timeout, message=message)


def ref(key: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "resource": {"group": "", "version": "v1", "kind": "ConfigMap"}, **extra}


async def make_synthesizer(
    client: Client, name: str, command: list[str] | None = None, refs: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    spec = {"image": "example.com/synth:1", "command": command or ECHO_COMMAND, "refs": refs or []}
    return await client.create(
        {"apiVersion": c.API_VERSION, "kind": "Synthesizer", "metadata": {"name": name}, "spec": spec}
    )


async def make_composition(
    client: Client,
    name: str,
    synth: str,
    bindings: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    **spec: Any,
) -> Composition:
    meta: dict[str, Any] = {"name": name, "namespace": "default"}
    if annotations:
        meta["annotations"] = annotations
    body = {
        "apiVersion": c.API_VERSION,
        "kind": "Composition",
        "metadata": meta,
        "spec": {
            "synthesizer": {"name": synth},
            "bindings": [
                {"key": k, "resource": {"name": v, "namespace": "default"}}
                for k, v in (bindings or {}).items()
            ],
            **spec,
        },
    }
    return Composition.from_dict(await client.create(body))


def configmap(name: str, annotations: dict[str, str] | None = None, **data: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "default"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


async def get(client: Client, name: str) -> Composition:
    return await client.get(Composition, name, "default")


async def synthesized(client: Client, name: str, *, other_than: str | None = None) -> Composition:
    """The composition once a synthesis (other than `other_than`) is current and nothing is in flight."""

    async def check() -> Composition | None:
        comp = await get(client, name)
        current = comp.status.current_synthesis
        if current is None or current.uuid == other_than or comp.status.in_flight_synthesis is not None:
            return None
        return comp

    result: Composition = await until(check, message=f"a new synthesis of {name}")
    return result


def current_uuid(comp: Composition) -> str:
    assert comp.status.current_synthesis is not None
    return comp.status.current_synthesis.uuid
