"""Fixtures for Eno's controllers on the embedded API server: CRDs installed, faults injectable, managers
that start and stop (a restart is a new manager with a cold cache)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from eno.apiserver.faults import Faults
from eno.apiserver.server import ApiServer
from eno.apiserver.store import Event
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.manager import Manager
from tests.eventually import eventually

CRDS = Path(__file__).resolve().parents[2] / "manifests" / "crds"

Setup = Callable[[Manager], Any]
T = TypeVar("T")


async def until(check: Callable[[], Awaitable[T]], timeout: float = 10.0) -> T:
    """`eventually` for async checks, typed: the check's first truthy value."""
    result: T = await eventually(check, timeout=timeout)
    return result


def server_faults(srv: ApiServer) -> Faults:
    """The server's fault injector (wired by the server itself once it does so)."""
    faults = getattr(srv, "faults", None)
    if faults is None:
        faults = Faults(srv.store)
        srv.app.middlewares.append(faults.middleware)
        srv.faults = faults
    return faults


class History:
    """Every committed revision of one resource, in revision order (fed by the store's commit hook)."""

    def __init__(self, srv: ApiServer, resource: str) -> None:
        self.resource = resource
        self.events: list[Event] = []
        self._srv = srv
        srv.store.commit_hooks.append(self._record)

    def close(self) -> None:
        self._srv.store.commit_hooks.remove(self._record)

    def _record(self, event: Event) -> None:
        if event.key.resource == self.resource:
            self.events.append(event)


@pytest.fixture
async def eno_server() -> AsyncIterator[ApiServer]:
    """An embedded API server with Eno's CRDs and a fault injector (`server_faults(srv)`)."""
    srv = ApiServer(bookmark_interval=0.2)
    server_faults(srv)
    async with srv:
        async with await Client.from_url(srv.url, qps=0) as client:
            for path in sorted(CRDS.glob("*.yaml")):
                await client.create(yaml.safe_load(path.read_text()))
        yield srv


@pytest.fixture
async def client(eno_server: ApiServer) -> AsyncIterator[Client]:
    async with await Client.from_url(eno_server.url, qps=0) as c:
        yield c


@asynccontextmanager
async def running(url: str, *setups: Setup, **cache_options: Any) -> AsyncIterator[Manager]:
    """A manager with the given controllers, running until the block ends (its own client and cache)."""
    async with await Client.from_url(url, qps=0) as client:
        cache = Cache(client, informer_settings={"backoff_base": 0.05, "backoff_cap": 0.5}, **cache_options)
        manager = Manager(
            client, cache=cache, health_probe_address=None, metrics_address=None, graceful_shutdown_timeout=5
        )
        for setup in setups:
            setup(manager)
        task = asyncio.create_task(manager.run())
        # Manager.run() clears a stop requested before it started (S-needs.md): wait until it leads.
        await asyncio.wait_for(manager.leading.wait(), 10)
        try:
            yield manager
        finally:
            manager.stop()
            await asyncio.wait_for(task, 10)
