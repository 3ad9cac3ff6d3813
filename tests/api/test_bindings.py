"""Ref resolution and per-key input revisions."""

from __future__ import annotations

import pytest

from eno.api.v1.bindings import (
    binding_for,
    is_bound,
    prune_input_revisions,
    ref_target,
    remove_input_revision,
    upsert_input_revision,
)
from eno.api.v1.common import Binding, InputRevisions, ResourceBinding
from eno.api.v1.composition import Composition, CompositionSpec, CompositionStatus
from eno.api.v1.synthesizer import Ref, ResourceRef, Synthesizer, SynthesizerSpec


def ref(key: str, name: str = "", namespace: str = "") -> Ref:
    return Ref(key=key, resource=ResourceRef(kind="ConfigMap", name=name, namespace=namespace))


def comp(*bindings: tuple[str, str], revs: tuple[str, ...] = ()) -> Composition:
    return Composition(
        spec=CompositionSpec(
            bindings=tuple(
                Binding(key=k, resource=ResourceBinding(name=n, namespace="ns")) for k, n in bindings
            )
        ),
        status=CompositionStatus(input_revisions=tuple(InputRevisions(key=k) for k in revs)),
    )


@pytest.mark.parametrize(
    ("r", "composition", "expected"),
    [
        pytest.param(
            ref("a"), comp(("a", "bound")), ResourceBinding(name="bound", namespace="ns"), id="binding"
        ),
        pytest.param(
            ref("a", "fixed", "x"), comp(), ResourceBinding(name="fixed", namespace="x"), id="implicit"
        ),
        pytest.param(
            ref("a", "fixed", "x"),
            comp(("a", "bound")),
            ResourceBinding(name="bound", namespace="ns"),
            id="binding-wins",
        ),
        pytest.param(ref("a"), comp(("b", "other")), None, id="unbound"),
        pytest.param(
            ref("a"),
            comp(("a", "first"), ("a", "second")),
            ResourceBinding(name="first", namespace="ns"),
            id="first",
        ),
    ],
)
def test_ref_target(r: Ref, composition: Composition, expected: ResourceBinding | None) -> None:
    assert ref_target(r, composition) == expected


def test_binding_for_missing_key() -> None:
    assert binding_for(comp(), "a") is None


def test_upsert_and_remove_keep_one_entry_per_key() -> None:
    revs = (InputRevisions(key="a", resource_version="1"), InputRevisions(key="b", resource_version="1"))
    updated = upsert_input_revision(revs, InputRevisions(key="a", resource_version="2"))
    assert [(r.key, r.resource_version) for r in updated] == [("a", "2"), ("b", "1")]
    appended = upsert_input_revision(updated, InputRevisions(key="c"))
    assert [r.key for r in appended] == ["a", "b", "c"]
    assert [r.key for r in remove_input_revision(appended, "b")] == ["a", "c"]


def test_prune_keeps_bound_and_implicitly_bound_keys() -> None:
    synth = Synthesizer(spec=SynthesizerSpec(refs=(ref("implicit", "fixed"), ref("needs-binding"))))
    composition = comp(("bound", "x"), revs=("bound", "implicit", "needs-binding", "gone"))
    assert [r.key for r in prune_input_revisions(synth, composition)] == ["bound", "implicit"]
    assert is_bound(synth, composition, "implicit")
    assert not is_bound(synth, composition, "gone")
