"""The builder's watch wiring over the shared cache, and the probe helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from eno.runtime.handler import EnqueueRequestsFromMapFunc
from eno.runtime.manager import Manager
from eno.runtime.predicates import label_selector
from eno.runtime.probes import Checks, parse_address
from eno.runtime.reconcile import ReconcilerFunc, Request, Result
from tests.eventually import eventually

CM = GVK("", "v1", "ConfigMap")
SECRET = GVK("", "v1", "Secret")


@pytest.mark.parametrize(
    ("address", "expected"),
    [(":8081", ("0.0.0.0", 8081)), ("127.0.0.1:0", ("127.0.0.1", 0)), ("[::1]:8080", ("::1", 8080))],
    ids=["all-interfaces", "ipv4", "ipv6"],
)
def test_parse_address(address: str, expected: tuple[str, int]) -> None:
    assert parse_address(address) == expected


async def test_checks_report_each_result_and_refuse_duplicates() -> None:
    checks = Checks("readyz")

    async def failing() -> None:
        raise RuntimeError("cache not synced")

    checks.add("cache", failing)
    assert await checks.run() == [("ping", None), ("cache", "cache not synced")]
    assert await checks.run("ping") == [("ping", None)]
    with pytest.raises(ValueError):
        checks.add("ping", lambda: None)


@pytest.fixture
async def client(apiserver: ApiServer) -> AsyncIterator[Client]:
    async with await Client.from_url(apiserver.url, qps=0) as c:
        yield c


def obj(kind: str, name: str, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "default", **meta}}


async def test_watches_with_a_map_func_and_an_event_filter(client: Client) -> None:
    seen: list[Request] = []

    async def record(request: Request) -> Result:
        seen.append(request)
        return Result()

    manager = Manager(client, health_probe_address=None, metrics_address=None)
    # Each Secret labelled team=a asks for the ConfigMap named in its "for" label.
    controller = (
        manager.builder()
        .named("mapped")
        .watches(
            SECRET, EnqueueRequestsFromMapFunc(lambda s: [Request("default", s["metadata"]["labels"]["for"])])
        )
        .with_event_filter(label_selector({"team": "a"}))
        .complete(ReconcilerFunc(record))
    )
    assert controller.name == "mapped"
    assert manager.cache.informer_for(SECRET) is manager.cache.informer_for(SECRET)  # one shared informer
    task = asyncio.create_task(manager.run())
    try:
        await client.create(obj("Secret", "ignored", labels={"team": "b", "for": "nope"}))
        await client.create(obj("Secret", "s", labels={"team": "a", "for": "target"}))
        await eventually(lambda: seen == [Request("default", "target")])
    finally:
        manager.stop()
        await asyncio.wait_for(task, 10)


async def test_builder_defaults_and_misuse(client: Client) -> None:
    manager = Manager(client, health_probe_address=None, metrics_address=None)
    noop = ReconcilerFunc(lambda r: asyncio.sleep(0, Result()))
    assert manager.builder().for_(CM).complete(noop).name == "configmap"  # controller-runtime's default
    with pytest.raises(ValueError, match="for_"):
        manager.builder().named("x").owns(SECRET).complete(noop)
    with pytest.raises(ValueError):
        manager.builder().complete(noop)
    with pytest.raises(ValueError):
        manager.builder().for_(CM).for_(SECRET)
