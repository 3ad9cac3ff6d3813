"""Readiness checks with the real CEL engine: Eno's readiness_test.go tables (evalCheck, evalChecks,
Unsatisfied) with fixed clocks instead of rounding to hours."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from eno.cel.engine import Engine, default_engine
from eno.resource.readiness import (
    ReadinessCheck,
    ReadyTime,
    evaluate_check,
    evaluate_checks,
    not_ready_reason,
    unsatisfied,
)

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
EARLY = datetime.datetime(2026, 1, 1, 15, 0, 0, tzinfo=datetime.UTC)
LATE = datetime.datetime(2026, 1, 2, 15, 0, 0, tzinfo=datetime.UTC)


def rfc3339(t: datetime.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return default_engine()


def check(engine: Engine, expression: str, name: str = "default") -> ReadinessCheck:
    return ReadinessCheck(name, expression, engine.compile(expression))


CONDITIONS = {
    "status": {
        "conditions": [
            {
                "message": "foo bar",
                "reason": "Testing",
                "lastTransitionTime": rfc3339(EARLY),
                "status": "True",
                "type": "Test",
            },
            {"message": "foo bar", "reason": "Testing", "status": "True", "type": "Test2"},
            {"message": "foo bar", "reason": "Testing", "status": "False", "type": "Test3"},
            {
                "message": "foo bar",
                "reason": "Testing",
                "status": "False",
                "lastTransitionTime": 123,
                "type": "Test4",
            },
        ]
    }
}

# Eno's evalCheckTests: (id, resource, expression, ready, precise), plus the time each yields.
EVAL_CHECK: list[tuple[str, Any, str, ReadyTime | None]] = [
    ("empty", None, "self", None),
    ("simple-miss", {"foo": "bar"}, "self.foo == 'baz'", None),
    ("simple-hit", {"foo": "bar"}, "self.foo == 'bar'", ReadyTime(NOW, False)),
    (
        "condition-miss",
        CONDITIONS,
        "self.status.conditions.exists(item, item.type == 'Test' && item.status == 'False')",
        None,
    ),
    (
        "condition-hit",
        CONDITIONS,
        "self.status.conditions.exists(item, item.type == 'Test' && item.status == 'True')",
        ReadyTime(NOW, False),
    ),
    (
        "condition-missing",
        CONDITIONS,
        "self.status.conditions.exists(item, item.type == 'TestFoo' && item.status == 'True')",
        None,
    ),
    (
        "all-conditions-missing",
        {"status": {}},
        "self.status.conditions.exists(item, item.type == 'TestFoo' && item.status == 'True')",
        None,
    ),
    (
        "magic-condition-matcher-her",
        CONDITIONS,
        "self.status.conditions.filter(item, item.type == 'Test' && item.status == 'True')",
        ReadyTime(EARLY, True),
    ),
    (
        "magic-condition-matcher-wrong-type",
        CONDITIONS,
        "self.status.conditions.filter(item, item.type == 'Test4')",
        None,
    ),
    # Eno's quirk, kept: a matching condition without a usable time is "precise" at now.
    (
        "condition-without-time-is-precise-now",
        CONDITIONS,
        "self.status.conditions.filter(item, item.type == 'Test2')",
        ReadyTime(NOW, True),
    ),
    ("condition-needs-reason", {"c": [{"type": "A", "status": "True"}]}, "self.c", None),
    (
        "condition-status-must-be-string-true",
        {"c": [{"type": "A", "status": True, "reason": "r"}]},
        "self.c",
        None,
    ),
    (
        "first-matching-element-wins",
        {
            "c": [
                {"x": 1},
                {"type": "A", "status": "True", "reason": "r", "lastTransitionTime": rfc3339(LATE)},
            ]
        },
        "self.c",
        ReadyTime(LATE, True),
    ),
    ("non-boolean-result", {"a": "true"}, "self.a", None),
    ("evaluation-error", {}, "self.missing.field", None),
    ("empty-list", {"c": []}, "self.c", None),
]


@pytest.mark.parametrize(
    ("current", "expression", "ready"), [c[1:] for c in EVAL_CHECK], ids=[c[0] for c in EVAL_CHECK]
)
def test_evaluate_check(engine: Engine, current: Any, expression: str, ready: ReadyTime | None) -> None:
    c = check(engine, expression)
    for _ in range(2):  # every program can be evaluated repeatedly
        assert evaluate_check(c, current, NOW).ready == ready


def conditions(*items: tuple[str, datetime.datetime]) -> dict[str, Any]:
    return {
        "conditions": [
            {
                "message": "m",
                "reason": "Testing",
                "lastTransitionTime": rfc3339(t),
                "status": "True",
                "type": kind,
            }
            for kind, t in items
        ]
    }


FILTER_TEST = "self.conditions.filter(item, item.type == 'Test' && item.status == 'True')"
FILTER_TEST2 = "self.conditions.filter(item, item.type == 'Test2' && item.status == 'True')"
# Eno's evalChecksTests: (id, expressions, resource, expected time or None)
EVAL_CHECKS = [
    ("empty", [], {}, NOW),
    ("no-checks-ready-even-without-object", [], None, NOW),
    ("one-negative", ["false"], {}, None),
    ("one-positive", ["true"], {}, NOW),
    ("two-positive", ["true", "true"], {}, NOW),
    ("one-positive-one-negative", ["true", "false"], {}, None),
    ("one-positive-condition", [FILTER_TEST], conditions(("Test", LATE)), LATE),
    # Picks the precise one even though the imprecise one (now) is later.
    ("one-low-one-high-precision", [FILTER_TEST, "true"], conditions(("Test", EARLY)), EARLY),
    ("two-high-precision", [FILTER_TEST, FILTER_TEST2], conditions(("Test", EARLY), ("Test2", LATE)), LATE),
    ("absent-object-not-ready", ["true"], None, None),
]


@pytest.mark.parametrize(
    ("expressions", "current", "expected"), [c[1:] for c in EVAL_CHECKS], ids=[c[0] for c in EVAL_CHECKS]
)
def test_evaluate_checks(engine: Engine, expressions: list[str], current: Any, expected: Any) -> None:
    ready = evaluate_checks([check(engine, e) for e in expressions], current, NOW)
    assert (ready.time if ready else None) == expected


def test_unsatisfied(engine: Engine) -> None:
    resource = {"conditions": [{"type": "Ready", "status": "True", "reason": "AllGood"}]}
    passing = check(
        engine, "self.conditions.filter(item, item.type == 'Ready' && item.status == 'True')", "ready"
    )
    failing = check(
        engine, "self.conditions.filter(item, item.type == 'Available' && item.status == 'True')", "available"
    )
    unnamed = check(engine, "self.conditions.filter(item, item.type == 'Missing')", "")
    assert unsatisfied([passing], resource) == []
    assert unsatisfied([passing, failing], resource) == ["available"]
    assert unsatisfied([unnamed], resource) == ["default"]
    assert unsatisfied([passing, failing], None) == ["ready", "available"]


def test_readiness_sees_an_empty_composition(engine: Engine) -> None:
    c = check(engine, "composition.metadata.name == ''")
    assert evaluate_check(c, {}, NOW).ready == ReadyTime(NOW, False)


def test_evaluation_error_is_reported_not_raised(engine: Engine) -> None:
    result = evaluate_check(check(engine, "self.a.b"), {"a": 1}, NOW)
    assert result.ready is None and result.error


def test_not_ready_reason(engine: Engine) -> None:
    current = {
        "status": {
            "conditions": [
                {
                    "type": "Available",
                    "status": "False",
                    "reason": "MinimumReplicasUnavailable",
                    "message": "m",
                },
                {"type": "Progressing", "status": "True"},
                "junk",
            ]
        }
    }
    available = check(
        engine, "self.status.conditions.filter(c, c.type == 'Available' && c.status == 'True')", ""
    )
    assert not_ready_reason([available], current) == (
        "unmet checks: default; conditions: Available=False (MinimumReplicasUnavailable: m), Progressing=True"
    )
    assert not_ready_reason([], None) == "unmet checks: none"
