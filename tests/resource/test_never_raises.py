"""Bad input is data: random overrides, live objects, manifests and slices never make the resource logic
raise; every problem comes back as a ResourceError naming the resource and the field."""

from __future__ import annotations

import datetime
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eno.api.v1.composition import Composition
from eno.api.v1.resourceslice import (
    Manifest,
    ResourceSlice,
    ResourceSliceSpec,
    ResourceSliceStatus,
    ResourceState,
)
from eno.cel.engine import default_engine
from eno.resource.errors import ResourceError
from eno.resource.identity import GroupVersionKind, ManifestRef, Ref
from eno.resource.overrides import CompositionMetadata, apply_overrides, parse_overrides
from eno.resource.readiness import evaluate_checks
from eno.resource.resource import Resource, parse_object
from eno.resource.slicing import slice_outputs
from eno.resource.snapshot import snapshot
from eno.resource.tree import build_tree

ENGINE = default_engine()
RES = "(.ConfigMap)/ns/x"

_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text(max_size=6)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=15,
)
_paths = st.one_of(
    st.text(alphabet=st.sampled_from(list("self.[]*=\"'ab0 -")), max_size=20),
    st.sampled_from(
        ["self.a", "self.a.b", "self.a[0]", "self.a[*].b", 'self.a[n="x"].b', "self", "self.data['k']"]
    ),
)
_cel = st.one_of(
    st.sampled_from(
        [
            "true",
            "false",
            "self.a",
            "self.a.b == 1",
            "has(self.a)",
            "!pathManagedByEno",
            "composition.metadata.annotations['k'] == 'v'",
            "self.(",
            "1 +",
            "null",
            "[1, 2]",
            "self.a[0]",
        ]
    ),
    st.text(max_size=10),
)
_ops = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "path": _paths | _scalars,
            "condition": _cel | _scalars,
            "value": _json,
            "valueExpression": _cel | _scalars,
        },
    )
    | _json,
    max_size=4,
)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(_ops.map(json.dumps), st.text(max_size=30)), _json, st.one_of(st.none(), _json))
def test_overrides_never_raise(text: str, obj: Any, current: Any) -> None:
    ops, errors = parse_overrides(text, ENGINE, RES)
    assert all(isinstance(e, ResourceError) and e.resource == RES and e.field for e in errors)
    desired = obj if isinstance(obj, dict) else {"v": obj}
    live = current if isinstance(current, dict) or current is None else {"v": current}
    result = apply_overrides(desired, ops, CompositionMetadata(), live, RES)
    assert len(result.outcomes) == len(ops)
    assert all(isinstance(e, ResourceError) and e.resource == RES for e in result.errors)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.dictionaries(
        st.one_of(
            st.sampled_from(
                [
                    "eno.azure.io/readiness",
                    "eno.azure.io/readiness-x",
                    "eno.azure.io/readiness-group",
                    "eno.azure.io/deletion-group",
                    "eno.azure.io/fail-open",
                    "eno.azure.io/reconcile-interval",
                    "eno.azure.io/replace",
                    "eno.azure.io/deletion-strategy",
                    "eno.azure.io/unknown",
                ]
            ),
            st.text(max_size=8),
        ),
        _cel | _scalars,
        max_size=5,
    ),
    st.one_of(st.none(), _json),
    st.sampled_from(["ConfigMap", "Deployment", "Patch"]),
)
def test_manifest_snapshot_and_readiness_never_raise(
    annotations: dict[str, Any], current: Any, kind: str
) -> None:
    obj: dict[str, Any] = {
        "apiVersion": "eno.azure.io/v1" if kind == "Patch" else "v1",
        "kind": kind,
        "metadata": {"name": "x", "namespace": "ns", "annotations": annotations},
        "patch": {"apiVersion": "v1", "kind": "ConfigMap", "ops": current},
    }
    parsed = parse_object(obj, ENGINE, ManifestRef("ns", "s", 0))
    assert isinstance(parsed, Resource | ResourceError)
    if isinstance(parsed, Resource):
        assert all(isinstance(e, ResourceError) for e in parsed.errors)
        live = current if isinstance(current, dict) or current is None else {"v": current}
        snap = snapshot(parsed, CompositionMetadata(annotations={"eno.azure.io/replace": "true"}), live)
        _ = snap.deleted, snap.orphan, snap.patch_ops
        evaluate_checks(parsed.readiness_checks, live, datetime.datetime.now(datetime.UTC))


_states = st.builds(
    ResourceState,
    reconciled=st.booleans(),
    deleted=st.booleans(),
    ready=st.one_of(st.none(), st.just("2026-01-01T00:00:00Z")),
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d"]),
            st.one_of(st.none(), st.integers(-3, 3)),
            st.integers(-3, 3),
            st.booleans(),
        ),
        max_size=8,
    ),
    st.lists(st.tuples(st.integers(0, 9), _states), max_size=20),
)
def test_tree_never_raises(
    specs: list[tuple[str, int | None, int, bool]], updates: list[tuple[int, Any]]
) -> None:
    resources = [
        Resource(
            ref=Ref("g", "K", "ns", name),
            gvk=GroupVersionKind("g", "v1", "K"),
            manifest={},
            manifest_ref=ManifestRef("ns", "s", i),
            readiness_group=readiness,
            deletion_group=deletion,
            composition_deleted=deleting,
        )
        for i, (name, deletion, readiness, deleting) in enumerate(specs)
    ]
    tree = build_tree(resources)
    for index, state in updates:
        for ref in tree.update_state(ManifestRef("ns", "s", index), state):
            assert tree.get(ref) is not None


@given(
    st.lists(
        st.tuples(st.one_of(st.text(max_size=10), _json.map(json.dumps)), st.booleans(), st.booleans()),
        max_size=6,
    ),
    st.lists(st.dictionaries(st.text(max_size=5), _json, max_size=3), max_size=4),
)
def test_slicing_never_raises(previous: list[tuple[str, bool, bool]], outputs: list[dict[str, Any]]) -> None:
    prev = ResourceSlice(
        metadata={"name": "old", "namespace": "ns"},
        spec=ResourceSliceSpec(resources=tuple(Manifest(manifest=m, deleted=d) for m, d, _ in previous)),
        status=ResourceSliceStatus(resources=tuple(ResourceState(reconciled=r) for _, _, r in previous[:3])),
    )
    result = slice_outputs(
        Composition.from_dict({"metadata": {"name": "c", "namespace": "ns"}}), [prev], outputs
    )
    assert all(isinstance(e, ResourceError) for e in result.errors)
    assert sum(len(s.spec.resources) for s in result.slices) >= len(outputs)
