"""ResourceSlice controllers: status roll-up into the composition, and slice cleanup (controllers.md §4-§5).

Two controllers, registered by `setup`:
- the status controller (metric name `resourceslicestatus`, log `sliceController`; Eno shares the name
  `composition` with the composition controller, which merges their series) rolls per-resource state up
  into `currentSynthesis.reconciled/ready` and the simplified error, and asks for resynthesis when a slice
  has vanished;
- the cleanup controller (`resourceslice`, `sliceCleanupController`) deletes slices no synthesis needs,
  only when the cache and a live read agree, with a uid precondition, and releases slice finalizers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

import attrs
import structlog

from controllers.logfields import composition_fields
from eno.api.v1 import Composition, ResourceSlice
from eno.api.v1.constants import ANNOTATION_FORCE_RESYNTHESIS
from eno.api.v1.predicates import (
    latest_synthesis_uuid,
    should_force_resynthesis,
    should_ignore_side_effects,
)
from eno.api.v1.times import now, parse_time
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.controller import Controller
from eno.runtime.errors import NotFound
from eno.runtime.handler import EnqueueRequestsFromMapFunc
from eno.runtime.manager import Manager
from eno.runtime.objectmeta import Object
from eno.runtime.reconcile import Request, Result
from eno.slices.cleanup import controller_owner, keep_finalizer, should_delete
from eno.slices.status import MissingSlice, snapshot, transition

STATUS_CONTROLLER_NAME = "resourceslicestatus"
CLEANUP_CONTROLLER_NAME = "resourceslice"
FRESH: Final = 5.0  # seconds: a young synthesis or slice is left alone (its writes may still be landing)
MIN_WAIT: Final = 0.1  # Eno requeues after the object's age; a floor keeps a brand-new object from spinning


@attrs.frozen
class Options:
    """Eno has no flags for these controllers; kept for a uniform `setup` signature."""


def _age(timestamp: str | None) -> float | None:
    if not timestamp:
        return None
    try:
        return (dt.datetime.now(dt.UTC) - parse_time(timestamp)).total_seconds()
    except ValueError:
        return None


class SliceStatusReconciler:
    def __init__(self, cache: Cache, client: Client) -> None:
        self.cache = cache
        self.client = client

    async def reconcile(self, request: Request) -> Result:
        try:
            comp = await self.cache.get(Composition, request.name, request.namespace)
        except NotFound:
            return Result()
        syn = comp.status.current_synthesis
        if syn is None:
            return Result()
        slices: dict[str, ResourceSlice | None] = {}
        for ref in syn.resource_slices:
            try:
                slices[ref.name] = await self.cache.get(ResourceSlice, ref.name, comp.namespace)
            except NotFound:
                slices[ref.name] = None
        snap = snapshot(comp, slices)
        if snap is None:
            return Result()
        if isinstance(snap, MissingSlice):
            return await self._missing(comp, snap.name)
        updated = transition(comp, snap, now())
        if updated is None:
            return Result()
        await self.client.update_status(updated)
        return Result()

    async def _missing(self, comp: Composition, name: str) -> Result:
        if (
            should_ignore_side_effects(comp)
            or comp.status.in_flight_synthesis is not None
            or should_force_resynthesis(comp)
        ):
            return Result()
        syn = comp.status.current_synthesis
        age = _age(syn.synthesized if syn else None)
        if age is not None and age < FRESH:
            return Result(requeue_after=max(age, MIN_WAIT))  # Eno waits the age, not the remainder
        try:
            await self.client.get(ResourceSlice, name, comp.namespace)  # the cache may just be behind
            return Result()
        except NotFound:
            pass
        await self.client.update(
            comp.with_annotation(ANNOTATION_FORCE_RESYNTHESIS, latest_synthesis_uuid(comp))
        )
        structlog.get_logger(__name__).info(
            "resource_slice_missing_resynthesis", **composition_fields(comp), resourceSliceName=name
        )
        return Result()


class SliceCleanupReconciler:
    def __init__(self, cache: Cache, client: Client) -> None:
        self.cache = cache
        self.client = client

    async def reconcile(self, request: Request) -> Result:
        try:
            slice_ = await self.cache.get(ResourceSlice, request.name, request.namespace)
        except NotFound:
            return Result()
        owner = controller_owner(slice_)
        if owner is None:
            return Result()  # not Eno's shape (Go would panic): leave it alone
        log = structlog.get_logger(__name__).bind(
            resourceSliceName=slice_.name,
            compositionName=owner.get("name"),
            compositionNamespace=slice_.namespace,
        )
        if slice_.deleting:
            return await self._release(slice_, owner, log)
        age = _age(slice_.metadata.get("creationTimestamp"))
        if age is not None and age < FRESH:
            return Result(requeue_after=max(age, MIN_WAIT))
        if not should_delete(await self._composition(owner, slice_, live=False), slice_):
            return Result()
        # Double check against the server: a cache that has not seen a new synthesis must not delete.
        if not should_delete(await self._composition(owner, slice_, live=True), slice_):
            return Result()
        try:
            await self.client.delete(
                ResourceSlice, slice_.name, slice_.namespace, preconditions={"uid": slice_.uid}
            )
        except NotFound:
            return Result()
        log.info("deleted_unused_resource_slice")
        return Result()

    async def _composition(
        self, owner: Mapping[str, Any], slice_: ResourceSlice, live: bool
    ) -> Composition | None:
        name = str(owner.get("name") or "")
        try:
            if live:
                return await self.client.get(Composition, name, slice_.namespace)
            return await self.cache.get(Composition, name, slice_.namespace)
        except NotFound:
            return None

    async def _release(self, slice_: ResourceSlice, owner: Mapping[str, Any], log: Any) -> Result:
        if not slice_.finalizers:
            return Result()
        if keep_finalizer(await self._composition(owner, slice_, live=False), slice_):
            return Result()
        # A JSON patch, never a full update: the whole finalizer list goes, as in Eno.
        await self.client.patch(
            ResourceSlice,
            slice_.name,
            slice_.namespace,
            [{"op": "remove", "path": "/metadata/finalizers"}],
            patch_type="json",
        )
        log.info("released_resource_slice_finalizer")
        return Result()


def _slices_of(obj: Object) -> list[Request]:
    """Every slice a composition's in-flight, current or previous synthesis names."""
    meta = obj.get("metadata") or {}
    status = obj.get("status") or {}
    namespace = str(meta.get("namespace") or "")
    out = []
    for key in ("inFlightSynthesis", "currentSynthesis", "previousSynthesis"):
        syn = status.get(key) or {}
        for ref in syn.get("resourceSlices") or ():
            if ref.get("name"):
                out.append(Request(namespace, str(ref["name"])))
    return out


def setup(manager: Manager, options: Options | None = None) -> tuple[Controller, Controller]:
    """Register the slice status and slice cleanup controllers on `manager`."""
    status = (
        manager.builder()
        .named(STATUS_CONTROLLER_NAME, log_name="sliceController")
        .for_(Composition)
        .owns(ResourceSlice)
        .complete(SliceStatusReconciler(manager.cache, manager.client))
    )
    cleanup = (
        manager.builder()
        .named(CLEANUP_CONTROLLER_NAME, log_name="sliceCleanupController")
        .for_(ResourceSlice)
        .watches(Composition, EnqueueRequestsFromMapFunc(_slices_of))
        .complete(SliceCleanupReconciler(manager.cache, manager.client))
    )
    return status, cleanup
