"""The manager against the embedded API server over HTTP: controllers, probes, metrics, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from eno.apiserver.server import ApiServer
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from eno.runtime.manager import Manager
from eno.runtime.reconcile import ReconcilerFunc, Request, Result
from tests.eventually import eventually

CM = GVK("", "v1", "ConfigMap")
SECRET = GVK("", "v1", "Secret")
LOCAL = "127.0.0.1:0"


@pytest.fixture
async def client(apiserver: ApiServer) -> AsyncIterator[Client]:
    async with await Client.from_url(apiserver.url, qps=0) as c:
        yield c


def new_manager(client: Client, **kwargs: Any) -> Manager:
    kwargs.setdefault("health_probe_address", LOCAL)
    kwargs.setdefault("metrics_address", LOCAL)
    cache = Cache(client, informer_settings={"backoff_base": 0.02, "backoff_cap": 0.2})
    return Manager(client, cache=cache, **kwargs)


@contextlib.asynccontextmanager
async def running(manager: Manager) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(manager.run())
    try:
        await eventually(lambda: manager.leading.is_set() or task.done(), timeout=10)
        yield task
    finally:
        manager.stop()
        await asyncio.wait_for(task, 20)


def configmap(name: str, **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default", **meta},
    }


async def http_get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


async def test_runs_controllers_serves_probes_and_metrics(client: Client) -> None:
    seen: list[Request] = []

    async def record(request: Request) -> Result:
        seen.append(request)
        return Result()

    manager = new_manager(client)
    manager.builder().for_(CM).complete(ReconcilerFunc(record))
    async with running(manager):
        for name in ("a", "b"):
            await client.create(configmap(name))
        await eventually(lambda: {Request("default", "a"), Request("default", "b")} <= set(seen))

        assert await http_get(manager.health_probe_port, "/healthz") == (200, "ok")
        assert await http_get(manager.health_probe_port, "/readyz/ping") == (200, "ok")
        status, body = await http_get(manager.health_probe_port, "/healthz?verbose")
        assert (status, body.splitlines()[0]) == (200, "[+]ping ok")

        def broken() -> None:
            raise RuntimeError("not ready")

        manager.add_readyz_check("broken", broken)
        status, body = await http_get(manager.health_probe_port, "/readyz")
        assert status == 500
        assert "[-]broken failed: reason withheld" in body
        assert "not ready" not in body

        status, metrics = await http_get(manager.metrics_port, "/metrics")
        assert status == 200
        assert 'controller_runtime_reconcile_total{controller="configmap",result="success"}' in metrics
        assert 'workqueue_adds_total{controller="configmap",name="configmap"}' in metrics
        assert 'controller_runtime_max_concurrent_reconciles{controller="configmap"} 1.0' in metrics
        assert "process_resident_memory_bytes" in metrics and "python_gc_collections_total" in metrics


async def test_owned_objects_map_to_their_owner(client: Client) -> None:
    seen: list[Request] = []

    async def record(request: Request) -> Result:
        seen.append(request)
        return Result()

    manager = new_manager(client)
    manager.builder().named("owner").for_(CM).owns(SECRET).complete(ReconcilerFunc(record))
    async with running(manager):
        owner = await client.create(configmap("owner"))
        await eventually(lambda: Request("default", "owner") in seen)
        seen.clear()
        ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
        await client.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": "s",
                    "namespace": "default",
                    "ownerReferences": [{**ref, "controller": True}],
                },
            }
        )
        await eventually(lambda: seen == [Request("default", "owner")])


async def test_stop_lets_in_flight_reconciles_finish(client: Client) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    finished: list[str] = []

    async def slow(request: Request) -> Result:
        started.set()
        await release.wait()
        finished.append(request.name)
        return Result()

    manager = new_manager(client, graceful_shutdown_timeout=10)
    manager.builder().for_(CM).complete(ReconcilerFunc(slow))
    task = asyncio.create_task(manager.run())
    await client.create(configmap("slow"))
    await asyncio.wait_for(started.wait(), 10)
    manager.stop()
    await asyncio.sleep(0)
    assert not task.done()
    release.set()
    await asyncio.wait_for(task, 10)
    assert finished == ["slow"]


async def test_stop_cancels_reconciles_that_outlive_the_deadline(client: Client) -> None:
    started = asyncio.Event()
    cancelled: list[str] = []

    async def stuck(request: Request) -> Result:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(request.name)
            raise
        return Result()

    manager = new_manager(client, graceful_shutdown_timeout=0.1)
    manager.builder().for_(CM).complete(ReconcilerFunc(stuck))
    task = asyncio.create_task(manager.run())
    await client.create(configmap("stuck"))
    await asyncio.wait_for(started.wait(), 10)
    manager.stop()
    await asyncio.wait_for(task, 10)
    assert cancelled == ["stuck"]


async def test_a_failing_runnable_stops_the_manager(client: Client) -> None:
    class Broken:
        async def run(self) -> None:
            raise RuntimeError("broken runnable")

    manager = new_manager(client)
    manager.add(Broken(), needs_leader_election=False)
    with pytest.raises(RuntimeError, match="broken runnable"):
        await asyncio.wait_for(manager.run(), 10)


async def test_controllers_can_be_added_and_removed_while_running(client: Client) -> None:
    seen: list[Request] = []

    async def record(request: Request) -> Result:
        seen.append(request)
        return Result()

    manager = new_manager(client)
    async with running(manager):
        await client.create(configmap("existing"))
        # Started at once, on an informer created on demand; it sees what already exists.
        late = manager.builder().named("late").for_(CM).complete(ReconcilerFunc(record))
        await eventually(lambda: Request("default", "existing") in seen)
        assert late.running
        await manager.remove(late)
        assert not late.running
        assert late not in manager.controllers


async def test_a_stop_before_the_run_starts_is_honoured_and_the_manager_runs_again(client: Client) -> None:
    manager = new_manager(client)
    task = asyncio.create_task(manager.run())
    manager.stop()  # before the task has run at all
    await asyncio.wait_for(task, 10)
    async with running(manager):  # the stop was consumed: a second run runs until stopped
        assert manager.leading.is_set()
