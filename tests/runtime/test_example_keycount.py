"""The example controller in examples/keycount.py works as documented."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from eno.apiserver.server import ApiServer
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.manager import Manager
from examples.keycount import ANNOTATION, CONFIGMAP, add_to_manager
from tests.eventually import eventually


async def test_keycount_annotates_configmaps(apiserver: ApiServer) -> None:
    async with await Client.from_url(apiserver.url, qps=0) as client:
        manager = Manager(client, cache=Cache(client), health_probe_address=None, metrics_address=None)
        add_to_manager(manager)
        task = asyncio.create_task(manager.run())
        try:
            cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}}
            await client.create({**cm, "data": {"a": "1", "b": "2"}})

            def annotated(expected: str) -> Callable[[], Awaitable[bool]]:
                async def check() -> bool:
                    got = await client.get(CONFIGMAP, "c", "default")
                    return (got["metadata"].get("annotations") or {}).get(ANNOTATION) == expected

                return check

            ok: bool = await eventually(annotated("2"), timeout=10)
            await client.patch(CONFIGMAP, "c", "default", {"data": {"c": "3"}})
            ok = await eventually(annotated("3"), timeout=10)
            assert ok
        finally:
            manager.stop()
            await asyncio.wait_for(task, 10)


async def test_keycount_converges_when_half_the_writes_fail(apiserver: ApiServer) -> None:
    """Eno's CHAOS_RATIO aid: failed writes are retried with backoff until every object converges."""
    async with (
        await Client.from_url(apiserver.url, qps=0) as writer,
        await Client.from_url(apiserver.url, qps=0, chaos_ratio=0.5) as chaotic,
    ):
        manager = Manager(chaotic, health_probe_address=None, metrics_address=None)
        controller = add_to_manager(manager)
        task = asyncio.create_task(manager.run())
        try:
            names = [f"c{i}" for i in range(20)]
            for name in names:
                cm = {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": "default"},
                }
                await writer.create({**cm, "data": {"k": name}})

            async def converged() -> bool:
                items = (await writer.list(CONFIGMAP, "default")).items
                done = {
                    i["metadata"]["name"]
                    for i in items
                    if (i["metadata"].get("annotations") or {}).get(ANNOTATION) == "1"
                }
                return set(names) <= done

            ok: bool = await eventually(converged, timeout=30)
            assert ok
            errors = manager.registry.get_sample_value(
                "controller_runtime_reconcile_errors_total", {"controller": controller.name}
            )
            assert errors is not None and errors > 0  # failures happened, and were retried
        finally:
            manager.stop()
            await asyncio.wait_for(task, 10)
