"""Coalesce input-revision changes into one status write per composition (synthesis.md §4.1).

Many kind-watch controllers may change different keys of one composition in a burst; the buffer keeps the
latest operation per (composition, key) and flushes them together after a short batching window (the
first rate-limited delay, 100 ms). A flush is a merge patch of the status subresource carrying the
resourceVersion it was computed from, so it never overwrites a concurrent status writer (the pruner,
the scheduler); a conflict merges the operations back, without overwriting newer ones, and retries.
"""

from __future__ import annotations

import asyncio
from typing import Final

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge

from eno.api.v1 import Composition
from eno.runtime.client import Client
from eno.runtime.errors import ApiError, Conflict, NotFound
from eno.runtime.gvk import gvk_of_type
from eno.runtime.ratelimiter import ItemExponentialFailureRateLimiter
from eno.runtime.reconcile import Request
from eno.runtime.workqueue import ShutDown, WorkQueue
from eno.watch.revisions import RevisionOp, apply_ops

QUEUE_NAME: Final = "compositionInputRevisionWriteBuffer"
BASE_DELAY: Final = 0.1
MAX_DELAY: Final = 8.0

log = structlog.get_logger(__name__)


class BufferMetrics:
    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.depth = Gauge(
            "eno_input_revision_write_buffer_depth",
            "Compositions waiting for an input revision write",
            registry=registry,
        )
        self.flushes = Counter(
            "eno_input_revision_write_buffer_flush", "Successful input revision flushes", registry=registry
        )
        self.errors = Counter(
            "eno_input_revision_write_buffer_flush_errors",
            "Failed input revision flushes (conflicts not counted)",
            ["op"],
            registry=registry,
        )


class InputRevisionWriteBuffer:
    """A manager runnable (leader-only): `enqueue` from event handlers, flushed by its own worker."""

    def __init__(
        self, client: Client, registry: CollectorRegistry | None = None, *, base_delay: float = BASE_DELAY
    ) -> None:
        self.client = client
        self.name = QUEUE_NAME
        self._registry = registry
        self._base_delay = base_delay
        self._state: dict[Request, dict[str, RevisionOp]] = {}
        self._queued: set[Request] = set()
        self.queue = self._new_queue()
        self.metrics = BufferMetrics(registry)
        self.metrics.depth.set_function(lambda: float(len(self.queue)))

    def _new_queue(self) -> WorkQueue[Request]:
        limiter: ItemExponentialFailureRateLimiter[Request] = ItemExponentialFailureRateLimiter(
            self._base_delay, MAX_DELAY
        )
        return WorkQueue(QUEUE_NAME, rate_limiter=limiter, registry=self._registry)

    def enqueue(self, comp: Request, key: str, op: RevisionOp) -> None:
        """Record the latest operation for `key` of `comp`; the first one opens the batching window."""
        self._state.setdefault(comp, {})[key] = op
        if comp not in self._queued:
            self._queued.add(comp)
            self.queue.add_rate_limited(comp)

    def pending(self, comp: Request) -> dict[str, RevisionOp]:
        return dict(self._state.get(comp, {}))

    async def run(self) -> None:
        try:
            while True:
                try:
                    comp = await self.queue.get()
                except ShutDown:
                    return
                try:
                    await self._process(comp)
                finally:
                    self.queue.done(comp)
        finally:
            self.queue.shut_down()
            # A later run (leadership regained) starts clean: the watches re-list and re-enqueue.
            self.queue = self._new_queue()
            self._state.clear()
            self._queued.clear()

    async def shutdown(self, timeout: float | None = None) -> bool:
        return await self.queue.shut_down_with_drain(timeout)

    async def _process(self, comp: Request) -> None:
        self._queued.discard(comp)
        ops = self._state.pop(comp, {})
        if not ops:
            self._settle(comp)
            return
        try:
            ok = await self._flush(comp, ops)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("input_revision_flush_failed", compositionName=comp.name)
            ok = False
        if ok:
            self._settle(comp)
            return
        # Put the operations back under any that arrived meanwhile (those are newer), and retry later.
        merged = dict(ops)
        merged.update(self._state.get(comp, {}))
        self._state[comp] = merged
        if comp not in self._queued:
            self._queued.add(comp)
            self.queue.add_rate_limited(comp)

    def _settle(self, comp: Request) -> None:
        if comp in self._queued:
            return  # new work arrived during the flush: keep backing off under sustained churn
        self.queue.forget(comp)

    async def _flush(self, comp: Request, ops: dict[str, RevisionOp]) -> bool:
        gvk = gvk_of_type(Composition)
        try:
            current = await self.client.get(gvk, comp.name, comp.namespace)
        except NotFound:
            return True
        except ApiError as err:
            self.metrics.errors.labels(op="get").inc()
            log.info("input_revision_get_failed", compositionName=comp.name, error=str(err))
            return False
        status = current.get("status") or {}
        revisions = apply_ops(status.get("inputRevisions") or [], ops)
        if revisions is None:
            return True
        patch = {
            "metadata": {"resourceVersion": (current.get("metadata") or {}).get("resourceVersion")},
            "status": {"inputRevisions": revisions},
        }
        try:
            await self.client.patch(
                gvk, comp.name, comp.namespace, patch, patch_type="merge", subresource="status"
            )
        except NotFound:
            return True
        except Conflict:
            return False
        except ApiError as err:
            self.metrics.errors.labels(op="patch").inc()
            log.info("input_revision_patch_failed", compositionName=comp.name, error=str(err))
            return False
        self.metrics.flushes.inc()
        log.debug(
            "input_revisions_written",
            compositionName=comp.name,
            compositionNamespace=comp.namespace,
            keys=sorted(ops),
        )
        return True
