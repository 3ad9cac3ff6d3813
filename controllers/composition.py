"""The Composition controller: finalizer, simplified status, synthesis timeouts, deletion (controllers.md §3).

One write per pass, then the write's own watch event brings the next pass. The decisions are pure
(`eno.api.v1.predicates.simplified_status`, `eno.composition.deletion`, `eno.composition.timeout`).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Mapping
from typing import Any

import attrs
import structlog

from controllers.indexes import BY_DEPENDENCY, BY_SYNTHESIZER, add_composition_indexes, join
from controllers.logfields import composition_fields
from eno.api.v1 import Composition, ResourceSlice, Symphony, Synthesizer
from eno.api.v1.constants import (
    FINALIZER_CLEANUP,
    LABEL_SYNTHESIS_UUID,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    STATUS_MISSING_INPUTS,
    STATUS_NOT_READY,
    STATUS_RECONCILING,
)
from eno.api.v1.predicates import identifier_at, missing_inputs, simplified_status
from eno.api.v1.times import now
from eno.composition.deletion import (
    ReleaseFinalizer,
    ResetSynthesis,
    SetDependencyStatus,
    Wait,
    deletion_step,
    dependency_status_patch,
    symphony_owner,
    wants_force_delete,
)
from eno.composition.timeout import Cancel, CheckAgain, timeout_step
from eno.runtime.cache import Cache, InformerOptions
from eno.runtime.client import Client
from eno.runtime.controller import Controller
from eno.runtime.errors import ApiError, Conflict, NotFound
from eno.runtime.gvk import GVK
from eno.runtime.handler import EnqueueRequestsFromMapFunc
from eno.runtime.manager import Manager
from eno.runtime.objectmeta import Object
from eno.runtime.predicates import Funcs
from eno.runtime.reconcile import Request, Result

CONTROLLER_NAME = "composition"
LOG_NAME = "compositionController"
POD = GVK("", "v1", "Pod")
DIAGNOSTIC_LIMIT = 50  # resources named in a not-ready log line


@attrs.frozen
class Options:
    """Eno's flags for this controller: `--pod-timeout` and `--synthesizer-pod-namespace`."""

    pod_timeout: float = 30.0
    synthesizer_pod_namespace: str = attrs.field(factory=lambda: os.environ.get("POD_NAMESPACE", "default"))


def cache_options(options: Options) -> dict[GVK, InformerOptions]:
    """Per-kind cache scoping Eno uses for this controller: only Eno's pods, only in their namespace.

    Pass to `Cache(client, by_kind=...)`; without it the pod informer caches every pod of the cluster.
    """
    return {
        POD: InformerOptions(
            namespace=options.synthesizer_pod_namespace,
            label_selector=f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}",
        )
    }


class CompositionReconciler:
    def __init__(self, cache: Cache, client: Client, options: Options) -> None:
        self.cache = cache
        self.client = client
        self.options = options

    async def reconcile(self, request: Request) -> Result:
        try:
            comp = await self.cache.get(Composition, request.name, request.namespace)
        except NotFound:
            return Result()
        log = structlog.get_logger(__name__).bind(**composition_fields(comp))
        if comp.deleting:
            return await self._delete(comp, log)
        if FINALIZER_CLEANUP not in comp.finalizers:
            await self.client.update(comp.with_metadata(finalizers=[*comp.finalizers, FINALIZER_CLEANUP]))
            log.info("added_finalizer")
            return Result()
        try:
            synth: Synthesizer | None = await self.cache.get(Synthesizer, comp.spec.synthesizer.name)
        except NotFound:
            synth = None
        simplified = simplified_status(synth, comp)
        if simplified != comp.status.simplified:
            # A cleared error is sent as null so the merge patch removes it.
            body = {"status": simplified.status, "error": simplified.error or None}
            patch = {"status": {"simplified": body}}
            await self.client.patch(
                Composition, comp.name, comp.namespace, patch, patch_type="merge", subresource="status"
            )
            log.info("simplified_status", status=simplified.status, error=simplified.error)
            await self._diagnose(comp, synth, simplified.status, log)
            return Result()
        if synth is None:
            return Result()
        return await self._timeout(comp, log)

    # -- diagnostics (logs only) -----------------------------------------------------------------------

    async def _diagnose(self, comp: Composition, synth: Synthesizer | None, status: str, log: Any) -> None:
        if status == STATUS_MISSING_INPUTS and synth is not None:
            log.info(
                "missing_inputs",
                missing=missing_inputs(synth, comp),
                expected=[ref.key for ref in synth.spec.refs if not ref.optional],
            )
        elif status in (STATUS_NOT_READY, STATUS_RECONCILING) and comp.status.current_synthesis is not None:
            pending: list[str] = []
            for ref in comp.status.current_synthesis.resource_slices:
                try:
                    slice_ = await self.cache.get(ResourceSlice, ref.name, comp.namespace)
                except NotFound:
                    continue
                pending.extend(_pending_resources(slice_))
            pending.sort()
            log.info(
                "resources_not_ready",
                resources=pending[:DIAGNOSTIC_LIMIT],
                more=max(0, len(pending) - DIAGNOSTIC_LIMIT),
            )

    # -- synthesis timeouts ----------------------------------------------------------------------------

    async def _timeout(self, comp: Composition, log: Any) -> Result:
        syn = comp.status.in_flight_synthesis
        if syn is None or syn.canceled is not None or syn.initialized is None:
            return Result()
        pods: list[Mapping[str, Any]] = []
        if syn.uuid:
            pods = list(
                await self.cache.list(
                    POD,
                    namespace=self.options.synthesizer_pod_namespace,
                    label_selector=f"{LABEL_SYNTHESIS_UUID}={syn.uuid}",
                )
            )
        step = timeout_step(comp, pods, dt.datetime.now(dt.UTC), self.options.pod_timeout)
        if isinstance(step, CheckAgain):
            return Result(requeue_after=step.after)
        if not isinstance(step, Cancel):
            return Result()
        canceled = attrs.evolve(syn, canceled=now())
        try:
            await self.client.update_status(
                attrs.evolve(comp, status=attrs.evolve(comp.status, in_flight_synthesis=canceled))
            )
        except Conflict:
            if not step.timed_out:
                return Result(requeue=True)  # the executor may have just moved on: look again
            raise
        event = "synthesis_timed_out" if step.timed_out else "synthesis_canceled_pod_succeeded"
        log.info(event, uuid=syn.uuid)
        return Result()

    # -- deletion --------------------------------------------------------------------------------------

    async def _delete(self, comp: Composition, log: Any) -> Result:
        symphony_gone = False
        owner = symphony_owner(comp)
        if wants_force_delete(comp) and owner is not None:
            try:
                await self.cache.get(Symphony, owner, comp.namespace)
            except NotFound:
                symphony_gone = True
            except ApiError:
                symphony_gone = False  # only a clear NotFound lets the finalizer go early
        dependents = await self.cache.by_index(Composition, BY_DEPENDENCY, join(comp.namespace, comp.name))
        step = deletion_step(comp, dependents, symphony_gone, str(uuid.uuid4()), now())
        if isinstance(step, Wait):
            return Result()
        if isinstance(step, SetDependencyStatus):
            await self.client.patch(
                Composition,
                comp.name,
                comp.namespace,
                dependency_status_patch(step.status),
                patch_type="merge",
                subresource="status",
            )
            log.info("dependency_status", blocked=step.status is not None)
            return Result()
        if isinstance(step, ResetSynthesis):
            await self.client.update_status(
                attrs.evolve(comp, status=attrs.evolve(comp.status, current_synthesis=step.synthesis))
            )
            log.info("deletion_synthesis_reset", uuid=step.synthesis.uuid)
            return Result()
        assert isinstance(step, ReleaseFinalizer)
        if FINALIZER_CLEANUP in comp.finalizers:
            finalizers = [f for f in comp.finalizers if f != FINALIZER_CLEANUP]
            await self.client.update(comp.with_metadata(finalizers=finalizers or None))
            log.info("removed_finalizer", forced=symphony_gone)
        return Result()


def _pending_resources(slice_: ResourceSlice) -> list[str]:
    """Kind/name of the slice's live manifests whose state is absent, unreconciled or not ready."""
    states = slice_.status.resources
    out = []
    for i, manifest in enumerate(slice_.spec.resources):
        if manifest.deleted:
            continue
        state = states[i] if i < len(states) else None
        if state is None or not state.reconciled or state.ready is None:
            out.append(identifier_at(slice_, i) or f"#{i}")
    return out


def _dependency_released(old: Object, new: Object) -> bool:
    """An update that took the cleanup finalizer off: wakes the compositions it depends on."""

    def finalizers(obj: Object) -> Any:
        return (obj.get("metadata") or {}).get("finalizers") or ()

    return FINALIZER_CLEANUP in finalizers(old) and FINALIZER_CLEANUP not in finalizers(new)


def setup(manager: Manager, options: Options | None = None) -> Controller:
    """Register the composition controller (and the composition indexes it reads) on `manager`."""
    options = options or Options()
    add_composition_indexes(manager.cache)
    compositions = manager.cache.informer_for(Composition)

    def by_synthesizer(obj: Object) -> list[Request]:
        name = str((obj.get("metadata") or {}).get("name") or "")
        return [
            Request(str(c["metadata"].get("namespace") or ""), str(c["metadata"]["name"]))
            for c in compositions.by_index(BY_SYNTHESIZER, name)
        ]

    def dependencies(obj: Object) -> list[Request]:
        deps = ((obj.get("spec") or {}).get("dependsOn")) or ()
        return [
            Request(str(d.get("namespace") or ""), str(d.get("name") or "")) for d in deps if d.get("name")
        ]

    dependency_events = Funcs(
        on_create=lambda _: False, on_update=_dependency_released, on_generic=lambda _: False
    )
    return (
        manager.builder()
        .named(CONTROLLER_NAME, log_name=LOG_NAME)
        .for_(Composition)
        .watches(Synthesizer, EnqueueRequestsFromMapFunc(by_synthesizer))
        .watches(Composition, EnqueueRequestsFromMapFunc(dependencies), dependency_events)
        .complete(CompositionReconciler(manager.cache, manager.client, options))
    )
