"""The batching writer of per-resource state into ResourceSlice status (spec reconciliation.md §5).

Reconciles hand in a *status update*: a function from the slot's current state (wire JSON, `{}` when
empty) to the new state, or None when nothing needs writing. Updates are keyed per slice; within a slice
the latest update per manifest index wins. A per-slice queue delays each flush by 100 ms, or four times
as long as the slice's last flush took, so a burst of updates becomes one request; failed flushes back off
exponentially up to 8 s. (Eno backs off any steady stream of flushes up to 8 s, which under load delays
each readiness-group hand-over by as much: docs/decisions/1100-reconciler-writes.md.)

A flush reads the slice from the informer cache (or, when the cache has not yet seen our last write, the
object that write returned) and sends one JSON Patch to the `status` subresource: `test` each entry it
read, then `replace` it. A stale read fails the `test`, and the updates are retried with backoff; a slice
that no longer exists drops them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from prometheus_client import CollectorRegistry

from eno.api.v1 import ResourceSlice
from eno.reconciler.metrics import ReconcilerMetrics
from eno.resource.identity import ManifestRef
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.errors import ApiError, NotFound
from eno.runtime.frozen import thaw
from eno.runtime.gvk import GVK, gvk_of_type
from eno.runtime.ratelimiter import ItemExponentialFailureRateLimiter
from eno.runtime.workqueue import ShutDown, WorkQueue

log = structlog.get_logger(__name__)

State = dict[str, Any]
StatusUpdate = Callable[[Mapping[str, Any]], State | None]
SliceKey = tuple[str, str]  # (namespace, name)

SLICE: GVK = gvk_of_type(ResourceSlice)
MAX_UPDATES_PER_PATCH = 4998  # Eno's limit: well under the API server's 10,000 JSON Patch operations


def wire_state(
    *, reconciled: bool = False, deleted: bool = False, ready: str | None = None, error: str | None = None
) -> State:
    """A ResourceState as it is stored: false and null fields omitted, an error kept even when empty."""
    state: State = {}
    if reconciled:
        state["reconciled"] = True
    if ready is not None:
        state["ready"] = ready
    if deleted:
        state["deleted"] = True
    if error is not None:
        state["reconciliationError"] = error
    return state


def state_update(*, deleted: bool, ready: str | None, error: str | None = None) -> StatusUpdate:
    """The success path: reconciled, with `deleted`, `ready` and (our addition) the resource's bad-input
    report, which replaces any earlier error."""
    new = wire_state(reconciled=True, deleted=deleted, ready=ready, error=error)

    def update(existing: Mapping[str, Any]) -> State | None:
        return None if dict(existing) == new else new

    return update


def error_update(summary: str) -> StatusUpdate:
    """The failure path: keep the state, record the error; a reconciled slot never shows later errors."""

    def update(existing: Mapping[str, Any]) -> State | None:
        if existing.get("reconciled") or existing.get("reconciliationError") == summary:
            return None
        return wire_state(
            reconciled=bool(existing.get("reconciled")),
            deleted=bool(existing.get("deleted")),
            ready=existing.get("ready"),
            error=summary,
        )

    return update


class FlushPacer:
    """When to flush a slice next: `base` after a success, but never sooner than four times the last
    flush took (a slice's status write costs the server in proportion to the slice, so a steady stream of
    updates spends at most a fifth of the time writing); exponential backoff after failures; all capped
    at `cap`."""

    def __init__(self, base: float, cap: float) -> None:
        self._failures: ItemExponentialFailureRateLimiter[SliceKey] = ItemExponentialFailureRateLimiter(
            base, cap
        )
        self._pace: dict[SliceKey, float] = {}
        self.cap = cap

    def when(self, key: SliceKey) -> float:
        return min(self.cap, max(self._failures.when(key), self._pace.get(key, 0.0)))

    def succeeded(self, key: SliceKey, took: float) -> None:
        self._failures.forget(key)
        self._pace[key] = 4 * took

    def forget(self, key: SliceKey) -> None:
        self._failures.forget(key)
        self._pace.pop(key, None)

    def num_requeues(self, key: SliceKey) -> int:
        return self._failures.num_requeues(key)


class WriteBuffer:
    """A manager runnable; `patch_status` may be called before it runs (updates wait)."""

    def __init__(
        self,
        client: Client,
        cache: Cache,
        metrics: ReconcilerMetrics,
        *,
        registry: CollectorRegistry | None = None,
        base_delay: float = 0.1,
        max_delay: float = 8.0,
        max_updates: int = MAX_UPDATES_PER_PATCH,
    ) -> None:
        self._client = client
        self._cache = cache
        self._metrics = metrics
        self._limiter = FlushPacer(base_delay, max_delay)
        self._registry = registry
        self._max_updates = max_updates
        self._queue = self._new_queue()
        self._pending: dict[SliceKey, dict[int, StatusUpdate]] = {}
        self._scheduled: set[SliceKey] = set()
        # The object our last patch of each slice returned, and the resourceVersion it was patched from:
        # while the cache still shows that version, the returned object is the fresher read.
        self._written: dict[SliceKey, tuple[str, dict[str, Any]]] = {}
        metrics.track_buffer_depth(self.__len__)

    def _new_queue(self) -> WorkQueue[SliceKey]:
        return WorkQueue("writeBuffer", rate_limiter=self._limiter, registry=self._registry)

    def __len__(self) -> int:
        return sum(len(updates) for updates in self._pending.values())

    def patch_status(self, slot: ManifestRef, update: StatusUpdate) -> None:
        key = (slot.slice_namespace, slot.slice_name)
        self._pending.setdefault(key, {})[slot.index] = update
        self._schedule(key)

    def _schedule(self, key: SliceKey) -> None:
        if key not in self._scheduled:
            self._scheduled.add(key)
            self._queue.add_rate_limited(key)

    async def run(self) -> None:
        if self._queue.shutting_down():
            self._queue = self._new_queue()
            self._scheduled.clear()
            for key in self._pending:
                self._schedule(key)
        while True:
            try:
                key = await self._queue.get()
            except ShutDown:
                return
            try:
                await self._process(key)
            finally:
                self._queue.done(key)

    async def shutdown(self, timeout: float | None = None) -> bool:
        return await self._queue.shut_down_with_drain(timeout)

    async def _process(self, key: SliceKey) -> None:
        self._scheduled.discard(key)
        updates = self._pending.pop(key, {})
        if not updates:
            self._limiter.forget(key)
            return
        started = time.monotonic()
        try:
            leftover = await self._flush(key, updates)
        except asyncio.CancelledError:
            self._requeue(key, updates)
            raise
        except Exception as err:  # a failed flush must never lose updates or stop the buffer
            log.warning("slice_status_flush_failed", sliceNamespace=key[0], sliceName=key[1], error=str(err))
            self._requeue(key, updates)
            return
        self._limiter.succeeded(key, time.monotonic() - started)
        if leftover:
            self._requeue(key, leftover)

    def _requeue(self, key: SliceKey, updates: dict[int, StatusUpdate]) -> None:
        newer = self._pending.get(key, {})
        self._pending[key] = {**updates, **newer}
        self._schedule(key)

    async def _read(self, key: SliceKey) -> dict[str, Any] | None:
        cached: dict[str, Any] | None
        try:
            cached = thaw(await self._cache.get(SLICE, key[1], key[0]))
        except NotFound:
            cached = None
        except Exception:
            self._metrics.flush_errors.labels(op="get").inc()
            raise
        written = self._written.get(key)
        if written is not None:
            base_version, returned = written
            if cached is None or _resource_version(cached) == base_version:
                return returned  # the cache has not caught up with our own write yet
            del self._written[key]
        return cached

    async def _flush(self, key: SliceKey, updates: dict[int, StatusUpdate]) -> dict[int, StatusUpdate]:
        """Write what it can; return the updates left for a later flush."""
        obj = await self._read(key)
        if obj is None:
            self._written.pop(key, None)
            return {}  # the slice is gone: so is the state it would have held
        count = len(_list(_dict(obj.get("spec")).get("resources")))
        states = [_dict(s) for s in _list(_dict(obj.get("status")).get("resources"))]
        ops: list[dict[str, Any]] = []
        fresh = not states
        if fresh:
            states = [{} for _ in range(count)]
            ops += [
                {"op": "add", "path": "/status", "value": {}},
                {"op": "test", "path": "/status/resources", "value": None},
                {"op": "add", "path": "/status/resources", "value": states},
            ]
        leftover: dict[int, StatusUpdate] = {}
        written = 0
        for index in sorted(updates):
            if index >= len(states):
                continue  # an index the slice does not have: nothing to write
            if written >= self._max_updates:
                leftover[index] = updates[index]
                continue
            new = updates[index](states[index])
            if new is None:
                continue
            if not fresh:
                ops.append({"op": "test", "path": f"/status/resources/{index}", "value": states[index]})
            ops.append({"op": "replace", "path": f"/status/resources/{index}", "value": new})
            written += 1
        if not written:
            return leftover
        try:
            result = await self._client.patch(SLICE, key[1], key[0], ops, "json", subresource="status")
        except NotFound:
            return {}
        except ApiError:
            self._metrics.flush_errors.labels(op="patch").inc()
            raise
        self._metrics.slice_updates.inc()
        self._written[key] = (_resource_version(obj), result)
        return leftover


def _resource_version(obj: Mapping[str, Any]) -> str:
    return str(_dict(obj.get("metadata")).get("resourceVersion") or "")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
