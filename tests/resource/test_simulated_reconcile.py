"""The resource logic strung together the way the reconciler uses it, against an in-memory "cluster":
Eno's ReadinessGroups, PatchDeletionBeforeCreation and DeletionOrder scenarios at the logic level."""

from __future__ import annotations

import collections
import datetime
import json
from typing import Any

import attrs
import pytest

from eno.api.v1.resourceslice import (
    Manifest,
    ResourceSlice,
    ResourceSliceSpec,
    ResourceSliceStatus,
    ResourceState,
)
from eno.cel.engine import Engine, default_engine
from eno.resource.cache import Request, SynthesisCache
from eno.resource.overrides import CompositionMetadata
from eno.resource.policy import reported_deleted, should_fail_open
from eno.resource.readiness import evaluate_checks
from eno.resource.snapshot import snapshot

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return default_engine()


class World:
    """A cluster (objects by kind/name), one composition's slices, and the reconciler's loop."""

    def __init__(self, engine: Engine, manifests: list[dict[str, Any]], comp: CompositionMetadata) -> None:
        self.cluster: dict[tuple[str, str], dict[str, Any]] = {}
        self.writes: list[tuple[str, str]] = []  # (verb, name) in order
        self.finalizers: set[str] = set()  # objects whose deletion never completes
        self.comp = comp
        self.cache = SynthesisCache(engine)
        self.slice = ResourceSlice(
            metadata={"name": "s", "namespace": "ns"},
            spec=ResourceSliceSpec(resources=tuple(Manifest(manifest=json.dumps(m)) for m in manifests)),
        )
        self.cache.fill(comp, "uuid", [self.slice])
        self.queue: collections.deque[Request] = collections.deque()

    def visit(self) -> None:
        self.queue.extend(self.cache.visit(self.comp, "uuid", [self.slice])[1])

    def write_status(self, index: int, state: ResourceState) -> None:
        states = list(self.slice.status.resources) or [ResourceState()] * len(self.slice.spec.resources)
        states[index] = state
        self.slice = attrs.evolve(self.slice, status=ResourceSliceStatus(resources=tuple(states)))
        self.visit()  # the status comes back through the informer

    def reconcile(self, request: Request) -> bool:
        """One pass of spec §3.1-3.4 (without SSA details); True when it changed the cluster."""
        found = self.cache.get("uuid", request.ref)
        if found is None or not found[1]:
            return False
        resource, _ = found
        key = (resource.gvk.kind, resource.ref.name)
        current = self.cluster.get(key)
        state = self.cache.state("uuid", request.ref)
        ready = state.ready if state and state.ready else None
        if ready is None:
            when = evaluate_checks(resource.readiness_checks, current, NOW)
            ready = when.time.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None
        snap = snapshot(resource, self.comp, current)
        modified = False
        if snap.disable:
            pass
        elif snap.deleted:
            terminating = current is not None and "deletionTimestamp" in current["metadata"]
            if current is not None and not terminating and not (snap.orphan and self.comp.deletion_timestamp):
                self.writes.append(("delete", resource.ref.name))
                if resource.ref.name in self.finalizers:
                    current["metadata"]["deletionTimestamp"] = "now"
                else:
                    del self.cluster[key]
                modified = True
        elif resource.is_patch:
            pass  # only delete-Patches in these scenarios
        elif current is None or {k: v for k, v in current.items() if k != "status"} != snap.obj:
            self.writes.append(("create" if current is None else "update", resource.ref.name))
            self.cluster[key] = {
                **snap.obj,
                **({"status": current["status"]} if current and "status" in current else {}),
            }
            modified = True
        if modified:
            self.queue.append(request)  # rate-limited requeue; status waits for an in-sync pass
            return True
        current = self.cluster.get(key)
        failing_open = should_fail_open(snap, resource, False)
        deleted = reported_deleted(current, snap, failing_open)
        self.write_status(
            resource.manifest_ref.index, ResourceState(reconciled=True, deleted=deleted, ready=ready)
        )
        return False

    def poll_all(self) -> None:
        """What reconcile intervals and readiness polling do: every resource passes again."""
        self.queue.extend(Request(r.ref, ("", "")) for r in self.cache.resources("uuid"))

    def run(self, limit: int = 200) -> None:
        self.visit()
        for _ in range(limit):
            if not self.queue:
                return
            self.reconcile(self.queue.popleft())
        raise AssertionError("did not settle")


def cm(name: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": "default", "annotations": annotations or {}}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"v": name}}


def test_readiness_groups_create_in_order(engine: Engine) -> None:
    manifests = [cm(f"g{g}", {"eno.azure.io/readiness-group": str(g)}) for g in (4, -2, 2, 0)]
    world = World(engine, manifests, CompositionMetadata(name="c", namespace="ns"))
    world.run()
    assert world.writes == [("create", "g-2"), ("create", "g0"), ("create", "g2"), ("create", "g4")]
    assert all(s.reconciled and s.ready for s in world.slice.status.resources)


def test_readiness_check_gates_the_next_group(engine: Engine) -> None:
    manifests = [
        cm(
            "first",
            {"eno.azure.io/readiness-group": "1", "eno.azure.io/readiness": "self.status.phase == 'Up'"},
        ),
        cm("second", {"eno.azure.io/readiness-group": "2"}),
    ]
    world = World(engine, manifests, CompositionMetadata())
    world.run()
    assert world.writes == [("create", "first")]
    world.poll_all()
    world.run()
    assert world.writes == [("create", "first")], "still not ready"
    world.cluster[("ConfigMap", "first")]["status"] = {"phase": "Up"}  # the object becomes ready
    world.poll_all()
    world.run()
    assert world.writes == [("create", "first"), ("create", "second")]


def test_patch_deletion_before_creation(engine: Engine) -> None:
    delete_patch = {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Patch",
        "metadata": {
            "name": "obj",
            "namespace": "default",
            "annotations": {"eno.azure.io/readiness-group": "1"},
        },
        "patch": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "ops": [{"op": "add", "path": "/metadata/deletionTimestamp", "value": "now"}],
        },
    }
    recreated = cm("obj", {"eno.azure.io/readiness-group": "2"})
    world = World(engine, [delete_patch, recreated], CompositionMetadata())
    world.cluster[("ConfigMap", "obj")] = {"metadata": {"name": "obj", "uid": "old"}}
    world.run()
    # Deleted by the group-1 Patch, then created by group 2; the Patch is hidden afterwards, so a later
    # pass does not delete the new object again.
    assert world.writes == [("delete", "obj"), ("create", "obj")]
    world.poll_all()
    world.run()
    assert world.writes == [("delete", "obj"), ("create", "obj")]
    assert ("ConfigMap", "obj") in world.cluster


def test_deletion_order(engine: Engine) -> None:
    # Eno's DeletionOrder, all ConfigMaps (unannotated ones default to deletion group 100).
    groups = {
        "stuck-no-deletion-group": None,
        "stuck": "123",
        "stuck-behind": "1",
        "no-deletion-group": None,
        "orphaned": "567",
        "disabled": "456",
        "first": "345",
        "second": "234",
    }
    extra = {
        "stuck": {"eno.azure.io/deletion-strategy": "foreground"},
        "orphaned": {"eno.azure.io/deletion-strategy": "orphan"},
        "disabled": {"eno.azure.io/disable-reconciliation": "true"},
    }
    manifests = []
    for name, group in groups.items():
        annotations = dict(extra.get(name, {}))
        if group:
            annotations["eno.azure.io/deletion-group"] = group
        manifests.append(cm(name, annotations))
    world = World(engine, manifests, CompositionMetadata())
    world.run()
    assert ("ConfigMap", "disabled") not in world.cluster

    # The composition is deleted: a new synthesis UUID is loaded with the deletion frozen in.
    deleting = CompositionMetadata(deletion_timestamp="2026-01-02T00:00:00Z")
    world.finalizers = {"stuck", "stuck-no-deletion-group"}
    world.comp = deleting
    world.slice = attrs.evolve(world.slice, status=ResourceSliceStatus())
    world.cache = SynthesisCache(engine)
    world.cache.fill(deleting, "uuid", [world.slice])
    world.writes.clear()
    world.run()

    def phase(name: str) -> str:
        obj = world.cluster.get(("ConfigMap", name))
        if obj is None:
            return "Gone"
        return "Deleting" if "deletionTimestamp" in obj["metadata"] else "NotDeleting"

    assert {name: phase(name) for name in groups} == {
        "stuck-no-deletion-group": "Deleting",
        "stuck": "Deleting",
        "stuck-behind": "Gone",
        "no-deletion-group": "Gone",
        "orphaned": "NotDeleting",
        "disabled": "Gone",
        "first": "NotDeleting",
        "second": "NotDeleting",
    }
