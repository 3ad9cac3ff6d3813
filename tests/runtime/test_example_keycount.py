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
