"""Every API type round-trips losslessly through its JSON, including keys this version does not know."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eno.api.v1 import core
from eno.api.v1.common import Binding, EnvVar, InputRevisions, Result, SynthesizerRef
from eno.api.v1.composition import Composition, CompositionStatus, Synthesis
from eno.api.v1.inputs import Input
from eno.api.v1.kind import Kind
from eno.api.v1.krm import ResourceList
from eno.api.v1.model import (
    Bool,
    DecodeError,
    FreeForm,
    Int,
    JsonType,
    List,
    Map,
    Model,
    Obj,
    Quantity,
    Str,
    json_fields,
)
from eno.api.v1.patch import Patch
from eno.api.v1.resourceslice import Manifest, ResourceSlice
from eno.api.v1.symphony import Symphony
from eno.api.v1.synthesizer import Synthesizer

KINDS: list[type[Kind]] = [Composition, ResourceSlice, Symphony, Synthesizer]

_scalars = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=5)
json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner, max_size=2),
    max_leaves=4,
)
times = st.sampled_from(["2024-05-01T12:00:00Z", "2024-05-01T12:00:00.123456+02:00", "not-a-time"])


def known_keys(cls: type[Model]) -> set[str]:
    return {jf.name for _, jf in json_fields(cls)} | set(cls.wire_keys)


def json_of(jtype: JsonType) -> st.SearchStrategy[Any]:
    """JSON values that the schema of `jtype` accepts."""
    if isinstance(jtype, Str):
        return times if jtype.fmt == "date-time" else st.text(max_size=6)
    if isinstance(jtype, Int):
        return st.integers(-(2**31), 2**31)
    if isinstance(jtype, Bool):
        return st.booleans()
    if isinstance(jtype, Quantity):
        return st.integers(0, 10**6) | st.sampled_from(["500m", "1Gi", "2", "1e3"])
    if isinstance(jtype, FreeForm):
        return st.dictionaries(st.text(max_size=4), json_values, max_size=2)
    if isinstance(jtype, List):
        return st.lists(json_of(jtype.item), max_size=2)
    if isinstance(jtype, Map):
        return st.dictionaries(st.text(max_size=4), json_of(jtype.value), max_size=2)
    if isinstance(jtype, Obj):
        return st.deferred(lambda: json_for(jtype.cls))
    raise AssertionError(f"no strategy for {jtype!r}")


def json_for(cls: type[Model]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects shaped by `cls`'s declarations, any optional key present or not, plus unknown keys."""
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for _, jf in json_fields(cls):
        value = json_of(jf.type)
        if jf.pointer:
            value = st.none() | value  # an explicit null is kept too
        (required if jf.required else optional)[jf.name] = value
    if "apiVersion" in cls.wire_keys:
        required["apiVersion"] = st.just(cls.api_version)  # type: ignore[attr-defined]
        required["kind"] = st.just(cls.kind)  # type: ignore[attr-defined]
    known = known_keys(cls)
    unknown = st.dictionaries(
        st.text(min_size=1, max_size=6).filter(lambda k: k not in known), json_values, max_size=2
    )
    return st.tuples(st.fixed_dictionaries(required, optional=optional), unknown).map(
        lambda p: {**p[1], **p[0]}
    )


def py_of(jtype: JsonType) -> st.SearchStrategy[Any]:
    """Python values for a field of type `jtype`, as code would build them."""
    if isinstance(jtype, List):
        return st.lists(py_of(jtype.item), max_size=2).map(tuple)
    if isinstance(jtype, Map):
        return st.dictionaries(st.text(max_size=4), py_of(jtype.value), max_size=2)
    if isinstance(jtype, Obj):
        return st.deferred(lambda: instance_of(jtype.cls))
    return json_of(jtype)


def instance_of(cls: type[Model]) -> st.SearchStrategy[Model]:
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for attr_name, jf in json_fields(cls):
        value = py_of(jf.type)
        kwargs[attr_name] = st.none() | value if jf.pointer else value
    known = known_keys(cls)
    kwargs["unknown_fields"] = st.dictionaries(
        st.text(min_size=1, max_size=6).filter(lambda k: k not in known), json_values, max_size=2
    )
    return st.builds(cls, **kwargs)


ALL_TYPES: list[type[Model]] = [
    *KINDS,
    Synthesis,
    CompositionStatus,
    Binding,
    EnvVar,
    InputRevisions,
    Result,
    SynthesizerRef,
    Manifest,
    core.Affinity,
    core.ResourceRequirements,
    ResourceList,
    Patch,
    Input,
]


# Nested types are exercised inside the kinds too; the budget keeps the suite fast on 2 loaded cores.
FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("cls", ALL_TYPES, ids=lambda c: c.__name__)
@FAST
@given(data=st.data())
def test_json_round_trips_exactly(cls: type[Model], data: st.DataObject) -> None:
    doc = data.draw(json_for(cls))
    assert cls.from_dict(doc).to_dict() == doc


@pytest.mark.parametrize("cls", [*KINDS, ResourceList, Patch], ids=lambda c: c.__name__)
@FAST
@given(data=st.data())
def test_objects_round_trip(cls: type[Model], data: st.DataObject) -> None:
    obj = data.draw(instance_of(cls))
    assert cls.from_dict(obj.to_dict()) == obj


def test_omitempty_matches_go() -> None:
    # Built in Python, zero values are left out as Go's omitempty does; structs Go always writes.
    comp = Composition(metadata={"name": "c"})
    assert comp.to_dict() == {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Composition",
        "metadata": {"name": "c"},
        "spec": {"synthesizer": {}},
        "status": {},
    }


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        pytest.param(
            {"key": "", "resourceVersion": "1"}, {"key": "", "resourceVersion": "1"}, id="explicit-empty-kept"
        ),
        pytest.param({"revision": 0}, {"revision": 0}, id="pointer-zero-kept"),
        pytest.param({"revision": None}, {"revision": None}, id="explicit-null-kept"),
        pytest.param({"future": {"x": [1]}}, {"future": {"x": [1]}}, id="unknown-kept"),
    ],
)
def test_wire_details_survive(doc: dict[str, Any], expected: dict[str, Any]) -> None:
    assert InputRevisions.from_dict(doc).to_dict() == expected


def test_evolve_drops_presence_of_changed_values_sensibly() -> None:
    rev = InputRevisions.from_dict({"key": "", "revision": 3})
    changed = attrs.evolve(rev, key="a", revision=None)
    assert changed.to_dict() == {"key": "a"}


def test_unknown_nested_fields_survive_a_status_change() -> None:
    doc = {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Composition",
        "metadata": {"name": "c", "namespace": "ns"},
        "spec": {"synthesizer": {"name": "s", "futureField": 1}},
        "status": {"currentSynthesis": {"uuid": "u", "podCreation": "2024-01-01T00:00:00Z"}},
    }
    comp = Composition.from_dict(doc)
    assert comp.status.current_synthesis is not None
    synthesis = attrs.evolve(comp.status.current_synthesis, ready="2024-01-02T00:00:00Z")
    updated = attrs.evolve(comp, status=attrs.evolve(comp.status, current_synthesis=synthesis))
    out = updated.to_dict()
    assert out["spec"]["synthesizer"]["futureField"] == 1
    assert out["status"]["currentSynthesis"] == {
        "uuid": "u",
        "podCreation": "2024-01-01T00:00:00Z",
        "ready": "2024-01-02T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("cls", "doc", "path"),
    [
        pytest.param(InputRevisions, {"revision": "3"}, "revision", id="string-for-int"),
        pytest.param(Synthesis, {"attempts": True}, "attempts", id="bool-for-int"),
        pytest.param(Composition, {"spec": {"bindings": [{"key": 1}]}}, "spec.bindings[0].key", id="nested"),
        pytest.param(Composition, {"spec": []}, "spec", id="list-for-object"),
    ],
)
def test_wrong_types_name_the_path(cls: type[Model], doc: dict[str, Any], path: str) -> None:
    with pytest.raises(DecodeError) as err:
        cls.from_dict(doc)
    assert err.value.path == path


def test_metadata_helpers() -> None:
    comp = Composition.from_dict(
        {"metadata": {"name": "c", "namespace": "ns", "generation": 3, "annotations": {"a": "1"}}}
    )
    assert (comp.name, comp.namespace, comp.generation, comp.annotations) == ("c", "ns", 3, {"a": "1"})
    assert comp.with_annotation("a", None).metadata == {"name": "c", "namespace": "ns", "generation": 3}
    assert comp.with_label("l", "v").labels == {"l": "v"}
    assert not comp.deleting


def test_objects_and_their_json_share_no_containers() -> None:
    doc: dict[str, Any] = {
        "metadata": {"name": "c", "annotations": {"a": "1"}},
        "spec": {"future": {"x": [1]}},
    }
    comp = Composition.from_dict(doc)
    doc["metadata"]["annotations"]["a"] = "changed"  # the caller's dict, e.g. an informer's copy
    doc["spec"]["future"]["x"].append(2)
    out = comp.to_dict()
    assert out["metadata"]["annotations"] == {"a": "1"}
    assert out["spec"]["future"] == {"x": [1]}
    out["metadata"]["annotations"]["a"] = "edited"  # editing the output leaves the object alone
    out["spec"]["future"]["x"].append(3)
    assert comp.annotations == {"a": "1"}
    assert comp.to_dict()["spec"]["future"] == {"x": [1]}
