"""The manager: owns the client, the shared cache, controllers and other runnables, and their shutdown.

Start order: HTTP servers (probes, metrics), the cache, runnables that run on every replica, then, once
leadership is held (at once without leader election), the controllers and other leader-only runnables.
Shutdown (stop event, SIGTERM/SIGINT, or cancellation) runs in reverse: leader-only runnables stop taking
work and their in-flight reconciles get until the graceful-shutdown deadline to finish; then the lease is
released, other runnables and the cache stop, and the HTTP servers close last.

Losing the lease stops the leader-only runnables at once (the next leader may start soon) and campaigns
again; regaining it starts them afresh from the cache. Runnables and controllers added to a running manager
start at once (leader-only ones if leading); `remove` stops one gracefully. A runnable that raises stops
the manager, which then raises that error from `run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from typing import Any, Protocol, runtime_checkable

import structlog
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

from eno.runtime.builder import Builder
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.controller import Controller
from eno.runtime.leaderelection import LeaderElectionConfig, LeaderElector
from eno.runtime.probes import Check, Checks, HttpServer, metrics_app, probes_app

log = structlog.get_logger(__name__)


class Runnable(Protocol):
    async def run(self) -> None: ...


@runtime_checkable
class GracefulRunnable(Protocol):
    async def run(self) -> None: ...

    async def shutdown(self, timeout: float | None = None) -> bool: ...


class Manager:
    def __init__(
        self,
        client: Client,
        *,
        cache: Cache | None = None,
        registry: CollectorRegistry | None = None,
        health_probe_address: str | None = ":8081",
        metrics_address: str | None = ":8080",
        leader_election: LeaderElectionConfig | None = None,
        graceful_shutdown_timeout: float = 30.0,
        cache_sync_timeout: float = 120.0,
        handle_signals: bool = False,
    ) -> None:
        self.client = client
        self.cache = cache or Cache(client)
        # A registry per manager: nothing is shared between managers (or tests) through global state.
        self.registry = registry or CollectorRegistry()
        register_process_collectors(self.registry)
        self.graceful_shutdown_timeout = graceful_shutdown_timeout
        self.cache_sync_timeout = cache_sync_timeout
        self.handle_signals = handle_signals
        self.healthz = Checks("healthz")
        self.readyz = Checks("readyz")
        self.controllers: list[Controller] = []
        self._leader_runnables: list[Runnable] = []
        self._runnables: list[Runnable] = []
        self._probes = (
            HttpServer(probes_app(self.healthz, self.readyz), health_probe_address)
            if (health_probe_address is not None)
            else None
        )
        self._metrics = (
            HttpServer(metrics_app(self.registry), metrics_address) if (metrics_address is not None) else None
        )
        self.elector = (
            LeaderElector(client, leader_election, registry=self.registry) if leader_election else None
        )
        self.leading = asyncio.Event()  # set while leader-only runnables run
        self._leader_tasks: dict[asyncio.Task[None], Runnable] = {}
        self._tasks: dict[asyncio.Task[None], Runnable] = {}
        self._failed: asyncio.Future[None] | None = None
        self._stop = asyncio.Event()
        self._running = False

    # -- registration --------------------------------------------------------------------------------

    def builder(self) -> Builder:
        return Builder(self)

    def add_controller(self, controller: Controller) -> None:
        self.controllers.append(controller)
        self.add(controller, needs_leader_election=controller.needs_leader_election)

    def add(self, runnable: Runnable, *, needs_leader_election: bool = True) -> None:
        """Register a runnable; on a running manager it starts at once (if it may run now).

        Eno starts controllers at run time (one input watch per referenced kind); this is how.
        """
        if needs_leader_election:
            self._leader_runnables.append(runnable)
            if self.leading.is_set():
                self._spawn(runnable, self._leader_tasks)
        else:
            self._runnables.append(runnable)
            if self._running:
                self._spawn(runnable, self._tasks)

    async def remove(self, runnable: Runnable, timeout: float | None = None) -> None:
        """Stop a runnable (gracefully, within `timeout`) and forget it."""
        for registered, tasks in (
            (self._leader_runnables, self._leader_tasks),
            (self._runnables, self._tasks),
        ):
            if runnable in registered:
                registered.remove(runnable)
            running = {t: r for t, r in tasks.items() if r is runnable}
            for task in running:
                del tasks[task]
            await stop_runnables(running, self.graceful_shutdown_timeout if timeout is None else timeout)
        if isinstance(runnable, Controller):
            runnable.unwatch()
            if runnable in self.controllers:
                self.controllers.remove(runnable)

    def add_healthz_check(self, name: str, check: Check) -> None:
        self.healthz.add(name, check)

    def add_readyz_check(self, name: str, check: Check) -> None:
        self.readyz.add(name, check)

    @property
    def health_probe_port(self) -> int:
        return self._probes.port if self._probes else 0

    @property
    def metrics_port(self) -> int:
        return self._metrics.port if self._metrics else 0

    # -- running -------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask a running manager to shut down gracefully (what SIGTERM does)."""
        self._stop.set()

    async def run(self) -> None:
        """Run until `stop()`, a signal (with `handle_signals`), cancellation, or a runnable failing."""
        if self._running:
            raise RuntimeError("the manager is already running")
        self._running = True
        self._failed = asyncio.get_running_loop().create_future()
        loop = asyncio.get_running_loop()
        signals = (signal.SIGTERM, signal.SIGINT) if self.handle_signals else ()
        for sig in signals:
            loop.add_signal_handler(sig, self._on_signal, sig)
        servers = [s for s in (self._probes, self._metrics) if s is not None]
        leadership: asyncio.Task[None] | None = None
        try:
            for server in servers:
                await server.start()
            self.cache.start()
            for runnable in self._runnables:
                self._spawn(runnable, self._tasks)
            leadership = asyncio.create_task(self._lead())
            stopped = asyncio.create_task(self._stop.wait())
            try:
                waits: set[asyncio.Future[Any]] = {stopped, leadership, self._failed}
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopped.cancel()
            if self._failed.done():
                raise self._failed.exception() or RuntimeError("runnable failed")
            if leadership.done():
                _raise_if_failed(leadership)
        finally:
            await self._shutdown(leadership, servers)
            for sig in signals:
                loop.remove_signal_handler(sig)
            # Cleared at the end, not the start: a stop() asked before this run got going still counts.
            self._stop.clear()
            self._running = False

    def _on_signal(self, sig: signal.Signals) -> None:
        log.info("shutdown_signal", signal=sig.name)
        self._stop.set()

    def _spawn(self, runnable: Runnable, tasks: dict[asyncio.Task[None], Runnable]) -> None:
        task = asyncio.create_task(runnable.run())
        tasks[task] = runnable
        task.add_done_callback(self._on_runnable_done)

    def _on_runnable_done(self, task: asyncio.Task[None]) -> None:
        # A runnable that returns is simply done; one that fails stops the manager.
        if task.cancelled() or task.exception() is None:
            return
        runnable = self._leader_tasks.get(task) or self._tasks.get(task)
        log.error(
            "runnable_failed", runnable=getattr(runnable, "name", repr(runnable)), error=str(task.exception())
        )
        if self._failed is not None and not self._failed.done():
            self._failed.set_exception(task.exception() or RuntimeError("runnable failed"))

    async def _lead(self) -> None:
        if self.elector is None:
            self._start_leader_runnables()
            await asyncio.Event().wait()  # leads until shutdown
            return
        while True:
            await self.elector.acquire()
            self._start_leader_runnables()
            await self.elector.renew_until_lost()
            # Lost: stop before anyone else may take the lease. The last renewal succeeded at least
            # retry + renew deadline ago, and others wait a lease duration from it (controller-runtime exits).
            config = self.elector.config
            margin = config.lease_duration - config.renew_deadline - config.retry_period
            await self._stop_leader_runnables(min(self.graceful_shutdown_timeout, max(0.0, margin)))

    def _start_leader_runnables(self) -> None:
        self.leading.set()
        for runnable in self._leader_runnables:
            self._spawn(runnable, self._leader_tasks)
        log.info("leader_runnables_started", count=len(self._leader_tasks))

    async def _stop_leader_runnables(self, timeout: float) -> None:
        tasks, self._leader_tasks = self._leader_tasks, {}
        self.leading.clear()
        await stop_runnables(tasks, timeout)

    async def _shutdown(self, leadership: asyncio.Task[None] | None, servers: list[HttpServer]) -> None:
        started = time.monotonic()
        log.info("manager_stopping")
        if leadership is not None:
            leadership.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await leadership
        await self._stop_leader_runnables(self.graceful_shutdown_timeout)
        if self.elector is not None and self.elector.config.release_on_cancel:
            await self.elector.release()
        remaining = max(0.0, self.graceful_shutdown_timeout - (time.monotonic() - started))
        tasks, self._tasks = self._tasks, {}
        await stop_runnables(tasks, remaining)
        await self.cache.stop()
        for server in servers:
            await server.stop()
        log.info("manager_stopped", seconds=round(time.monotonic() - started, 3))


def register_process_collectors(registry: CollectorRegistry) -> None:
    """process_* and python_* series (Go's process_* and go_* in controller-runtime), once per registry."""
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        with contextlib.suppress(ValueError):  # already registered on a shared registry
            collector(registry=registry)


async def stop_runnables(tasks: dict[asyncio.Task[None], Runnable], timeout: float) -> None:
    """Let graceful runnables finish in-flight work within `timeout`, then cancel whatever still runs."""
    deadline = time.monotonic() + timeout
    try:
        graceful = {t: r for t, r in tasks.items() if not t.done() and isinstance(r, GracefulRunnable)}
        if graceful:
            results = await asyncio.gather(
                *(r.shutdown(timeout) for r in graceful.values()), return_exceptions=True
            )
            drained = [t for t, ok in zip(graceful, results, strict=True) if ok is True]
            late = [getattr(r, "name", "") for (t, r) in graceful.items() if t not in drained]
            if late:
                log.info("graceful_shutdown_deadline_passed", unfinished=late)
            if drained:
                # Drained runnables return by themselves; let them finish their own cleanup.
                await asyncio.wait(drained, timeout=max(0.0, deadline - time.monotonic()))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _raise_if_failed(task: asyncio.Task[object]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        raise error
