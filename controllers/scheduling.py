"""The scheduler: decides which composition is synthesized next and dispatches it (synthesis.md §5-§6).

One work item; any Composition or Synthesizer event enqueues it. Each pass reads the whole cache, writes
dependency status where it changed, computes every composition's operation (`eno.scheduling.op`) and
dispatches at most one: the highest priority, if a slot is free and its time has come. The dispatch is a
fenced JSON Patch on the composition's status (`eno.scheduling.dispatch`); the synthesis controller then
runs the pod. Leader-only.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any, Final

import attrs
import structlog

from eno.api.v1 import Composition, DependencyStatus, Synthesizer
from eno.api.v1 import constants as c
from eno.api.v1.predicates import azure_operation_id, azure_operation_origin, synthesizing
from eno.api.v1.times import format_time
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.controller import Controller
from eno.runtime.errors import Conflict, Invalid, NotFound
from eno.runtime.frozen import FrozenDict, thaw
from eno.runtime.gvk import gvk_of_type
from eno.runtime.handler import EnqueueRequestsFromMapFunc
from eno.runtime.manager import Manager
from eno.runtime.objectmeta import Object
from eno.runtime.reconcile import Request, Result
from eno.scheduling import dependencies
from eno.scheduling.dispatch import dispatch_patch
from eno.scheduling.metrics import SchedulingMetrics, scheduling_metrics
from eno.scheduling.op import Op, Reason, cooldown_slot, new_op, op_less, synthesizer_epoch
from eno.scheduling.watchdog import stuck

CONTROLLER_NAME: Final = "scheduling"
LOG_NAME: Final = "schedulingController"
COMPOSITION: Final = gvk_of_type(Composition)
THE_REQUEST: Final = Request("", "scheduler")  # the single work item
CACHE_GRACE: Final = 1.0  # how long to wait for the cache to show our own dispatch

log = structlog.get_logger(__name__)


@attrs.frozen
class Options:
    concurrency_limit: int = 10  # --concurrency-limit
    rollout_cooldown: float = 60.0  # --rollout-cooldown, seconds
    watchdog_threshold: float = 180.0  # --watchdog-threshold, seconds


@attrs.frozen
class _Dispatched:
    namespace: str
    name: str
    uuid: str
    at: float  # monotonic


class _Decoded:
    """Typed compositions by key, decoded again only when their resourceVersion changes: a pass reads
    every composition, and decoding dominated it."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], tuple[str, Composition]] = {}

    def compositions(self, objs: list[FrozenDict]) -> list[Composition]:
        out: list[Composition] = []
        fresh: dict[tuple[str, str], tuple[str, Composition]] = {}
        for obj in objs:
            meta = obj.get("metadata") or {}
            key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
            rv = str(meta.get("resourceVersion") or "")
            hit = self._by_key.get(key)
            comp = hit[1] if hit is not None and hit[0] == rv else Composition.from_dict(thaw(obj))
            fresh[key] = (rv, comp)
            out.append(comp)
        self._by_key = fresh
        return out


class SchedulingReconciler:
    def __init__(self, cache: Cache, client: Client, options: Options, metrics: SchedulingMetrics) -> None:
        self.cache = cache
        self.client = client
        self.options = options
        self.metrics = metrics
        self._last: _Dispatched | None = None
        self._decoded = _Decoded()
        metrics.free_slots.set(options.concurrency_limit)  # non-leaders report every slot free

    async def reconcile(self, request: Request) -> Result:
        started = time.monotonic()
        try:
            return await self._pass()
        finally:
            self.metrics.latency.observe(time.monotonic() - started)

    async def _stale(self) -> float | None:
        """Seconds to wait when the cache does not show our last dispatch yet (None: it does, or too late)."""
        last = self._last
        if last is None:
            return None
        waited = time.monotonic() - last.at
        if waited <= CACHE_GRACE:
            try:
                comp = await self.cache.get(Composition, last.name, last.namespace)
            except NotFound:
                comp = None
            if comp is not None:
                seen = {
                    syn.uuid
                    for syn in (comp.status.current_synthesis, comp.status.in_flight_synthesis)
                    if syn is not None
                }
                if last.uuid not in seen:
                    # Eno waits the elapsed time; the remaining grace is what is meant.
                    return max(0.01, CACHE_GRACE - waited)
        self._last = None
        return None

    async def _pass(self) -> Result:
        wait = await self._stale()
        if wait is not None:
            return Result(requeue_after=wait)
        now = dt.datetime.now(dt.UTC)
        synths = {s.name: s for s in await self.cache.list(Synthesizer)}
        epoch = synthesizer_epoch(synths.values())
        self.metrics.stuck.clear()
        for each in synths.values():
            self.metrics.stuck.labels(synthesizer=each.name, owner=_owner(each)).set(0)
        comps = self._decoded.compositions(await self.cache.list(COMPOSITION))
        slot = cooldown_slot(comps, self.options.rollout_cooldown)
        self.metrics.health.clear()
        ordered, cyclic = dependencies.toposort(comps)
        by_key = {dependencies.comp_key(comp): comp for comp in comps}
        for comp in comps:
            if comp.deleting:
                continue
            # Eno looks only at compositions with dependsOn, so a cycle broken by emptying dependsOn kept
            # its CircularDependency status for ever; every composition is looked at here.
            if comp.spec.depends_on and dependencies.comp_key(comp) in cyclic:
                await self._set_dependency_status(
                    comp, DependencyStatus(blocked=True, reason=c.REASON_CIRCULAR_DEPENDENCY)
                )
            else:
                await self._clear_dependency_status(comp, c.REASON_CIRCULAR_DEPENDENCY)

        in_flight = 0
        best: Op | None = None
        for comp in ordered:
            if synthesizing(comp):
                in_flight += 1
            self._watchdog(comp, synths, now)
            if not comp.deleting and comp.spec.depends_on:
                blocked = dependencies.blocked_by(comp, by_key)
                if blocked:
                    await self._set_dependency_status(
                        comp,
                        DependencyStatus(
                            blocked=True, reason=c.REASON_WAITING_ON_DEPENDENCIES, blocked_by=tuple(blocked)
                        ),
                    )
                    continue
            if not comp.deleting:
                await self._clear_dependency_status(comp, c.REASON_WAITING_ON_DEPENDENCIES)
            synth = synths.get(comp.spec.synthesizer.name)
            if synth is None:
                continue
            op = new_op(synth, comp, slot)
            if op is not None and (best is None or op_less(op, best)):
                best = op
        self.metrics.free_slots.set(self.options.concurrency_limit - in_flight)
        if best is None:
            return Result()
        if in_flight >= self.options.concurrency_limit:
            return Result()  # the event of a synthesis finishing brings the next pass
        if best.not_before is not None and best.not_before > now:
            # Head of line: nothing else goes first, so priorities hold across the wait.
            return Result(requeue_after=max(0.01, (best.not_before - now).total_seconds()))
        comp = best.composition
        if (
            best.reason is Reason.SYNTHESIZER_MODIFIED
            and comp.annotations.get(c.ANNOTATION_GLOBAL_SYNTHESIZER_EPOCH) != epoch
        ):
            # Two-phase: once the cache shows this write, it also shows every composition change made
            # before it, so a stale cache cannot let a rollout overtake a higher-priority change.
            # Optimistically locked like Eno's full Update, without re-sending the whole object.
            patch = {
                "metadata": {
                    "resourceVersion": comp.resource_version,
                    "annotations": {c.ANNOTATION_GLOBAL_SYNTHESIZER_EPOCH: epoch},
                }
            }
            await self.client.patch(Composition, comp.name, comp.namespace, patch, patch_type="merge")
            _log(comp, best).info("synthesizer_epoch_set", epoch=epoch)
            return Result()
        return await self._dispatch(best, now)

    async def _dispatch(self, op: Op, now: dt.datetime) -> Result:
        comp = op.composition
        new_uuid = str(uuid.uuid4())
        patch = dispatch_patch(op, new_uuid, format_time(now))
        try:
            await self.client.patch(
                Composition, comp.name, comp.namespace, patch, patch_type="json", subresource="status"
            )
        except (Invalid, Conflict) as err:
            # A fence (`test`) failed: the cache was behind a status writer. Normal; look again.
            _log(comp, op).info("dispatch_conflict", error=str(err))
            return Result(requeue=True)
        self._last = _Dispatched(comp.namespace, comp.name, new_uuid, time.monotonic())
        previous = comp.status.in_flight_synthesis
        _log(comp, op).info(
            "dispatched_synthesis",
            synthesisUUID=new_uuid,
            reason=op.reason.label,
            deferred=op.reason.deferred,
            supersedes=previous.uuid if previous is not None and previous.canceled is None else None,
        )
        return Result()

    def _watchdog(self, comp: Composition, synths: dict[str, Synthesizer], now: dt.datetime) -> None:
        name = comp.spec.synthesizer.name
        is_stuck = stuck(comp, now, self.options.watchdog_threshold)
        if is_stuck:
            synth = synths.get(name)
            self.metrics.stuck.labels(synthesizer=name, owner=_owner(synth) if synth else "").inc()
        self.metrics.health.labels(
            composition_name=comp.name, composition_namespace=comp.namespace, synthesizer_name=name
        ).set(1 if is_stuck else 0)

    async def _set_dependency_status(self, comp: Composition, status: DependencyStatus) -> None:
        if dependencies.same_dependency_status(comp.status.dependency_status, status):
            return
        await self._patch_status(comp, dependencies.status_patch(status))
        _log(comp).info("dependency_status", reason=status.reason, blocked=status.blocked)

    async def _clear_dependency_status(self, comp: Composition, reason: str) -> None:
        current = comp.status.dependency_status
        if current is None or current.reason != reason:
            return
        await self._patch_status(comp, dependencies.status_patch(None))
        _log(comp).info("dependency_status_cleared", reason=reason)

    async def _patch_status(self, comp: Composition, patch: dict[str, Any]) -> None:
        await self.client.patch(
            Composition, comp.name, comp.namespace, patch, patch_type="merge", subresource="status"
        )


def _owner(synth: Synthesizer) -> str:
    return synth.annotations.get(c.ANNOTATION_OWNER, "")


def _log(comp: Composition, op: Op | None = None) -> Any:
    bound = log.bind(
        controller=LOG_NAME,
        compositionName=comp.name,
        compositionNamespace=comp.namespace,
        compositionGeneration=comp.generation,
        synthesizerName=comp.spec.synthesizer.name,
        operationID=azure_operation_id(comp),
        operationOrigin=azure_operation_origin(comp),
    )
    return bound if op is None else bound.bind(reason=op.reason.label)


def _the_request(_obj: Object) -> list[Request]:
    return [THE_REQUEST]


def setup(manager: Manager, options: Options | None = None) -> Controller:
    """Register the scheduler on `manager`."""
    options = options or Options()
    reconciler = SchedulingReconciler(
        manager.cache, manager.client, options, scheduling_metrics(manager.registry)
    )
    return (
        manager.builder()
        .named(CONTROLLER_NAME, log_name=LOG_NAME)
        .watches(Composition, EnqueueRequestsFromMapFunc(_the_request))
        .watches(Synthesizer, EnqueueRequestsFromMapFunc(_the_request))
        .complete(reconciler)
    )
