"""The ownership guard's decision, as a table: who may write an object several compositions claim."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.reconciler.ownership import (
    OWNER_ANNOTATION,
    Claim,
    CompositionKey,
    Decision,
    ObjectKey,
    ObjectLocks,
    OwnershipIndex,
    Verdict,
    decide,
    incumbent_of,
    with_marker,
)

A = CompositionKey("default", "source")
B = CompositionKey("default", "target")
C = CompositionKey("default", "third")
OBJ = ObjectKey("", "ConfigMap", "default", "moved")


def live(comp: CompositionKey, enabled: bool = True) -> Claim:
    return Claim(comp, enabled=enabled)


def tomb(comp: CompositionKey, enabled: bool = True) -> Claim:
    return Claim(comp, enabled=enabled, deleting=True)


CASES = [
    # id, candidate, claims, incumbent, verdict, winner
    ("sole-writer", A, [live(A)], None, Verdict.WRITE, A),
    ("sole-writer-disabled", A, [live(A, False)], None, Verdict.IDLE, None),
    ("no-claim-is-idle", A, [live(B)], None, Verdict.IDLE, B),
    ("before-flip-source-writes", A, [live(A), live(B, False)], A, Verdict.WRITE, A),
    ("before-flip-target-idle", B, [live(A), live(B, False)], A, Verdict.IDLE, A),
    ("after-flip-target-writes", B, [live(A, False), live(B)], A, Verdict.WRITE, B),
    ("after-flip-source-idle", A, [live(A, False), live(B)], A, Verdict.IDLE, B),
    ("both-enabled-incumbent-keeps", A, [live(A), live(B)], A, Verdict.WRITE, A),
    ("both-enabled-challenger-loses", B, [live(A), live(B)], A, Verdict.CONFLICT, A),
    ("both-enabled-incumbent-target", A, [live(A), live(B)], B, Verdict.CONFLICT, B),
    ("both-enabled-no-incumbent-first-wins", A, [live(A), live(B)], None, Verdict.WRITE, A),
    ("both-enabled-no-incumbent-second-loses", B, [live(A), live(B)], None, Verdict.CONFLICT, A),
    ("incumbent-gone-first-of-rest", C, [live(B), live(C)], A, Verdict.CONFLICT, B),
    ("tombstone-alone-deletes", A, [tomb(A)], A, Verdict.WRITE, A),
    ("tombstone-disabled-idle", A, [tomb(A, False), live(B)], A, Verdict.IDLE, B),
    ("tombstone-never-deletes-managed", A, [tomb(A), live(B)], A, Verdict.YIELD, B),
    ("tombstone-yields-to-not-yet-enabled", A, [tomb(A), live(B, False)], A, Verdict.YIELD, B),
    ("live-beats-incumbent-tombstone", B, [tomb(A), live(B)], A, Verdict.WRITE, B),
    ("two-tombstones-incumbent-deletes", B, [tomb(A), tomb(B)], B, Verdict.WRITE, B),
]


@pytest.mark.parametrize(
    ("candidate", "claims", "incumbent", "verdict", "winner"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_decide(
    candidate: CompositionKey,
    claims: list[Claim],
    incumbent: CompositionKey | None,
    verdict: Verdict,
    winner: CompositionKey | None,
) -> None:
    decision = decide(candidate, claims, incumbent)
    assert (decision.verdict, decision.winner) == (verdict, winner)
    assert decision.may_write == (verdict is Verdict.WRITE)
    assert bool(decision.reason()) == (verdict is Verdict.CONFLICT)


comps = st.sampled_from([A, B, C])
claims_st = st.lists(
    st.builds(Claim, comps, st.booleans(), st.booleans()), unique_by=lambda c: c.composition, max_size=3
)


@given(claims_st, st.none() | comps)
def test_at_most_one_writer(claims: list[Claim], incumbent: CompositionKey | None) -> None:
    """Whatever the claims and the marker, at most one composition may write, and every process agrees."""
    writers = [c.composition for c in claims if decide(c.composition, claims, incumbent).may_write]
    assert len(writers) <= 1
    if any(c.enabled and not c.deleting for c in claims):
        assert len(writers) == 1
    assert decide(A, list(reversed(claims)), incumbent).winner == decide(A, claims, incumbent).winner


@given(claims_st, st.none() | comps)
def test_delete_never_removes_managed(claims: list[Claim], incumbent: CompositionKey | None) -> None:
    for claim in claims:
        if claim.deleting and decide(claim.composition, claims, incumbent).may_write:
            assert all(c.deleting for c in claims), "a delete went ahead while another synthesis holds it"


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param({"metadata": {}}, None, id="no-annotations"),
        pytest.param({"metadata": {"annotations": {OWNER_ANNOTATION: "default/source"}}}, A, id="marker"),
        pytest.param({"metadata": {"annotations": {OWNER_ANNOTATION: "garbage"}}}, None, id="garbage"),
        pytest.param({"metadata": {"annotations": {OWNER_ANNOTATION: 3}}}, None, id="wrong-type"),
    ],
)
def test_incumbent_of(obj: object, expected: CompositionKey | None) -> None:
    assert incumbent_of(obj) == expected  # type: ignore[arg-type]


def test_marker_round_trip_keeps_the_rest() -> None:
    desired: dict[str, Any] = {"kind": "ConfigMap", "metadata": {"name": "x", "annotations": {"a": "b"}}}
    marked = with_marker(desired, B)
    assert incumbent_of(marked) == B
    assert marked["metadata"]["annotations"]["a"] == "b"
    assert "annotations" in desired["metadata"] and OWNER_ANNOTATION not in desired["metadata"]["annotations"]


def test_index_claims_release_and_contested() -> None:
    index = OwnershipIndex()
    index.claim(OBJ, live(A))
    index.claim(OBJ, live(B, False))
    assert list(index.contested()) == []
    assert index.decide(OBJ, B, None) == Decision(Verdict.IDLE, A)
    index.claim(OBJ, live(B))
    assert [key for key, _ in index.contested()] == [OBJ]
    assert index.decide(OBJ, B, A).verdict is Verdict.CONFLICT
    index.forget_composition(A)
    assert index.decide(OBJ, B, A).verdict is Verdict.WRITE
    index.release(OBJ, B)
    assert index.claims(OBJ) == ()


async def test_object_locks_serialise_and_clean_up() -> None:
    locks = ObjectLocks()
    order: list[str] = []
    entered = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with locks.hold(OBJ):
            entered.set()
            order.append("first-in")
            await release.wait()
            order.append("first-out")

    async def second() -> None:
        await entered.wait()
        async with locks.hold(OBJ):
            order.append("second-in")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await entered.wait()
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert order == ["first-in", "first-out", "second-in"]
    assert len(locks) == 0
