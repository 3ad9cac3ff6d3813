"""Readiness checks (`eno.azure.io/readiness`, `eno.azure.io/readiness-<name>`; spec §4, api.md §9.6).

A check is a CEL expression evaluated with `self` = the live object and an *empty* composition. It is ready
when the result is exactly `true` (at "now", imprecise), or a list holding a condition-like map with
`status == "True"` and non-null `type` and `reason` (at its `lastTransitionTime`, "precise"). All checks must
pass; the resource's ready time is the latest precise time if any check is precise, else the latest time.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from eno.api.v1.times import parse_time
from eno.cel.engine import CelError, Program
from eno.resource.overrides import EMPTY_COMPOSITION

DEFAULT_CHECK_NAME = "default"


@attrs.frozen
class ReadinessCheck:
    name: str
    expression: str
    program: Program = attrs.field(eq=False, repr=False)


@attrs.frozen(order=True)
class ReadyTime:
    time: datetime.datetime
    precise: bool = False


@attrs.frozen
class CheckResult:
    name: str
    ready: ReadyTime | None
    error: str | None = None  # why evaluation failed (not ready), for diagnostics


def evaluate_check(
    check: ReadinessCheck, current: Mapping[str, Any] | None, now: datetime.datetime
) -> CheckResult:
    """One check against the live object. Never raises: errors mean "not ready"."""
    if current is None:
        return CheckResult(check.name, None, "the object does not exist")
    try:
        result = check.program.evaluate({"self": current, "composition": EMPTY_COMPOSITION.to_cel()})
    except CelError as err:
        return CheckResult(check.name, None, err.message)
    if isinstance(result, Sequence) and not isinstance(result, str | bytes):
        for item in result:
            if (
                isinstance(item, Mapping)
                and item.get("status") == "True"
                and item.get("type") is not None
                and item.get("reason") is not None
            ):
                # Eno's quirk (api.md §10.16), kept: precise even when the time is missing or unparseable.
                return CheckResult(
                    check.name, ReadyTime(_parse_time(item.get("lastTransitionTime")) or now, True)
                )
    if result is True:
        return CheckResult(check.name, ReadyTime(now, False))
    return CheckResult(check.name, None)


def evaluate_checks(
    checks: Sequence[ReadinessCheck], current: Mapping[str, Any] | None, now: datetime.datetime
) -> ReadyTime | None:
    """When the resource became ready, or None while any check fails. No checks: ready at `now`."""
    if not checks:
        return ReadyTime(now, False)
    times: list[ReadyTime] = []
    for check in checks:
        ready = evaluate_check(check, current, now).ready
        if ready is None:
            return None
        times.append(ready)
    precise = [t for t in times if t.precise]
    return max(precise or times, key=lambda t: t.time)


def unsatisfied(checks: Sequence[ReadinessCheck], current: Mapping[str, Any] | None) -> list[str]:
    """Names of the checks that do not pass (for not-ready diagnostics)."""
    now = datetime.datetime.now(datetime.UTC)
    return [c.name or DEFAULT_CHECK_NAME for c in checks if evaluate_check(c, current, now).ready is None]


def _parse_time(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def not_ready_reason(checks: Sequence[ReadinessCheck], current: Mapping[str, Any] | None) -> str:
    """A one-line diagnosis for logs: the unmet checks, then the object's `status.conditions` as
    `Type=Status (Reason: message)`. Log it when it changes (spec §4)."""
    unmet = ", ".join(unsatisfied(checks, current)) or "none"
    status = current.get("status") if current is not None else None
    conditions = status.get("conditions") if isinstance(status, Mapping) else None
    summaries = []
    for condition in conditions if isinstance(conditions, list | tuple) else []:
        if not isinstance(condition, Mapping):
            continue
        text = f"{condition.get('type', '')}={condition.get('status', '')}"
        reason, message = condition.get("reason"), condition.get("message")
        if reason or message:
            text += f" ({reason or ''}{': ' if reason and message else ''}{message or ''})"
        summaries.append(text)
    return f"unmet checks: {unmet}" + (f"; conditions: {', '.join(summaries)}" if summaries else "")
