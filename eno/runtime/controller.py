"""A controller: watches feed a work queue of requests; N workers reconcile them (controller-runtime's).

Per request, the reconciler's outcome decides what happens next:
- an exception: requeue with backoff (`add_rate_limited`), logged once naming the object; a Conflict (409)
  is normal under optimistic concurrency and is logged at debug level only;
- `TerminalError`: logged and counted, not retried;
- `Result(requeue_after=s)`: backoff reset, reconciled again after `s` seconds;
- `Result(requeue=True)`: requeued with backoff;
- otherwise: backoff reset.
The queue guarantees one request is never reconciled by two workers at once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import structlog
from prometheus_client import CollectorRegistry

from eno.runtime.clock import Clock
from eno.runtime.errors import Conflict
from eno.runtime.handler import EventHandler
from eno.runtime.metrics import ControllerSeries, controller_metrics
from eno.runtime.objectmeta import Object
from eno.runtime.predicates import Predicate
from eno.runtime.ratelimiter import RateLimiter
from eno.runtime.reconcile import Reconciler, Request, Result, TerminalError
from eno.runtime.workqueue import ShutDown, WorkQueue

log = structlog.get_logger(__name__)


class Source(Protocol):
    """What a controller watches: an informer (eno.runtime.informer.Informer)."""

    def add_event_handler(self, handler: Any) -> Any: ...

    async def wait_for_sync(self, timeout: float) -> bool: ...

    def list(self) -> Iterable[Object]: ...


class SourceSyncTimeout(TimeoutError):
    pass


class WatchHandler:
    """Informer event handler: filters by predicates, maps to requests, enqueues them."""

    def __init__(
        self, enqueue: Callable[[Request], None], handler: EventHandler, predicates: tuple[Predicate, ...]
    ):
        self._add = enqueue
        self._handler = handler
        self._predicates = predicates

    def _enqueue(self, requests: set[Request]) -> None:
        for request in requests:
            self._add(request)

    def on_add(self, obj: Object) -> None:
        if all(p.create(obj) for p in self._predicates):
            self._enqueue(self._handler.create(obj))

    def on_update(self, old: Object, new: Object) -> None:
        if all(p.update(old, new) for p in self._predicates):
            self._enqueue(self._handler.update(old, new))

    def on_delete(self, obj: Object) -> None:
        if all(p.delete(obj) for p in self._predicates):
            self._enqueue(self._handler.delete(obj))

    def on_generic(self, obj: Object) -> None:
        if all(p.generic(obj) for p in self._predicates):
            self._enqueue(self._handler.generic(obj))


class Controller:
    def __init__(
        self,
        name: str,
        reconciler: Reconciler,
        *,
        max_concurrent_reconciles: int = 1,
        rate_limiter: RateLimiter[Request] | None = None,
        registry: CollectorRegistry | None = None,
        clock: Clock | None = None,
        log_name: str | None = None,
        cache_sync_timeout: float = 120.0,
        needs_leader_election: bool = True,
    ) -> None:
        if max_concurrent_reconciles < 1:
            raise ValueError("max_concurrent_reconciles must be at least 1")
        self.name = name
        self.reconciler = reconciler
        self.max_concurrent_reconciles = max_concurrent_reconciles
        self.cache_sync_timeout = cache_sync_timeout
        # False runs it on every replica (e.g. telemetry that only reads), as controller-runtime's option.
        self.needs_leader_election = needs_leader_election
        self._rate_limiter = rate_limiter
        self._registry = registry
        self._clock = clock
        self.queue = self._new_queue()
        self._watches: list[tuple[Source, WatchHandler]] = []
        self._stop_requested = asyncio.Event()
        self._running = False
        self._runs = 0
        self.log_name = log_name or name
        self._log = log.bind(controller=self.log_name)
        self._metrics: ControllerSeries | None = None
        if registry is not None:
            self._metrics = controller_metrics(registry).register_controller(name)

    def _new_queue(self) -> WorkQueue[Request]:
        return WorkQueue(
            self.name, rate_limiter=self._rate_limiter, registry=self._registry, clock=self._clock
        )

    # -- watches -------------------------------------------------------------------------------------

    def enqueue(self, request: Request) -> None:
        """Add a request to the current queue (ignored while the controller is stopped)."""
        self.queue.add(request)

    def event_handler(self, handler: EventHandler, *predicates: Predicate) -> WatchHandler:
        """An informer event handler feeding this controller's queue."""
        return WatchHandler(self.enqueue, handler, predicates)

    def watch(self, source: Source, handler: EventHandler, *predicates: Predicate) -> WatchHandler:
        watch_handler = self.event_handler(handler, *predicates)
        source.add_event_handler(watch_handler)
        self._watches.append((source, watch_handler))
        return watch_handler

    def unwatch(self) -> None:
        """Detach this controller's handlers from its sources (a controller removed for good)."""
        for source, watch_handler in self._watches:
            remove = getattr(source, "remove_event_handler", None)
            if remove is not None:
                remove(watch_handler)
        self._watches.clear()

    # -- lifetime ------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    async def run(self) -> None:
        """Wait for the watched caches to sync, then reconcile until `shutdown` (or cancellation).

        A controller can run again after it stopped (a manager that regains leadership): it starts with a
        fresh queue filled from its caches, as if every cached object had just been added.
        """
        if self._running:
            raise RuntimeError(f"controller {self.name} is already running")
        self._running = True
        try:
            await self._run()
        finally:
            self._running = False

    async def _run(self) -> None:
        try:
            if not await self._wait_for_sources():
                return  # shut down before it started
            self._runs += 1
            if self._runs > 1:
                # Events seen while stopped went nowhere; start from the caches' full state instead.
                for source, watch_handler in self._watches:
                    for obj in source.list():
                        watch_handler.on_add(obj)
            if self._metrics:
                self._metrics.max_concurrent_reconciles.set(self.max_concurrent_reconciles)
            self._log.info("controller_started", workers=self.max_concurrent_reconciles)
            workers = [asyncio.create_task(self._worker()) for _ in range(self.max_concurrent_reconciles)]
            try:
                await asyncio.gather(*workers)
            finally:
                self.queue.shut_down()
                for worker in workers:
                    worker.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                self._log.info("controller_stopped")
        finally:
            # Ready to run again (after a lost lease is regained): a fresh queue, no pending stop.
            self.queue.shut_down()
            self.queue = self._new_queue()
            self._stop_requested = asyncio.Event()

    async def _wait_for_sources(self) -> bool:
        """True once every watched cache has synced; False if shutdown was asked for first."""
        if self._stop_requested.is_set():
            return False
        stop = asyncio.create_task(self._stop_requested.wait())
        try:
            for source, _ in self._watches:
                synced = asyncio.create_task(source.wait_for_sync(self.cache_sync_timeout))
                await asyncio.wait({synced, stop}, return_when=asyncio.FIRST_COMPLETED)
                if not synced.done():
                    synced.cancel()
                    return False
                if not synced.result():
                    raise SourceSyncTimeout(f"controller {self.name}: caches did not sync")
            return not stop.done()
        finally:
            stop.cancel()

    async def shutdown(self, timeout: float | None = None) -> bool:
        """Stop taking work and wait for in-flight reconciles; False if some did not finish in time.

        Requests still queued are dropped, not reconciled: the next leader or start reconciles everything
        from its cache anyway.
        """
        self._stop_requested.set()
        return await self.queue.shut_down_with_drain(timeout)

    async def _worker(self) -> None:
        while True:
            try:
                request = await self.queue.get()
            except ShutDown:
                return
            try:
                if not self._stop_requested.is_set():
                    await self._reconcile(request)
            except Exception:
                # Only a bug in the runtime gets here; the worker must survive it.
                self._log.exception(
                    "controller_internal_error", namespace=request.namespace, name=request.name
                )
            finally:
                self.queue.done(request)

    async def _reconcile(self, request: Request) -> None:
        reconcile_id = str(uuid.uuid4())
        started = time.monotonic()
        metrics = self._metrics
        if metrics:
            metrics.active_workers.inc()
        try:
            with structlog.contextvars.bound_contextvars(controller=self.log_name, reconcileID=reconcile_id):
                result = await self.reconciler.reconcile(request)
            if result is None:  # a forgotten `return Result()` means "done", as it reads
                result = Result()
            elif not isinstance(result, Result):
                raise TypeError(f"reconcile returned {type(result).__name__}, not Result")
        except asyncio.CancelledError:
            raise
        except Exception as err:
            self._on_error(request, err, reconcile_id)
            if metrics:
                metrics.errors.inc()
                metrics.results["error"].inc()
        else:
            outcome = self._on_result(request, result)
            if metrics:
                metrics.results[outcome].inc()
        finally:
            if metrics:
                metrics.active_workers.dec()
                metrics.time.observe(time.monotonic() - started)

    def _on_error(self, request: Request, err: Exception, reconcile_id: str) -> None:
        fields = {
            "namespace": request.namespace,
            "name": request.name,
            "reconcileID": reconcile_id,
            "error": str(err) or type(err).__name__,
        }
        if isinstance(err, TerminalError):
            self.queue.forget(request)
            if self._metrics:
                self._metrics.terminal_errors.inc()
            self._log.error("reconciler_terminal_error", **fields, exc_info=err)
            return
        self.queue.add_rate_limited(request)
        if isinstance(err, Conflict):
            self._log.debug("reconcile_conflict", **fields)
        else:
            self._log.error("reconciler_error", **fields, exc_info=err)

    def _on_result(self, request: Request, result: Result) -> str:
        if result.requeue_after is not None and result.requeue_after > 0:
            self.queue.forget(request)
            self.queue.add_after(request, result.requeue_after)
            return "requeue_after"
        if result.requeue:
            self.queue.add_rate_limited(request)
            return "requeue"
        self.queue.forget(request)
        return "success"
