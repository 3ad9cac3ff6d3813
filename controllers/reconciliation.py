"""The eno-reconciler: synthesized resources become real objects (spec reconciliation.md §2-§5).

Two controllers share one in-memory `SynthesisCache` (eno.resource.cache):
- `reconstitutionController`, keyed by composition, watches Compositions and their ResourceSlices. It loads
  a composition's previous synthesis, then its current one (each from a live read of its slices, once per
  UUID), feeds the slices' status to the dependency tree and enqueues the resources the tree releases.
- `reconciliationController` has one work item per resource (`ResourceRequest`). Each pass reads the live
  object, applies the resource's overrides, writes (server-side apply as `eno`, force; a dry run first, so
  an object already in sync costs no write), and, on a pass that changed nothing, records the resource's
  state in its slice's status through the batching `WriteBuffer`.

Beyond Eno (docs/decisions/1100, 1101): a plain resource (no overrides, nothing dropped since the previous
synthesis) is applied without reading it first, its state recorded from the apply's answer; a resync of an
unchanged resource costs no request (eno.reconciler.watch), and drift on a resource with a reconcile
interval is corrected when the watch reports it; a change of a composition's metadata re-evaluates the
resources that depend on it at once, so an ownership hand-off (migration.md) does not wait for an interval.
"""

from __future__ import annotations

import copy
import datetime
import time
from collections.abc import Hashable, Mapping
from typing import Any

import attrs
import structlog

from controllers.events import WARNING, EventRecorder
from eno.api.v1 import Composition, ResourceSlice, Symphony
from eno.api.v1 import constants as c
from eno.api.v1.composition import Synthesis
from eno.cel.engine import Engine, Program, default_engine
from eno.reconciler.compositions import Compositions, composition_view
from eno.reconciler.echoes import Echoes
from eno.reconciler.guard import OwnershipGuard, object_key, writing_as
from eno.reconciler.metrics import ReconcilerMetrics
from eno.reconciler.ownership import CompositionKey, Decision, Verdict
from eno.reconciler.pruning import drops_fields
from eno.reconciler.shards import REASON as REASON_SPLIT
from eno.reconciler.shards import ShardCheck
from eno.reconciler.watch import ObjectKey, ObjectWatch, Verified
from eno.reconciler.writebuffer import WriteBuffer, error_update, state_update
from eno.resource.cache import SynthesisCache
from eno.resource.fieldmanager import compare, merge_eno_managed_fields, normalize_conflicting_managers
from eno.resource.identity import ManifestRef, Ref
from eno.resource.mergepatch import create_merge_patch
from eno.resource.overrides import CompositionMetadata
from eno.resource.policy import (
    RequeueIntervals,
    reported_deleted,
    requeue_after,
    should_fail_open,
    summarize_error,
)
from eno.resource.readiness import evaluate_checks, not_ready_reason
from eno.resource.resource import Resource, parse_manifest
from eno.resource.snapshot import Snapshot, snapshot
from eno.runtime.cache import Cache, InformerOptions
from eno.runtime.client import Client
from eno.runtime.controller import Controller
from eno.runtime.errors import NotFound, UnknownKind
from eno.runtime.gvk import GVK
from eno.runtime.manager import Manager
from eno.runtime.ratelimiter import ItemExponentialFailureRateLimiter
from eno.runtime.reconcile import Request, Result

RECONCILIATION_CONTROLLER = "reconciliationController"
RECONSTITUTION_CONTROLLER = "reconstitutionController"

log = structlog.get_logger(__name__)


@attrs.frozen
class Options:
    """The reconciler's flags (spec §9), with Eno's defaults; durations in seconds."""

    readiness_poll_interval: float = 5.0
    min_reconcile_interval: float = 1.0
    default_reconcile_interval: float = 300.0
    disable_ssa: bool = False
    fail_open: bool = False
    max_concurrent_reconciles: int = 1
    resource_filter: str = ""  # CEL; compiled once at setup (an invalid one fails setup)
    composition_namespace: str = ""  # "" = all; applied through the cache (`cache_options`)
    composition_label_selector: str = ""  # "" = everything; applied through the cache
    write_buffer_base_delay: float = 0.1
    write_buffer_max_delay: float = 8.0
    # Beyond Eno (issue 10): watch managed objects, so an unchanged resource costs no request on resync and
    # drift on a resource with a reconcile interval is corrected when the watch reports it.
    watch_objects: bool = True
    migrating_field_managers: tuple[str, ...] = ()  # --migrating-field-managers (spec §8.3)
    migrating_fields: tuple[str, ...] = ()  # --migrating-fields: dot-separated field prefixes
    engine: Engine | None = None  # the CEL engine (default: eno.cel.default_engine())

    @property
    def intervals(self) -> RequeueIntervals:
        return RequeueIntervals(
            readiness_poll=datetime.timedelta(seconds=self.readiness_poll_interval),
            min_reconcile=datetime.timedelta(seconds=self.min_reconcile_interval),
            default_reconcile=datetime.timedelta(seconds=self.default_reconcile_interval),
        )


def blank_manifests(obj: dict[str, Any]) -> dict[str, Any]:
    """The informer's copy of a ResourceSlice: manifests emptied (the reconciler reads them live, once per
    synthesis), the list's length and the status kept."""
    spec = obj.get("spec")
    if isinstance(spec, dict) and isinstance(spec.get("resources"), list):
        blanked = [{**r, "manifest": ""} if isinstance(r, dict) else r for r in spec["resources"]]
        obj = {**obj, "spec": {**spec, "resources": blanked}}
    return obj


def cache_options(options: Options) -> dict[GVK | type[Any], InformerOptions]:
    """How the eno-reconciler process builds its cache (spec §2.1): compositions limited to
    `--composition-namespace` and `--composition-label-selector`, slices to the namespace with their
    manifests blanked. Only for a cache no other controller reads slice manifests from."""
    namespace = options.composition_namespace or None
    return {
        Composition: InformerOptions(
            namespace=namespace, label_selector=options.composition_label_selector or None
        ),
        ResourceSlice: InformerOptions(namespace=namespace, transform=blank_manifests),
    }


@attrs.frozen
class ResourceRequest(Request):
    """A reconciliation work item: `ref` of the composition `namespace`/`name`, always resolved against the
    composition's current synthesis (it carries no UUID)."""

    ref: Ref

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}: {self.ref}"


def _time(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _metadata(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    metadata = obj.get("metadata") if obj is not None else None
    return metadata if isinstance(metadata, Mapping) else {}


def status_error(err: BaseException) -> str:
    """The `reconciliationError` of a failed pass: Eno's summary (§3.9), or, where Eno says nothing, what
    the user can fix: a missing namespace, an empty namespace on a namespaced kind, an unserved kind."""
    summary = summarize_error(err)
    if summary:
        return summary
    if isinstance(err, NotFound | UnknownKind) or (isinstance(err, ValueError) and "namespace" in str(err)):
        return str(err.message if isinstance(err, NotFound | UnknownKind) else err)
    return ""


def _bad_input(resource: Resource, snap: Snapshot | None) -> str | None:
    """The resource's own problems (invalid annotations, override ops that failed), for its status."""
    errors = [*resource.strict_errors, *(snap.errors if snap is not None else ())]
    return "; ".join(str(e) for e in errors) if errors else None


class Reconstitution:
    """Keyed by composition: keeps the synthesis cache filled and the reconciliation queue fed (§2.2)."""

    def __init__(
        self,
        cache: Cache,
        client: Client,
        synthesis_cache: SynthesisCache,
        enqueue: Controller,
        buffer: WriteBuffer,
        metrics: ReconcilerMetrics,
        engine: Engine,
        echoes: Echoes,
    ) -> None:
        self.echoes = echoes
        self.cache = cache
        self.client = client
        self.synthesis_cache = synthesis_cache
        self.reconciliation = enqueue
        self.buffer = buffer
        self.metrics = metrics
        self.engine = engine
        self._metadata: dict[tuple[str, str], CompositionMetadata] = {}
        self.guard: OwnershipGuard | None = None
        self.shards: ShardCheck | None = None

    async def reconcile(self, request: Request) -> Result:
        key = (request.namespace, request.name)
        try:
            comp = await self.cache.get(Composition, request.name, request.namespace)
        except NotFound:
            if self.guard is not None:
                self.guard.forget_composition(CompositionKey(*key))
            self.synthesis_cache.purge(key)
            self.echoes.forget(key, set())
            self._metadata.pop(key, None)
            return Result()
        if self.shards is not None:
            self.shards.observe(comp)
        meta = CompositionMetadata.from_composition(comp)
        self._hand_off(key, meta, comp)
        current, previous = comp.status.current_synthesis, comp.status.previous_synthesis
        for synthesis in (previous, current):
            if synthesis is None or synthesis.synthesized is None:
                continue
            slices = await self._cached_slices(synthesis, request.namespace)
            if slices is None:
                continue  # a slice is not in the cache yet: its event brings us back
            loaded, requests = self.synthesis_cache.visit(meta, synthesis.uuid, slices)
            if loaded and self.guard is not None and synthesis is current:
                for res in self.synthesis_cache.resources(synthesis.uuid):
                    # A new rival: the incumbents decide again (their owner series, their marker).
                    for rival in self.guard.present(CompositionKey(*key), res.ref):
                        self._enqueue((rival.namespace, rival.name), res.ref)
            if loaded:
                for item in requests:
                    if not self._echo(key, synthesis.uuid, item.ref):
                        self._enqueue(key, item.ref)
                continue
            await self._fill(meta, synthesis, request.namespace)
            return Result(requeue=True)  # the next pass visits it, which enqueues its resources
        keep = {s.uuid for s in (current, previous) if s is not None}
        self.synthesis_cache.purge(key, keep)
        self.echoes.forget(key, keep)
        return Result()

    def forget_metadata(self) -> None:
        self._metadata.clear()

    def _echo(self, key: tuple[str, str], uuid: str, ref: Ref) -> bool:
        found = self.synthesis_cache.get(uuid, ref)
        if found is None:
            return False
        slot = found[0].manifest_ref
        return self.echoes.is_echo(key, uuid, slot, self.synthesis_cache.state(uuid, ref))

    def _enqueue(self, key: tuple[str, str], ref: Ref) -> None:
        self.reconciliation.enqueue(ResourceRequest(key[0], key[1], ref))

    def _hand_off(self, key: tuple[str, str], meta: CompositionMetadata, comp: Composition) -> None:
        """Re-evaluate the resources whose view of the composition's metadata changed."""
        before = self._metadata.get(key)
        self._metadata[key] = meta
        if before is None or (before.labels == meta.labels and before.annotations == meta.annotations):
            return
        if self.guard is not None:
            self.guard.metrics.metadata_changed(CompositionKey(*key))
        synthesis = comp.status.current_synthesis
        if synthesis is None:
            return
        for resource in self.synthesis_cache.resources(synthesis.uuid):
            if composition_view(resource, before) != composition_view(resource, meta):
                self._enqueue(key, resource.ref)

    async def _cached_slices(self, synthesis: Synthesis, namespace: str) -> list[ResourceSlice] | None:
        slices = []
        for ref in synthesis.resource_slices:
            try:
                slices.append(await self.cache.get(ResourceSlice, ref.name, namespace))
            except NotFound:
                return None
        return slices

    async def _fill(self, meta: CompositionMetadata, synthesis: Synthesis, namespace: str) -> None:
        slices = []
        for ref in synthesis.resource_slices:
            try:
                slices.append(await self.client.get(ResourceSlice, ref.name, namespace))
            except NotFound:
                continue
        result = self.synthesis_cache.fill(meta, synthesis.uuid, slices)
        if result.filter_errors:
            self.metrics.filter_errors.inc(result.filter_errors)
        if result.errors:
            self._report_invalid(synthesis.uuid, slices)

    def _report_invalid(self, uuid: str, slices: list[ResourceSlice]) -> None:
        """Manifests that could not be parsed never reconcile: say why on their slots."""
        loaded = {r.manifest_ref for r in self.synthesis_cache.resources(uuid)}
        for piece in slices:
            for index, manifest in enumerate(piece.spec.resources):
                slot = ManifestRef(piece.namespace, piece.name, index)
                if slot in loaded:
                    continue
                parsed = parse_manifest(manifest.manifest, self.engine, slot)
                if not isinstance(parsed, Resource):
                    self.buffer.patch_status(slot, error_update(str(parsed)))


@attrs.frozen
class _Pass:
    snap: Snapshot | None = None
    current: dict[str, Any] | None = None
    ready: str | None = None
    modified: bool = False
    error: Exception | None = None
    ownership: Decision | None = (
        None  # the guard refused the write (CONFLICT) or handed a delete over (YIELD)
    )


class Reconciler:
    """One resource per request: the per-resource algorithm of spec §3."""

    def __init__(
        self,
        cache: Cache,
        client: Client,
        synthesis_cache: SynthesisCache,
        buffer: WriteBuffer,
        metrics: ReconcilerMetrics,
        options: Options,
        echoes: Echoes,
        watch: ObjectWatch | None = None,
    ) -> None:
        self.passes = 0  # reconcile calls, for tests and benchmarks
        self._not_ready: dict[ResourceRequest, str] = {}
        self.watch = watch
        self.echoes = echoes
        self.compositions = Compositions(cache)
        self.cache = cache
        self.client = client
        self.synthesis_cache = synthesis_cache
        self.buffer = buffer
        self.metrics = metrics
        self.options = options
        self.intervals = options.intervals
        self.guard: OwnershipGuard | None = None

    async def reconcile(self, request: Request) -> Result:
        if not isinstance(request, ResourceRequest):
            return Result()
        self.passes += 1
        self.metrics.in_flight.inc()
        ref = request.ref
        try:
            # Eno's log fields, on every line this pass logs (including the controller's error line).
            writing_as.set(CompositionKey(request.namespace, request.name))
            with structlog.contextvars.bound_contextvars(
                compositionName=request.name,
                compositionNamespace=request.namespace,
                resourceKind=ref.kind,
                resourceName=ref.name,
                resourceNamespace=ref.namespace,
            ):
                return await self._reconcile(request)
        finally:
            self.metrics.in_flight.dec()

    async def _reconcile(self, request: ResourceRequest) -> Result:
        try:
            comp = await self.compositions.get(request.namespace, request.name)
        except NotFound:
            self._forget(request)
            return Result()
        current_synthesis = comp.status.current_synthesis
        if current_synthesis is None:
            return Result()
        found = self.synthesis_cache.get(current_synthesis.uuid, request.ref)
        if found is None:
            self._forget(request)  # no longer synthesized (or not loaded yet): nothing to watch for it
            return Result()
        if not found[1]:
            return Result()  # waiting for others: the tree enqueues it when released
        resource = found[0]
        previous = None
        if comp.status.previous_synthesis is not None:
            before = self.synthesis_cache.get(comp.status.previous_synthesis.uuid, request.ref)
            previous = before[0] if before is not None else None
        meta = CompositionMetadata.from_composition(comp)
        state = self.synthesis_cache.state(current_synthesis.uuid, request.ref)
        known_ready = state.ready if state else None
        key = _object_key(resource)
        me = CompositionKey(request.namespace, request.name)
        contested = False
        if self.guard is not None:
            self.guard.present(me, request.ref)
            contested = self.guard.contested(request.ref)
        if self.watch is not None and known_ready is not None and not contested:
            verified = self.watch.unchanged(request, key, resource, composition_view(resource, meta))
            if verified is not None:  # nothing changed since a pass found it in sync: no request at all
                return self._finish(
                    request, current_synthesis.uuid, resource, verified.snap, verified.deleted, known_ready
                )
        outcome = await self._reconcile_resource(meta, previous, resource, known_ready, me)
        if outcome.ownership is not None and outcome.ownership.verdict is Verdict.CONFLICT:
            return await self._lost(request, me, resource, outcome)
        if outcome.modified and self.guard is not None:
            self.guard.wrote(me, request.ref)

        failing_open = should_fail_open(outcome.snap, resource, self.options.fail_open)
        error, modified = outcome.error, outcome.modified
        if failing_open:
            error, modified = None, False
        if error is not None:
            self._forget(request)
            self.buffer.patch_status(resource.manifest_ref, error_update(status_error(error)))
            raise error  # backoff per resource
        if modified:
            return Result(requeue=True)
        snap = outcome.snap
        deleted = reported_deleted(outcome.current, snap, failing_open) if snap is not None else True
        if outcome.ownership is not None and outcome.ownership.verdict is Verdict.YIELD:
            # Handed over to the composition that still holds it: done here, without deleting it.
            self._forget(request)
            return self._finish(request, current_synthesis.uuid, resource, snap, True, outcome.ready)
        if self.watch is not None and snap is not None and outcome.current is not None and not failing_open:
            version = str(_metadata(outcome.current).get("resourceVersion") or "")
            view = composition_view(resource, meta)
            verified = Verified(resource, view, version, snap, deleted, self._drift_interval(snap))
            self.watch.record(request, key, verified)
        self._diagnose(request, resource, outcome)
        return self._finish(request, current_synthesis.uuid, resource, snap, deleted, outcome.ready)

    def _diagnose(self, request: ResourceRequest, resource: Resource, outcome: _Pass) -> None:
        """Log why a resource is not ready, when the reason changes (spec §4)."""
        if outcome.ready is not None or not resource.readiness_checks:
            self._not_ready.pop(request, None)
            return
        reason = not_ready_reason(resource.readiness_checks, outcome.current)
        if self._not_ready.get(request) != reason:
            self._not_ready[request] = reason
            log.info("resource_not_ready", reason=reason)

    def _forget(self, request: ResourceRequest) -> None:
        if self.watch is not None:
            self.watch.forget(request)
        if self.guard is not None:
            self.guard.release(CompositionKey(request.namespace, request.name), request.ref)

    async def _lost(
        self, request: ResourceRequest, me: CompositionKey, resource: Resource, outcome: _Pass
    ) -> Result:
        """Another composition keeps the object: no write; the conflict on status (not Ready), as an Event
        and a metric; look again at the resource's interval (the winner may go away)."""
        assert self.guard is not None and outcome.ownership is not None
        await self.guard.conflict(me, request.ref, outcome.ownership)
        self.buffer.patch_status(
            resource.manifest_ref,
            state_update(deleted=False, ready=None, error=outcome.ownership.reason()),
        )
        delay = requeue_after(outcome.snap, None, self.intervals) if outcome.snap is not None else None
        seconds = delay.total_seconds() if delay is not None else self.options.default_reconcile_interval
        return Result(requeue_after=max(seconds, self.options.min_reconcile_interval))

    def _finish(
        self,
        request: ResourceRequest,
        uuid: str,
        resource: Resource,
        snap: Snapshot | None,
        deleted: bool,
        ready: str | None,
    ) -> Result:
        """Record the verified state and say when to look again."""
        self.buffer.patch_status(
            resource.manifest_ref,
            state_update(deleted=deleted, ready=ready, error=_bad_input(resource, snap)),
        )
        self.echoes.record(
            (request.namespace, request.name), uuid, resource.manifest_ref, (True, deleted, ready)
        )
        delay = requeue_after(snap, ready, self.intervals)
        return Result(requeue_after=delay.total_seconds()) if delay is not None else Result()

    def _drift_interval(self, snap: Snapshot) -> float | None:
        """How often a change by someone else may be corrected at once: the resource's reconcile interval
        (floored like the requeue), none without one."""
        if snap.reconcile_interval is not None:
            interval = snap.reconcile_interval.total_seconds()
        elif snap.use_default_interval:
            interval = self.options.default_reconcile_interval
        else:
            return None
        return max(interval, self.options.min_reconcile_interval)

    async def _reconcile_resource(
        self,
        meta: CompositionMetadata,
        previous: Resource | None,
        resource: Resource,
        known_ready: str | None,
        me: CompositionKey,
    ) -> _Pass:
        guard = self.guard
        if self._applies_blind(resource, previous) and (guard is None or not guard.contested(resource.ref)):
            return await self._apply_blind(meta, resource, known_ready)
        if guard is None:
            return await self._checked(meta, previous, resource, known_ready, None)
        async with guard.locks.hold(object_key(resource.ref)):  # one writer per object at a time
            return await self._checked(meta, previous, resource, known_ready, me)

    async def _checked(
        self,
        meta: CompositionMetadata,
        previous: Resource | None,
        resource: Resource,
        known_ready: str | None,
        me: CompositionKey | None,
    ) -> _Pass:
        try:
            current = await self._get(resource)
        except Exception as err:
            return _Pass(error=err)
        ready = self._ready(resource, current, known_ready)
        snap = snapshot(resource, meta, current)
        if self.guard is not None and me is not None:
            decision = await self.guard.decide(me, snap, current)
            if decision.verdict is Verdict.CONFLICT:
                return _Pass(snap, current, None, ownership=decision)
            if decision.verdict is Verdict.YIELD:
                log.info("delete_handed_over", heir=str(decision.winner))
                return _Pass(snap, current, ready, ownership=decision)
        try:
            modified = await self._reconcile_snapshot(meta, previous, snap, current)
        except Exception as err:
            return _Pass(snap, current, ready, error=err)
        return _Pass(snap, current, ready, modified)

    def _applies_blind(self, resource: Resource, previous: Resource | None) -> bool:
        """Whether the desired object does not depend on the live one, so a forced apply can stand in for
        Eno's GET, dry run and compare (an apply that changes nothing writes nothing, and its answer is
        the live object, verified in sync): a plain server-side-applied resource without overrides whose
        manifest dropped no field since the previous synthesis (else the managed-fields hand-back of §8.2
        needs the live object)."""
        return (
            not self.options.disable_ssa
            and not (self.options.migrating_field_managers and self.options.migrating_fields)
            and not resource.is_patch
            and not resource.overrides
            and not resource.deleted
            and not resource.composition_deleted
            and (previous is None or not drops_fields(previous.manifest, resource.manifest))
        )

    async def _apply_blind(
        self, meta: CompositionMetadata, resource: Resource, known_ready: str | None
    ) -> _Pass:
        snap = snapshot(resource, meta, None)  # no overrides: the live object plays no part
        if snap.deleted or snap.disable_updates or snap.replace:
            try:
                current = await self._get(resource)
                modified = await self._reconcile_snapshot(meta, None, snap, current)
            except Exception as err:
                return _Pass(snap, error=err)
            return _Pass(snap, current, self._ready(resource, current, known_ready), modified)
        started = time.monotonic()
        try:
            self.metrics.actions.labels(action="apply").inc()
            current = await self._update(meta, None, snap, None, dry_run=False)
        except Exception as err:
            return _Pass(snap, error=err)
        finally:
            self.metrics.duration.observe(time.monotonic() - started)
        return _Pass(snap, current, self._ready(resource, current, known_ready))

    @staticmethod
    def _ready(resource: Resource, current: Mapping[str, Any] | None, known: str | None) -> str | None:
        if known is not None:
            return known
        when = evaluate_checks(resource.readiness_checks, current, datetime.datetime.now(datetime.UTC))
        return _time(when.time) if when is not None else None

    async def _get(self, resource: Resource) -> dict[str, Any] | None:
        """The live object, or None when it does not exist, its namespace is empty or its kind unserved."""
        try:
            return await self.client.get(_gvk(resource), resource.ref.name, resource.ref.namespace or None)
        except (NotFound, UnknownKind):
            return None
        except ValueError as err:
            if "namespace" in str(err):
                return None
            raise

    async def _reconcile_snapshot(
        self,
        meta: CompositionMetadata,
        previous: Resource | None,
        snap: Snapshot,
        current: dict[str, Any] | None,
    ) -> bool:
        """Whether this pass changed the object (the next pass verifies and records the state)."""
        if snap.disable:
            return False
        started = time.monotonic()
        try:
            return await self._write(meta, previous, snap, current)
        finally:
            self.metrics.duration.observe(time.monotonic() - started)

    async def _write(
        self,
        meta: CompositionMetadata,
        previous: Resource | None,
        snap: Snapshot,
        current: dict[str, Any] | None,
    ) -> bool:
        resource = snap.resource
        gvk, name, namespace = _gvk(resource), resource.ref.name, resource.ref.namespace or None
        if snap.deleted:
            if (
                current is None
                or _metadata(current).get("deletionTimestamp")
                or (snap.orphan and meta.deletion_timestamp is not None)
                or meta.labels.get(c.LABEL_SYMPHONY_DELETING) == "true"
            ):
                return False
            self.metrics.actions.labels(action="delete").inc()
            log.info("deleting_resource")
            try:
                await self.client.delete(gvk, name, namespace)
            except NotFound:
                pass
            return True
        if resource.is_patch and current is None:
            return False  # a Patch never creates its target
        if current is None and (snap.disable_updates or snap.replace or self.options.disable_ssa):
            self.metrics.actions.labels(action="create").inc()
            log.info("creating_resource")
            await self.client.create(snap.obj)
            return True
        if snap.disable_updates:
            return False
        assert current is not None or not resource.is_patch
        if resource.is_patch:
            assert current is not None
            ops = snap.patch_ops
            if not ops:
                return False
            self.metrics.actions.labels(action="patch").inc()
            log.debug("patching_resource")
            patched = await self.client.patch(gvk, name, namespace, ops, "json")
            return _metadata(patched).get("resourceVersion") != _metadata(current).get("resourceVersion")
        if not self.options.disable_ssa and current is not None:
            current = await self._migrate_managers(resource, current)
        if not self.options.disable_ssa and current is not None:
            dry = await self._update(meta, previous, snap, current, dry_run=True)
            if compare(dry, current):
                return False  # in sync: no write
            if (
                previous is not None
                and not snap.replace
                and await self._hand_back(meta, previous, snap, current, dry)
            ):
                return True
        log.debug("applying_resource")
        self.metrics.actions.labels(action="apply").inc()
        updated = await self._update(meta, previous, snap, current, dry_run=False)
        if current is not None:
            version = _metadata(current).get("resourceVersion")
            return bool(_metadata(updated).get("resourceVersion") != version)
        return True

    async def _migrate_managers(self, resource: Resource, current: dict[str, Any]) -> dict[str, Any] | None:
        """Move fields the `--migrating-field-managers` own under `--migrating-fields` to `eno` (spec
        §8.3), then continue with the object as it is now (None if it vanished)."""
        managers, fields = self.options.migrating_field_managers, self.options.migrating_fields
        if not managers or not fields:
            return current
        normalized = normalize_conflicting_managers(_managed_fields(current), managers, fields)
        if normalized.error is not None:
            raise RuntimeError(normalized.error)
        if not normalized.modified or normalized.managed_fields is None:
            return current
        ops = [
            {"op": "replace", "path": "/metadata/managedFields", "value": normalized.managed_fields},
            {"op": "replace", "path": "/metadata/resourceVersion", "value": _version(current)},
        ]
        gvk, name, namespace = _gvk(resource), resource.ref.name, resource.ref.namespace or None
        await self.client.patch(gvk, name, namespace, ops, "json")
        log.info("field_managers_migrated", resourceRef=str(resource.ref), managers=list(managers))
        return await self._get(resource)

    async def _update(
        self,
        meta: CompositionMetadata,
        previous: Resource | None,
        snap: Snapshot,
        current: dict[str, Any] | None,
        *,
        dry_run: bool,
    ) -> dict[str, Any]:
        """Write the desired object (§3.5): full PUT with `replace`, a merge patch with --disable-ssa,
        otherwise a forced server-side apply as `eno`; the live resourceVersion guards against races."""
        resource = snap.resource
        body = snap.obj
        if self.guard is not None:
            body = self.guard.mark(body, resource.ref, current, dry_run=dry_run)
        if current is not None:
            body = {**body, "metadata": {**_metadata(body), "resourceVersion": _version(current)}}
        if snap.replace:
            return await self.client.update(body, dry_run=dry_run)
        gvk, name, namespace = _gvk(resource), resource.ref.name, resource.ref.namespace or None
        if self.options.disable_ssa:
            base: dict[str, Any] = {}
            if previous is not None:
                base = snapshot(previous, meta, current).obj
            patch = create_merge_patch(base, body)
            return await self.client.patch(gvk, name, namespace, patch, "merge", dry_run=dry_run)
        return await self.client.patch(
            gvk,
            name,
            namespace,
            body,
            "apply",
            field_manager=c.FIELD_MANAGER,
            force=True,
            dry_run=dry_run,
        )

    async def _hand_back(
        self,
        meta: CompositionMetadata,
        previous: Resource,
        snap: Snapshot,
        current: dict[str, Any],
        dry: dict[str, Any],
    ) -> bool:
        """Give `eno` back the fields it dropped since the previous synthesis that another manager took,
        so the next apply prunes them (spec §8.2). True when it rewrote managedFields."""
        resource = snap.resource
        prev_snap = snapshot(resource, meta, current, manifest=previous.manifest)
        dry_prev = await self.client.patch(
            _gvk(resource),
            resource.ref.name,
            resource.ref.namespace or None,
            prev_snap.obj,
            "apply",
            field_manager=c.FIELD_MANAGER,
            force=True,
            dry_run=True,
        )
        merged, modified = merge_eno_managed_fields(
            _managed_fields(dry_prev), _managed_fields(current), _managed_fields(dry)
        )
        if not modified or merged is None:
            return False
        rewritten = copy.deepcopy(current)
        rewritten["metadata"]["managedFields"] = merged
        await self.client.update(rewritten, field_manager=c.FIELD_MANAGER)
        return True


def _managed_fields(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    entries = _metadata(obj).get("managedFields")
    return [e for e in entries if isinstance(e, Mapping)] if isinstance(entries, list) else []


def _version(obj: Mapping[str, Any]) -> str:
    return str(_metadata(obj).get("resourceVersion") or "")


def _object_key(resource: Resource) -> ObjectKey:
    return _gvk(resource), resource.ref.namespace, resource.ref.name


def _gvk(resource: Resource) -> GVK:
    return GVK(resource.gvk.group, resource.gvk.version, resource.gvk.kind)


@attrs.frozen
class Reconcilers:
    """What `setup` registered, for tests and the command."""

    reconciliation: Controller
    reconstitution: Controller
    buffer: WriteBuffer
    metrics: ReconcilerMetrics
    fresh_start: FreshStart


class FreshStart:
    """A leader-only runnable that runs (and returns) just before the controllers start, each time they
    start: the tree enqueues a resource only when first seen or when its state changes, so a replica that
    regains leadership must forget what it had loaded, or nothing would be reconciled again."""

    def __init__(
        self,
        engine: Engine,
        resource_filter: Program | None,
        reconciler: Reconciler,
        reconstitution: Reconstitution,
    ) -> None:
        self._engine = engine
        self._filter = resource_filter
        self._reconciler = reconciler
        self._reconstitution = reconstitution
        self.starts = 0

    async def run(self) -> None:
        fresh = SynthesisCache(self._engine, self._filter)
        echoes = Echoes()
        self._reconciler.synthesis_cache = self._reconstitution.synthesis_cache = fresh
        self._reconciler.echoes = self._reconstitution.echoes = echoes
        self._reconstitution.forget_metadata()
        if self._reconciler.guard is not None:
            self._reconciler.guard.forget_all()
        if self._reconciler.watch is not None:
            self._reconciler.watch.forget_all()
        self.starts += 1


def setup(
    manager: Manager, options: Options | None = None, *, downstream: Client | None = None
) -> Reconcilers:
    """Register the reconstitution and reconciliation controllers and the status write buffer.

    `downstream` is the client for the managed objects (`--remote-kubeconfig`); Eno's own objects
    (compositions, slices and their status) always go through the manager's client."""
    options = options or Options()
    scoped = manager.cache.options_for(Composition)
    if (scoped.namespace or "", scoped.label_selector or "") != (
        options.composition_namespace,
        options.composition_label_selector,
    ):
        raise ValueError("sharding needs the manager's cache built with cache_options(options)")
    engine = options.engine or default_engine()
    resource_filter: Program | None = (
        engine.compile(options.resource_filter) if options.resource_filter else None
    )
    metrics = ReconcilerMetrics(manager.registry)
    synthesis_cache = SynthesisCache(engine, resource_filter)
    buffer = WriteBuffer(
        manager.client,
        manager.cache,
        metrics,
        registry=manager.registry,
        base_delay=options.write_buffer_base_delay,
        max_delay=options.write_buffer_max_delay,
    )
    echoes = Echoes()
    objects = downstream or manager.client
    reconciler = Reconciler(manager.cache, objects, synthesis_cache, buffer, metrics, options, echoes)
    reconciliation = Controller(
        RECONCILIATION_CONTROLLER,
        reconciler,
        max_concurrent_reconciles=options.max_concurrent_reconciles,
        # Eno's queue: per-item exponential backoff only (5 ms to 1000 s), no global token bucket.
        rate_limiter=ItemExponentialFailureRateLimiter(0.005, 1000.0),
        registry=manager.registry,
        cache_sync_timeout=manager.cache_sync_timeout,
    )
    if options.watch_objects:

        def enqueue(request: Hashable, delay: float) -> None:
            if isinstance(request, ResourceRequest):
                reconciliation.queue.add_after(request, delay)

        reconciler.watch = ObjectWatch(objects, enqueue)
        manager.add(reconciler.watch)
    metrics.max_concurrent.set(options.max_concurrent_reconciles)
    metrics.track_queue_depth(lambda: len(reconciliation.queue))
    reconstitutor = Reconstitution(
        manager.cache, manager.client, synthesis_cache, reconciliation, buffer, metrics, engine, echoes
    )
    recorder = EventRecorder(manager.client, "eno-reconciler")

    async def report(comp: Composition, message: str) -> None:
        await recorder.record(comp, WARNING, "OwnershipConflict", message)

    guard = OwnershipGuard(
        reconciler.compositions, lambda: reconciler.synthesis_cache, manager.registry, report
    )
    reconciler.guard = reconstitutor.guard = guard
    if options.composition_label_selector:

        async def split(symph: Symphony, message: str) -> None:
            await recorder.record(symph, WARNING, REASON_SPLIT, message)

        reconstitutor.shards = ShardCheck(manager.client, options.composition_label_selector, split)
        manager.add(reconstitutor.shards)
    fresh_start = FreshStart(engine, resource_filter, reconciler, reconstitutor)
    manager.add(fresh_start)  # first: leader-only runnables start in the order they were added
    manager.add_controller(reconciliation)
    manager.add(buffer)
    reconstitution = (
        manager.builder()
        .named(RECONSTITUTION_CONTROLLER)
        .for_(Composition)
        .owns(ResourceSlice, only_controller=False)
        .complete(reconstitutor)
    )
    return Reconcilers(reconciliation, reconstitution, buffer, metrics, fresh_start)
