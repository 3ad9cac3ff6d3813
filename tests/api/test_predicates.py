"""The pure helpers of spec api.md §9.1-§9.5, table-driven."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.api.v1 import constants as c
from eno.api.v1 import predicates as p
from eno.api.v1.common import EnvVar, InputRevisions, Result
from eno.api.v1.composition import (
    Composition,
    CompositionDependency,
    CompositionSpec,
    CompositionStatus,
    DependencyStatus,
    SimplifiedStatus,
    Synthesis,
)
from eno.api.v1.resourceslice import Manifest, ResourceSlice, ResourceSliceSpec, ResourceState
from eno.api.v1.symphony import Symphony
from eno.api.v1.synthesizer import Ref, ResourceRef, Synthesizer, SynthesizerSpec

T1 = "2024-01-01T00:00:00Z"
T2 = "2024-01-01T00:00:05Z"


def comp(
    annotations: dict[str, str] | None = None,
    generation: int = 1,
    deleting: bool = False,
    spec: CompositionSpec | None = None,
    **status: Any,
) -> Composition:
    metadata: dict[str, Any] = {"name": "c", "namespace": "ns", "generation": generation}
    if annotations:
        metadata["annotations"] = annotations
    if deleting:
        metadata["deletionTimestamp"] = T1
    return Composition(metadata=metadata, spec=spec or CompositionSpec(), status=CompositionStatus(**status))


def synth(*refs: Ref, generation: int = 1) -> Synthesizer:
    return Synthesizer(metadata={"name": "s", "generation": generation}, spec=SynthesizerSpec(refs=refs))


def ref(key: str, optional: bool = False) -> Ref:
    return Ref(key=key, resource=ResourceRef(kind="ConfigMap"), optional=optional)


def rev(key: str = "k", rv: str = "", revision: int | None = None, **kw: Any) -> InputRevisions:
    return InputRevisions(key=key, resource_version=rv, revision=revision, **kw)


# --- §9.1 ---


@pytest.mark.parametrize(
    ("status", "text"),
    [
        pytest.param(None, "Nil", id="nil"),
        pytest.param(SimplifiedStatus(status="Ready"), "Ready", id="no-error"),
        pytest.param(
            SimplifiedStatus(status="Synthesizing", error="boom"), "Synthesizing (error: boom)", id="error"
        ),
    ],
)
def test_simplified_status_text(status: SimplifiedStatus | None, text: str) -> None:
    assert p.simplified_status_text(status) == text


@pytest.mark.parametrize(
    ("status", "current", "latest", "synthesizing"),
    [
        pytest.param({}, "", "", False, id="none"),
        pytest.param({"current_synthesis": Synthesis(uuid="a")}, "a", "a", False, id="current-only"),
        pytest.param(
            {"current_synthesis": Synthesis(uuid="a"), "in_flight_synthesis": Synthesis(uuid="b")},
            "a",
            "b",
            True,
            id="in-flight-wins",
        ),
        pytest.param(
            {"in_flight_synthesis": Synthesis(uuid="b", canceled=T1)},
            "",
            "b",
            False,
            id="canceled-not-synthesizing",
        ),
    ],
)
def test_synthesis_uuids(status: dict[str, Any], current: str, latest: str, synthesizing: bool) -> None:
    composition = comp(**status)
    assert p.current_synthesis_uuid(composition) == current
    assert p.latest_synthesis_uuid(composition) == latest
    assert p.synthesizing(composition) is synthesizing


@pytest.mark.parametrize(
    ("annotations", "status", "expected"),
    [
        pytest.param({}, {}, False, id="absent"),
        pytest.param({c.ANNOTATION_FORCE_RESYNTHESIS: ""}, {}, True, id="empty-matches-no-synthesis"),
        pytest.param(
            {c.ANNOTATION_FORCE_RESYNTHESIS: "a"},
            {"current_synthesis": Synthesis(uuid="a")},
            True,
            id="current",
        ),
        pytest.param(
            {c.ANNOTATION_FORCE_RESYNTHESIS: "a"},
            {"current_synthesis": Synthesis(uuid="a"), "in_flight_synthesis": Synthesis(uuid="b")},
            False,
            id="superseded",
        ),
    ],
)
def test_should_force_resynthesis(
    annotations: dict[str, str], status: dict[str, Any], expected: bool
) -> None:
    assert p.should_force_resynthesis(comp(annotations, **status)) is expected


def test_force_resynthesis_names_the_latest_synthesis() -> None:
    forced = p.force_resynthesis(
        comp(current_synthesis=Synthesis(uuid="a"), in_flight_synthesis=Synthesis(uuid="b"))
    )
    assert forced.annotations == {c.ANNOTATION_FORCE_RESYNTHESIS: "b"}
    assert p.should_force_resynthesis(forced)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("True", False), ("1", False), (None, False)],
    ids=["true", "True-is-not", "1-is-not", "absent"],
)
def test_should_ignore_side_effects_is_exact(value: str | None, expected: bool) -> None:
    annotations = {c.ANNOTATION_IGNORE_SIDE_EFFECTS: value} if value is not None else {}
    assert p.should_ignore_side_effects(comp(annotations)) is expected


def test_enable_ignore_side_effects() -> None:
    assert p.should_ignore_side_effects(p.enable_ignore_side_effects(comp()))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("orphan", True), ("Orphan", True), ("foreground", False), (None, False)],
    ids=["orphan", "Orphan-fixed-quirk-7", "foreground", "absent"],
)
def test_should_orphan_resources(value: str | None, expected: bool) -> None:
    annotations = {c.ANNOTATION_DELETION_STRATEGY: value} if value is not None else {}
    assert p.should_orphan_resources(comp(annotations)) is expected


@pytest.mark.parametrize(
    ("annotations", "env", "expected"),
    [
        pytest.param(
            {c.ANNOTATION_OPERATION_ID: "ann"}, [("operationID", "env")], "ann", id="annotation-wins"
        ),
        pytest.param(
            {c.ANNOTATION_OPERATION_ID: ""}, [("x", "y"), ("operationID", "env")], "env", id="env-fallback"
        ),
        pytest.param({}, [("operationID", "first"), ("operationID", "second")], "first", id="first-env"),
        pytest.param({}, [], "", id="none"),
    ],
)
def test_azure_operation_id(annotations: dict[str, str], env: list[tuple[str, str]], expected: str) -> None:
    spec = CompositionSpec(synthesis_env=tuple(EnvVar(name=n, value=v) for n, v in env))
    assert p.azure_operation_id(comp(annotations, spec=spec)) == expected


def test_symphony_operation_values_have_no_env_fallback() -> None:
    sym = Symphony(metadata={"annotations": {c.ANNOTATION_OPERATION_ORIGIN: "o"}})
    assert (p.azure_operation_id(sym), p.azure_operation_origin(sym)) == ("", "o")


@pytest.mark.parametrize(
    ("results", "failed"),
    [
        pytest.param([], False, id="none"),
        pytest.param([Result(message="m")], False, id="no-severity-is-not-error"),
        pytest.param([Result(severity="warning"), Result(severity="error")], True, id="error"),
        pytest.param([Result(severity="Error")], False, id="case-sensitive"),
    ],
)
def test_synthesis_failed(results: list[Result], failed: bool) -> None:
    assert p.synthesis_failed(Synthesis(results=tuple(results))) is failed


# --- §9.2 ---


def input_obj(rv: str = "7", **annotations: str) -> dict[str, Any]:
    return {"metadata": {"resourceVersion": rv, "annotations": annotations}}


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        pytest.param({}, rev("k", "7"), id="plain"),
        pytest.param({c.ANNOTATION_REVISION: "3"}, rev("k", "7", 3), id="revision"),
        pytest.param({c.ANNOTATION_REVISION: "0"}, rev("k", "7"), id="zero-is-unset"),
        pytest.param({c.ANNOTATION_REVISION: "x"}, rev("k", "7"), id="unparsable-is-unset"),
        pytest.param({c.ANNOTATION_REVISION: " 3"}, rev("k", "7"), id="no-spaces"),
        pytest.param({c.ANNOTATION_REVISION: "-2"}, rev("k", "7", -2), id="negative"),
        pytest.param(
            {c.ANNOTATION_SYNTHESIZER_GENERATION: "4", c.ANNOTATION_COMPOSITION_GENERATION: "5"},
            rev("k", "7", synthesizer_generation=4, composition_generation=5),
            id="generations",
        ),
        pytest.param(
            {c.ANNOTATION_IGNORE_SIDE_EFFECTS: "T"}, rev("k", "7", ignore_side_effects=True), id="go-bool-T"
        ),
        pytest.param(
            {c.ANNOTATION_IGNORE_SIDE_EFFECTS: "0"}, rev("k", "7", ignore_side_effects=False), id="go-bool-0"
        ),
        pytest.param({c.ANNOTATION_IGNORE_SIDE_EFFECTS: "yes"}, rev("k", "7"), id="invalid-bool-unset"),
    ],
)
def test_new_input_revisions(annotations: dict[str, str], expected: InputRevisions) -> None:
    assert p.new_input_revisions(input_obj(**annotations), "k") == expected


def test_new_input_revisions_tolerates_odd_objects() -> None:
    assert p.new_input_revisions({"metadata": {"annotations": None}}, "k") == rev("k")
    assert p.new_input_revisions({}, "k") == rev("k")


@pytest.mark.parametrize(
    ("a", "b", "less"),
    [
        pytest.param(rev(rv="2", revision=1), rev(rv="1", revision=2), True, id="revision-decides"),
        pytest.param(rev(rv="1", revision=2), rev(rv="2", revision=2), False, id="equal-revisions"),
        pytest.param(rev(rv="1", revision=1), rev(rv="2"), True, id="one-revision-falls-to-rv"),
        pytest.param(rev(rv="5"), rev(rv="5"), False, id="same-rv"),
        pytest.param(rev(rv="5", ignore_side_effects=True), rev(rv="5"), True, id="same-rv-ignore-vs-unset"),
        pytest.param(
            rev(rv="5", ignore_side_effects=True),
            rev(rv="5", ignore_side_effects=False),
            True,
            id="same-rv-ignore-vs-false",
        ),
        pytest.param(
            rev(rv="5", ignore_side_effects=True),
            rev(rv="5", ignore_side_effects=True),
            False,
            id="same-rv-both-ignore",
        ),
        pytest.param(rev(rv="9"), rev(rv="10"), True, id="numeric-not-lexical"),
        pytest.param(rev(rv="10"), rev(rv="9"), False, id="newer"),
        pytest.param(rev(rv="abc"), rev(rv="1"), True, id="unparsable-counts-older"),
        pytest.param(rev(rv="1"), rev(rv="abc"), True, id="unparsable-either-side"),
    ],
)
def test_input_revisions_less(a: InputRevisions, b: InputRevisions, less: bool) -> None:
    assert p.input_revisions_less(a, b) is less


def test_input_revisions_less_refuses_other_keys() -> None:
    with pytest.raises(ValueError, match="different keys"):
        p.input_revisions_less(rev("a"), rev("b"))


@given(st.integers(0, 10**12), st.integers(0, 10**12))
def test_input_revisions_less_is_numeric_order(x: int, y: int) -> None:
    assert p.input_revisions_less(rev(rv=str(x)), rev(rv=str(y))) is (x < y)


# --- §9.3 ---


@pytest.mark.parametrize(
    ("refs", "revs", "missing"),
    [
        pytest.param([], [], [], id="no-refs"),
        pytest.param([ref("a"), ref("b")], [rev("a")], ["b"], id="one-missing"),
        pytest.param([ref("a"), ref("b", optional=True)], [rev("a")], [], id="optional-not-missing"),
        pytest.param([ref("a")], [rev("a"), rev("extra")], [], id="extra-revision-ignored"),
    ],
)
def test_missing_inputs(refs: list[Ref], revs: list[InputRevisions], missing: list[str]) -> None:
    composition = comp(input_revisions=tuple(revs))
    assert p.missing_inputs(synth(*refs), composition) == missing
    assert p.inputs_exist(synth(*refs), composition) is (not missing)


@pytest.mark.parametrize(
    ("revs", "mismatched"),
    [
        pytest.param([], [], id="empty"),
        pytest.param([rev("a"), rev("b")], [], id="no-revisions"),
        pytest.param([rev("a", revision=2), rev("b", revision=2)], [], id="lockstep"),
        pytest.param([rev("a", revision=1), rev("b", revision=2), rev("c")], ["a"], id="behind-max"),
        pytest.param([rev("a", synthesizer_generation=1)], ["a"], id="synthesizer-generation-behind"),
        pytest.param([rev("a", synthesizer_generation=2)], [], id="synthesizer-generation-caught-up"),
        pytest.param([rev("a", synthesizer_generation=3)], [], id="synthesizer-generation-ahead"),
        pytest.param([rev("a", composition_generation=4)], ["a"], id="composition-generation-behind"),
        pytest.param([rev("a", composition_generation=5)], [], id="composition-generation-caught-up"),
    ],
)
def test_mismatched_inputs(revs: list[InputRevisions], mismatched: list[str]) -> None:
    composition = comp(generation=5, input_revisions=tuple(revs))
    synthesizer = synth(generation=2)
    assert [r.key for r in p.mismatched_inputs(synthesizer, composition)] == mismatched
    assert p.inputs_out_of_lockstep(synthesizer, composition) is bool(mismatched)


# --- §9.4 ---


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        pytest.param(None, None, True, id="both-nil"),
        pytest.param(ResourceState(), None, False, id="one-nil"),
        pytest.param(ResourceState(reconciled=True), ResourceState(reconciled=True), True, id="same"),
        pytest.param(ResourceState(reconciled=True), ResourceState(), False, id="reconciled-differs"),
        pytest.param(ResourceState(deleted=True), ResourceState(), False, id="deleted-differs"),
        pytest.param(ResourceState(ready=T1), ResourceState(), False, id="ready-one-side"),
        pytest.param(ResourceState(ready=T1), ResourceState(ready=T2), False, id="ready-differs"),
        pytest.param(
            ResourceState(ready=T1), ResourceState(ready="2024-01-01T01:00:00+01:00"), True, id="same-instant"
        ),
        pytest.param(
            ResourceState(reconciliation_error="x"), ResourceState(), True, id="reconciliation-error-ignored"
        ),
    ],
)
def test_resource_state_equal(a: ResourceState | None, b: ResourceState | None, equal: bool) -> None:
    assert p.resource_state_equal(a, b) is equal
    assert p.resource_state_equal(b, a) is equal


def manifest(doc: Any) -> Manifest:
    return Manifest(manifest=doc if isinstance(doc, str) else json.dumps(doc))


@pytest.mark.parametrize(
    ("resources", "index", "expected"),
    [
        pytest.param(
            [manifest({"kind": "ConfigMap", "metadata": {"name": "a"}})], 0, "ConfigMap/a", id="parsed"
        ),
        pytest.param([manifest({"kind": "ConfigMap", "metadata": {"name": "a"}})], 1, "", id="out-of-range"),
        pytest.param([manifest({"kind": "ConfigMap", "metadata": {"name": "a"}})], -1, "", id="negative"),
        pytest.param([manifest("{not json")], 0, "", id="bad-json"),
        pytest.param([manifest({"kind": "ConfigMap", "metadata": {}})], 0, "", id="no-name"),
        pytest.param([manifest({"metadata": {"name": "a"}})], 0, "", id="no-kind"),
        pytest.param([manifest([1])], 0, "", id="not-an-object"),
        pytest.param(
            [attrs.evolve(manifest("{}"), parsed_kind="Secret", parsed_name="s")],
            0,
            "Secret/s",
            id="in-memory",
        ),
    ],
)
def test_identifier_at(resources: list[Manifest], index: int, expected: str) -> None:
    slice_ = ResourceSlice(spec=ResourceSliceSpec(resources=tuple(resources)))
    assert p.identifier_at(slice_, index) == expected


# --- §9.5 (Eno's simplified-status property table as explicit cases) ---

ERR = Result(severity="error", message="Test error")


@pytest.mark.parametrize(
    ("synthesizer", "composition", "expected"),
    [
        pytest.param(synth(), comp(deleting=True), SimplifiedStatus(status="Deleting"), id="deleting"),
        pytest.param(None, comp(deleting=True), SimplifiedStatus(status="Deleting"), id="deleting-no-synth"),
        pytest.param(
            synth(),
            comp(
                deleting=True,
                dependency_status=DependencyStatus(blocked=True, reason=c.REASON_WAITING_ON_DEPENDENTS),
            ),
            SimplifiedStatus(status="WaitingOnDependents"),
            id="deleting-blocked",
        ),
        pytest.param(
            synth(),
            comp(deleting=True, dependency_status=DependencyStatus(blocked=False, reason="x")),
            SimplifiedStatus(status="Deleting"),
            id="deleting-unblocked",
        ),
        pytest.param(None, comp(), SimplifiedStatus(status="MissingSynthesizer"), id="missing-synth"),
        pytest.param(
            synth(),
            comp(in_flight_synthesis=Synthesis()),
            SimplifiedStatus(status="Synthesizing"),
            id="synthesizing",
        ),
        pytest.param(
            synth(),
            comp(in_flight_synthesis=Synthesis(results=(Result(severity="warning", message="w"), ERR))),
            SimplifiedStatus(status="Synthesizing", error="Test error"),
            id="synthesizing-with-error",
        ),
        pytest.param(
            synth(),
            comp(in_flight_synthesis=Synthesis(canceled=T1)),
            SimplifiedStatus(status="SynthesisBackoff", error="Timeout"),
            id="canceled-timeout",
        ),
        pytest.param(
            synth(),
            comp(in_flight_synthesis=Synthesis(canceled=T1, results=(ERR,))),
            SimplifiedStatus(status="SynthesisBackoff", error="Test error"),
            id="canceled-error",
        ),
        pytest.param(synth(ref("a")), comp(), SimplifiedStatus(status="MissingInputs"), id="missing-inputs"),
        pytest.param(synth(), comp(), SimplifiedStatus(status="PendingSynthesis"), id="pending"),
        pytest.param(
            synth(),
            comp(spec=CompositionSpec(depends_on=(CompositionDependency(name="d", namespace="ns"),))),
            SimplifiedStatus(status="WaitingOnDependencies"),
            id="waiting-on-dependencies",
        ),
        pytest.param(
            synth(ref("a"), ref("b")),
            comp(input_revisions=(rev("a", revision=1), rev("b", revision=2))),
            SimplifiedStatus(status="PendingSynthesis"),
            id="mismatched-never-shows-quirk-5",
        ),
        pytest.param(
            synth(),
            comp(current_synthesis=Synthesis(reconciled=T1, ready=T2)),
            SimplifiedStatus(status="Ready"),
            id="ready",
        ),
        pytest.param(
            synth(),
            comp(current_synthesis=Synthesis(reconciled=T1)),
            SimplifiedStatus(status="NotReady"),
            id="not-ready",
        ),
        pytest.param(
            synth(),
            comp(
                current_synthesis=Synthesis(), simplified=SimplifiedStatus(status="x", error="Previous error")
            ),
            SimplifiedStatus(status="Reconciling", error="Previous error"),
            id="reconciling-keeps-error",
        ),
        pytest.param(
            synth(),
            comp(current_synthesis=Synthesis()),
            SimplifiedStatus(status="Reconciling"),
            id="reconciling",
        ),
        pytest.param(
            synth(),
            comp(current_synthesis=Synthesis(ready=T1), in_flight_synthesis=Synthesis()),
            SimplifiedStatus(status="Synthesizing"),
            id="in-flight-beats-ready",
        ),
    ],
)
def test_simplified_status(
    synthesizer: Synthesizer | None, composition: Composition, expected: SimplifiedStatus
) -> None:
    assert p.simplified_status(synthesizer, composition) == expected


def test_with_simplified_status() -> None:
    updated = p.with_simplified_status(comp(), SimplifiedStatus(status="Ready"))
    assert updated.to_dict()["status"] == {"simplified": {"status": "Ready"}}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", True),
        ("t", True),
        ("TRUE", True),
        ("True", True),
        ("0", False),
        ("F", False),
        ("tRuE", None),
        ("", None),
    ],
)
def test_parse_go_bool(text: str, value: bool | None) -> None:
    assert p.parse_go_bool(text) is value


@pytest.mark.parametrize(
    ("text", "bits", "value"),
    [
        ("42", 64, 42),
        ("+7", 64, 7),
        ("-7", 64, -7),
        ("", 64, None),
        ("1.0", 64, None),
        ("\uff12", 64, None),
        ("2147483648", 32, None),
    ],
    ids=["plain", "plus", "minus", "empty", "float", "fullwidth-digit", "overflow-32"],
)
def test_parse_go_int(text: str, bits: int, value: int | None) -> None:
    assert p.parse_go_int(text, bits) == value
