"""`eno migrate`'s pure step logic, table-driven: preconditions and refusals, "done", and the writes."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.cel.engine import default_engine
from eno.migrate.steps import Step, edit_symphony, missing, moved_objects, preconditions, verdicts, written_by
from eno.migrate.table import format_table, rows
from tests.migrate.world import CONFIG, IN_FORM, KEY, M, Side, moved, world

ENGINE = default_engine()
SRC_OBJ, TGT_OBJ = moved("source"), moved("target")
# Runbook states, as the cluster shows them once each step is deployed.
PREPARED = world(Side("true", "true", (SRC_OBJ,)), Side("", None, (TGT_OBJ,)), live=SRC_OBJ)
FLIPPED = world(Side("", None, (SRC_OBJ,)), Side("true", "true", (TGT_OBJ,)), live=TGT_OBJ)
DROPPED = world(Side("", None, (), (SRC_OBJ,)), Side("true", "true", (moved("target", None),)), live=TGT_OBJ)
# Removing the key from the variations leaves the target composition's value: only "" removes.
FINISHED = world(Side(None, None, ()), Side(None, "true", (moved("target", None),)), live=TGT_OBJ)


def test_moved_objects_are_those_guarded_by_the_key() -> None:
    assert moved_objects(PREPARED, M) == [CONFIG]
    assert moved_objects(world(Side(), Side(), live=None), M) == []


@pytest.mark.parametrize(
    ("step", "source", "target"),
    [
        pytest.param(Step.PREPARE, "true", "", id="prepare"),
        pytest.param(Step.FLIP, "", "true", id="flip"),
        pytest.param(Step.ROLLBACK, "true", "", id="rollback"),
        pytest.param(Step.FINISH, None, None, id="finish-removes"),
    ],
)
def test_each_step_writes_only_the_two_variations_key(
    step: Step, source: str | None, target: str | None
) -> None:
    symphony = dict(PREPARED.symphony or {})
    symphony["spec"] = {"variations": [*symphony["spec"]["variations"], {"synthesizer": {"name": "other"}}]}
    out = edit_symphony(symphony, M, step)
    values = [(v.get("annotations") or {}).get(KEY) for v in out["spec"]["variations"]]
    assert values == [source, target, None]
    assert symphony["spec"]["variations"][0]["annotations"][KEY] == "true"  # the input is not mutated


@pytest.mark.parametrize(
    ("observed", "step", "expect"),
    [
        pytest.param(PREPARED, Step.FLIP, [], id="flip-after-step-2"),
        pytest.param(PREPARED, Step.PLAN, [], id="plan-after-step-2"),
        pytest.param(world(Side(None, None, (SRC_OBJ,)), Side()), Step.PREPARE, [], id="prepare-fresh"),
        pytest.param(FLIPPED, Step.ROLLBACK, [], id="rollback-after-flip"),
        pytest.param(DROPPED, Step.FINISH, [], id="finish-after-step-4"),
        pytest.param(
            world(Side(), Side(), symphony=False),
            Step.FLIP,
            ["symphony default/migration not found"],
            id="no-symphony",
        ),
        pytest.param(
            world(Side("true", "true", (moved("source", None),)), Side("", None, ())),
            Step.FLIP,
            ["no object moves"],
            id="no-override-yet",
        ),
        pytest.param(
            world(Side("true", "true", (SRC_OBJ,)), Side("", None, ())),
            Step.FLIP,
            [
                "runbook step 2 not deployed: the target does not synthesize",
                "neither composition would write",
            ],
            id="target-lacks-object",
        ),
        pytest.param(
            world(Side("true", "true", (SRC_OBJ,)), Side("", None, (moved("target", None),))),
            Step.FLIP,
            ["the target's ConfigMap default/moved-config has no override"],
            id="target-lacks-override",
        ),
        pytest.param(
            world(Side(None, None, (SRC_OBJ,)), Side(None, None, (TGT_OBJ,))),
            Step.FLIP,
            ["not prepared"],
            id="flip-unprepared",
        ),
        pytest.param(
            world(Side("true", "true", (SRC_OBJ,), synthesizing=True), Side("", None, (TGT_OBJ,))),
            Step.FLIP,
            ["the source composition is synthesizing"],
            id="flip-while-synthesizing",
        ),
        pytest.param(
            world(Side("true", "true", (SRC_OBJ,)), Side("", None, (TGT_OBJ,), reconciled=False)),
            Step.FLIP,
            ["the target composition's current synthesis is not reconciled"],
            id="flip-unreconciled",
        ),
        pytest.param(
            world(Side("true", "true", (moved("source", None),)), Side("", None, (TGT_OBJ,))),
            Step.PLAN,
            ["the source's ConfigMap default/moved-config has no override", "both compositions would write"],
            id="plan-refuses-both-writers",
        ),
        pytest.param(PREPARED, Step.ROLLBACK, ["nothing to roll back"], id="rollback-unflipped"),
        pytest.param(
            DROPPED, Step.ROLLBACK, ["the source no longer synthesizes ConfigMap"], id="rollback-after-step-4"
        ),
        pytest.param(FLIPPED, Step.FINISH, ["runbook step 4 not deployed"], id="finish-before-step-4"),
        pytest.param(PREPARED, Step.FINISH, ["not flipped"], id="finish-unflipped"),
        pytest.param(FLIPPED, Step.PREPARE, ["already owns"], id="prepare-after-flip"),
    ],
)
def test_preconditions(observed, step: Step, expect: list[str]) -> None:
    problems = preconditions(observed, M, step, ENGINE)
    if not expect:
        assert problems == []
    for fragment in expect:
        assert any(fragment in p for p in problems), (fragment, problems)


@pytest.mark.parametrize("condition", [pytest.param(None, id="seed"), pytest.param(IN_FORM, id="in-form")])
def test_plan_trusts_the_absent_key_rule_and_the_in_form_alike(condition: str | None) -> None:
    src, tgt = (
        (SRC_OBJ, TGT_OBJ) if condition is None else (moved("source", condition), moved("target", condition))
    )
    observed = world(Side("true", "true", (src,)), Side("", None, (tgt,)), live=src)
    [verdict] = verdicts(observed, M, Step.FLIP, ENGINE)
    assert (verdict.source_writes, verdict.target_writes) == (False, True)
    [back] = verdicts(observed, M, Step.ROLLBACK, ENGINE)
    assert (back.source_writes, back.target_writes) == (True, False)


def test_a_tombstone_that_is_not_disabled_counts_as_a_write() -> None:
    observed = world(
        Side("", None, (), (moved("source", None),)),
        Side("true", "true", (moved("target", None),)),
        live=TGT_OBJ,
    )
    [verdict] = verdicts(observed, M, Step.FINISH, ENGINE)
    assert verdict.source_writes and verdict.problem and "both" in verdict.problem


@pytest.mark.parametrize(
    ("observed", "step", "expect"),
    [
        pytest.param(PREPARED, Step.PREPARE, [], id="prepare-done"),
        pytest.param(FLIPPED, Step.FLIP, [], id="flip-done"),
        pytest.param(PREPARED, Step.ROLLBACK, [], id="rollback-done"),
        pytest.param(FINISHED, Step.FINISH, [], id="finish-done"),
        pytest.param(
            world(Side("", "true", (SRC_OBJ,)), Side("true", None, (TGT_OBJ,)), live=SRC_OBJ),
            Step.FLIP,
            ["the source composition's migration.example.com/owner is 'true', want 'absent'"],
            id="flip-written-not-pruned",
        ),
        pytest.param(
            world(Side("", None, (SRC_OBJ,)), Side("true", "true", (TGT_OBJ,)), live=SRC_OBJ),
            Step.FLIP,
            ["does not show the target composition's version"],
            id="flip-not-yet-written-by-target",
        ),
        pytest.param(
            world(
                Side("", None, (SRC_OBJ,)), Side("true", "true", (TGT_OBJ,), reconciled=False), live=TGT_OBJ
            ),
            Step.FLIP,
            ["not reconciled by the target"],
            id="flip-slice-not-reconciled",
        ),
        pytest.param(
            world(Side("", None, (SRC_OBJ,)), Side("true", "true", (TGT_OBJ,))),
            Step.FLIP,
            ["not in the cluster"],
            id="flip-object-gone",
        ),
        pytest.param(
            world(Side("", None, (moved("source", None),)), Side("true", "true", (TGT_OBJ,)), live=TGT_OBJ),
            Step.FLIP,
            ["still enabled on the old owner"],
            id="flip-old-owner-enabled",
        ),
        pytest.param(
            world(Side("", None, ()), Side(None, None, (TGT_OBJ,)), live=TGT_OBJ),
            Step.FINISH,
            ["the source variation's migration.example.com/owner is ''"],
            id="finish-not-written",
        ),
    ],
)
def test_missing(observed, step: Step, expect: list[str]) -> None:
    out = missing(observed, M, step, ENGINE)
    if not expect:
        assert out == []
    for fragment in expect:
        assert any(fragment in p for p in out), (fragment, out)


@pytest.mark.parametrize(
    ("live", "expect"),
    [
        pytest.param(
            {"data": {"writer": "target"}, "metadata": {"name": "moved-config", "namespace": "default"}},
            True,
            id="only-eno-keys",
        ),
        pytest.param(
            {"data": {"writer": "source"}, "metadata": {"name": "moved-config", "namespace": "default"}},
            False,
            id="other-value",
        ),
        pytest.param(
            {"metadata": {"name": "moved-config", "namespace": "default"}}, False, id="field-missing"
        ),
    ],
)
def test_written_by_ignores_enos_own_annotations(live: dict[str, object], expect: bool) -> None:
    assert written_by({"apiVersion": "v1", "kind": "ConfigMap", **live}, TGT_OBJ) is expect


def test_status_table_names_owner_and_last_writer() -> None:
    live = dict(TGT_OBJ)
    live["metadata"] = {
        **TGT_OBJ["metadata"],
        "managedFields": [{"manager": "eno", "time": "2026-01-01T00:00:05Z"}],
    }
    observed = attrs.evolve(FLIPPED, live={CONFIG: live})
    [row] = rows(observed, M, ENGINE)
    assert (row.owner, row.last_writer, row.last_write) == (
        "default/migration-target",
        "default/migration-target",
        "2026-01-01T00:00:05Z",
    )
    text = format_table([row])
    assert text.splitlines()[0].split() == ["OBJECT", "OWNER", "LAST", "WRITER", "LAST", "WRITE"]
    assert "ConfigMap default/moved-config" in text


_values = st.one_of(st.none(), st.sampled_from(["", "true", "false"]))


@given(
    step=st.sampled_from([Step.PREPARE, Step.FLIP, Step.ROLLBACK, Step.FINISH]),
    values=st.lists(_values, min_size=3, max_size=3),
    other=st.dictionaries(st.sampled_from(["a", "b/c"]), st.text(max_size=3), max_size=2),
)
def test_a_step_write_is_idempotent_and_touches_only_the_key_of_its_two_variations(
    step: Step, values: list[str | None], other: dict[str, str]
) -> None:
    names = [M.source, M.target, "third"]
    variations = []
    for name, value in zip(names, values, strict=True):
        annotations = dict(other) | ({KEY: value} if value is not None else {})
        variations.append({"synthesizer": {"name": name}, "annotations": annotations})
    symphony = {"metadata": {"name": "migration"}, "spec": {"variations": variations}}
    once = edit_symphony(symphony, M, step)
    assert edit_symphony(once, M, step) == once
    assert once["spec"]["variations"][2] == variations[2]
    for variation in once["spec"]["variations"][:2]:
        rest = {k: v for k, v in (variation.get("annotations") or {}).items() if k != KEY}
        assert rest == other
