"""The trigger rules, retries, cooldown and priority order as pure functions (synthesis.md §5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.api.v1 import constants as c
from eno.api.v1.times import parse_time
from eno.scheduling.op import (
    DAWN,
    Op,
    Reason,
    classify,
    cooldown_slot,
    fnv1_64,
    new_op,
    op_less,
    retry_not_before,
    rollout_hash,
    synthesizer_epoch,
)
from tests.scheduling.objects import T0, comp, ref, rev, synth, synthesis

FORCE = c.ANNOTATION_FORCE_RESYNTHESIS
IGNORE = {c.ANNOTATION_IGNORE_SIDE_EFFECTS: "true"}
ONE_REF = [ref("a")]
DEFERRED_REF = [ref("a", defer=True)]

CASES: list[tuple[str, dict[str, Any], dict[str, Any], Reason | None]] = [
    ("initial", {}, {}, Reason.INITIAL_SYNTHESIS),
    (
        "initial: current never synthesized",
        {},
        {"current": synthesis(synthesized=None)},
        Reason.INITIAL_SYNTHESIS,
    ),
    ("in flight: not initial", {}, {"in_flight": synthesis(synthesized=None)}, None),
    ("steady", {}, {"current": synthesis()}, None),
    ("deleting", {}, {"deleting": True}, None),
    ("no finalizer", {}, {"finalizer": False}, None),
    ("missing input", {"refs": ONE_REF}, {}, None),
    ("optional missing input is fine", {"refs": [ref("a", optional=True)]}, {}, Reason.INITIAL_SYNTHESIS),
    (
        "lockstep: revisions differ",
        {"refs": [ref("a"), ref("b")]},
        {"revs": [rev("a", revision=1), rev("b", revision=2)]},
        None,
    ),
    (
        "lockstep: input behind the synthesizer generation",
        {"refs": ONE_REF, "generation": 2},
        {"revs": [rev("a", synthesizerGeneration=1)]},
        None,
    ),
    (
        "lockstep: input behind the composition generation",
        {"refs": ONE_REF},
        {"generation": 3, "revs": [rev("a", compositionGeneration=2)]},
        None,
    ),
    (
        "lockstep: ahead is fine",
        {"refs": ONE_REF},
        {"revs": [rev("a", compositionGeneration=5)]},
        Reason.INITIAL_SYNTHESIS,
    ),
    ("forced: empty value and no synthesis", {}, {"annotations": {FORCE: ""}}, Reason.INITIAL_SYNTHESIS),
    (
        "forced: latest uuid",
        {},
        {"current": synthesis(uuid="x"), "annotations": {FORCE: "x"}},
        Reason.FORCED_RESYNTHESIS,
    ),
    ("forced: stale uuid", {}, {"current": synthesis(uuid="x"), "annotations": {FORCE: "old"}}, None),
    ("composition modified", {}, {"generation": 2, "current": synthesis()}, Reason.COMPOSITION_MODIFIED),
    (
        "composition modified: in flight saw it",
        {},
        {"generation": 2, "current": synthesis(), "in_flight": synthesis(generation=2, synthesized=None)},
        None,
    ),
    (
        "input modified",
        {"refs": ONE_REF},
        {"current": synthesis(revs=[rev("a", "1")]), "revs": [rev("a", "2")]},
        Reason.INPUT_MODIFIED,
    ),
    (
        "input older in status than in synthesis: no change",
        {"refs": ONE_REF},
        {"current": synthesis(revs=[rev("a", "3")]), "revs": [rev("a", "2")]},
        None,
    ),
    (
        "input revision annotation wins over resourceVersion",
        {"refs": ONE_REF},
        {"current": synthesis(revs=[rev("a", "1", revision=5)]), "revs": [rev("a", "9", revision=5)]},
        None,
    ),
    (
        "unparsable resourceVersion counts as a change",
        {"refs": ONE_REF},
        {"current": synthesis(revs=[rev("a", "x")]), "revs": [rev("a", "y")]},
        Reason.INPUT_MODIFIED,
    ),
    (
        "deferred input modified",
        {"refs": DEFERRED_REF},
        {"current": synthesis(revs=[rev("a", "1")]), "revs": [rev("a", "2")]},
        Reason.DEFERRED_INPUT_MODIFIED,
    ),
    (
        "input not in the synthesizer's refs",
        {"refs": ONE_REF},
        {"current": synthesis(revs=[rev("a", "1")]), "revs": [rev("a", "1"), rev("zz", "2")]},
        None,
    ),
    (
        "new key: nil ignoreSideEffects does not count",
        {"refs": [ref("a", optional=True)]},
        {"current": synthesis(), "revs": [rev("a", "2")]},
        None,
    ),
    (
        "new key: explicit false counts",
        {"refs": [ref("a", optional=True)]},
        {"current": synthesis(), "revs": [rev("a", "2", ignoreSideEffects=False)]},
        Reason.INPUT_MODIFIED,
    ),
    (
        "input says ignore side effects",
        {"refs": ONE_REF},
        {"current": synthesis(revs=[rev("a", "1")]), "revs": [rev("a", "2", ignoreSideEffects=True)]},
        None,
    ),
    (
        "same rv: ignoreSideEffects dropped from the input counts",
        {"refs": ONE_REF},
        {"current": synthesis(revs=[rev("a", "1", ignoreSideEffects=True)]), "revs": [rev("a", "1")]},
        Reason.INPUT_MODIFIED,
    ),
    (
        "composition ignores side effects: input change",
        {"refs": ONE_REF},
        {"current": synthesis(revs=[rev("a", "1")]), "revs": [rev("a", "2")], "annotations": IGNORE},
        None,
    ),
    (
        "composition ignores side effects: forced input",
        {"refs": ONE_REF},
        {
            "current": synthesis(revs=[rev("a", "1")]),
            "revs": [rev("a", "2", ignoreSideEffects=False)],
            "annotations": IGNORE,
        },
        Reason.INPUT_MODIFIED,
    ),
    (
        "composition ignores side effects: synthesizer change",
        {"generation": 2},
        {"current": synthesis(), "annotations": IGNORE},
        None,
    ),
    (
        "composition ignores side effects: spec change still counts",
        {},
        {"generation": 2, "current": synthesis(), "annotations": IGNORE},
        Reason.COMPOSITION_MODIFIED,
    ),
    ("synthesizer modified", {"generation": 2}, {"current": synthesis()}, Reason.SYNTHESIZER_MODIFIED),
    (
        "synthesizer generation never recorded",
        {"generation": 2},
        {"current": synthesis(synth_generation=0)},
        None,
    ),
    (
        "in-flight synthesis compared, not current",
        {"generation": 2},
        {"current": synthesis(), "in_flight": synthesis(synth_generation=2, synthesized=None)},
        None,
    ),
]


@pytest.mark.parametrize(
    ("synth_args", "comp_args", "expected"), [c_[1:] for c_ in CASES], ids=[c_[0] for c_ in CASES]
)
def test_classify(synth_args: dict[str, Any], comp_args: dict[str, Any], expected: Reason | None) -> None:
    assert classify(synth(**synth_args), comp(**comp_args)) == expected


SLOT = parse_time("2026-01-01T00:05:00Z")


def test_deferred_op_waits_for_the_slot_and_never_preempts() -> None:
    s = synth(generation=2)
    idle = comp(current=synthesis())
    op = new_op(s, idle, SLOT)
    assert op is not None and op.reason is Reason.SYNTHESIZER_MODIFIED and op.not_before == SLOT
    assert op.rollout_hash == rollout_hash(s, idle)
    busy = comp(current=synthesis(), in_flight=synthesis(uuid="u2", synthesized=None))
    assert new_op(s, busy, SLOT) is None


def test_non_deferred_op_preempts_and_starts_now() -> None:
    busy = comp(generation=2, current=synthesis(), in_flight=synthesis(uuid="u2", synthesized=None))
    op = new_op(synth(), busy, SLOT)
    assert op is not None and op.reason is Reason.COMPOSITION_MODIFIED and op.not_before is None


RETRIES = [
    ("first attempt: canceled + 10s * 1 * 1.5", 1, "2026-01-01T00:00:10Z", "2026-01-01T00:00:25Z"),
    ("third attempt: canceled + 10s * 3 * 1.5", 3, "2026-01-01T00:00:10Z", "2026-01-01T00:00:55Z"),
    ("no attempts recorded: at once", 0, "2026-01-01T00:00:10Z", "2026-01-01T00:00:10Z"),
]


@pytest.mark.parametrize(
    ("attempts", "canceled", "expected"), [r[1:] for r in RETRIES], ids=[r[0] for r in RETRIES]
)
def test_retry_backoff(attempts: int, canceled: str, expected: str) -> None:
    failed = comp(
        current=synthesis(),
        in_flight=synthesis(uuid="u2", synthesized=None, canceled=canceled, attempts=attempts),
    )
    assert retry_not_before(failed) == parse_time(expected)
    op = new_op(synth(), failed, SLOT)
    assert op is not None and op.reason is Reason.RETRY and op.not_before == parse_time(expected)


def test_retry_even_when_inputs_are_missing_and_without_initialized() -> None:
    in_flight = synthesis(uuid="u2", synthesized=None, canceled=T0, attempts=2)
    del in_flight["initialized"]
    failed = comp(in_flight=in_flight)
    op = new_op(synth(refs=ONE_REF), failed, SLOT)
    assert op is not None and op.reason is Reason.RETRY and op.not_before == parse_time(T0)


def test_canceled_with_a_new_reason_is_not_a_retry() -> None:
    failed = comp(
        generation=2, current=synthesis(), in_flight=synthesis(uuid="u2", synthesized=None, canceled=T0)
    )
    op = new_op(synth(), failed, SLOT)
    assert op is not None and op.reason is Reason.COMPOSITION_MODIFIED


def test_cooldown_slot_is_newest_deferred_initialized_plus_cooldown() -> None:
    comps = [
        comp("a", current=synthesis(deferred=True, initialized="2026-01-01T00:01:00Z")),
        comp("b", previous=synthesis(deferred=True, initialized="2026-01-01T00:03:00Z")),
        comp("c", in_flight=synthesis(initialized="2026-01-01T00:09:00Z")),  # not deferred
    ]
    assert cooldown_slot(comps, 60) == parse_time("2026-01-01T00:04:00Z")
    assert cooldown_slot([comp()], 60) == DAWN + dt.timedelta(seconds=60)


def _op(reason: Reason, uid: str, hashed: int = 0, not_before: str | None = None) -> Op:
    return Op(reason, comp(uid=uid), parse_time(not_before) if not_before else None, hashed)


def _sorted(ops: list[Op]) -> list[Op]:
    out: list[Op] = []
    for op in ops:
        i = 0
        while i < len(out) and not op_less(op, out[i]):
            i += 1
        out.insert(i, op)
    return out


def test_op_priority_basics() -> None:
    """Eno's TestOpPriorityBasics: initial, composition-modified, deferred input, rollouts by hash desc."""
    ops = [
        _op(Reason.SYNTHESIZER_MODIFIED, "a", hashed=1),
        _op(Reason.DEFERRED_INPUT_MODIFIED, "b"),
        _op(Reason.SYNTHESIZER_MODIFIED, "c", hashed=9),
        _op(Reason.COMPOSITION_MODIFIED, "d"),
        _op(Reason.INITIAL_SYNTHESIS, "e"),
    ]
    assert [o.composition.uid for o in _sorted(ops)] == ["e", "d", "b", "c", "a"]


def test_op_priority_retries_by_uid_not_time() -> None:
    """Eno's TestOpPriorityRetries: the smaller uid first even when the other retry is due sooner."""
    later = _op(Reason.RETRY, "a", not_before="2026-01-01T01:00:00Z")
    sooner = _op(Reason.RETRY, "b", not_before="2026-01-01T00:00:00Z")
    assert op_less(later, sooner) and not op_less(sooner, later)


def test_fnv1_is_not_fnv1a() -> None:
    assert fnv1_64(b"") == 0xCBF29CE484222325
    assert fnv1_64(b"a") == 0xAF63BD4C8601B7BE  # FNV-1a would give 0xaf63dc4c8601ec8c


def test_epoch_changes_with_any_synthesizer_generation() -> None:
    one = synthesizer_epoch([synth("a", uid="1"), synth("b", uid="2")])
    assert one == synthesizer_epoch([synth("b", uid="2"), synth("a", uid="1")])
    assert one != synthesizer_epoch([synth("a", uid="1"), synth("b", uid="2", generation=2)])
    assert len(one) == 16


@given(
    st.lists(
        st.tuples(st.sampled_from(list(Reason)), st.sampled_from("abcdef"), st.integers(0, 5)),
        min_size=1,
        max_size=12,
    )
)
def test_op_order_is_a_strict_order(specs: list[tuple[Reason, str, int]]) -> None:
    ops = [_op(r, uid, h) for r, uid, h in specs]
    for a in ops:
        assert not op_less(a, a)
        for b in ops:
            assert not (op_less(a, b) and op_less(b, a))
            for c_ in ops:
                if op_less(a, b) and op_less(b, c_):
                    assert op_less(a, c_)
