"""The dispatch of a synthesis: one JSON Patch on the composition's status subresource (synthesis.md §6).

The `test` operations fence the write against what the scheduler saw in its cache: the input revisions
(the watch buffer may have written since) and the identity of the in-flight synthesis it replaces (a zombie
leader, or an executor that finished meanwhile). A failing test is a 422/409 from the server: the pass
backs off and looks again.
"""

from __future__ import annotations

from typing import Any

from eno.api.v1 import Composition
from eno.scheduling.op import Op, Reason


def in_flight_body(op: Op, uuid: str, initialized: str) -> dict[str, Any]:
    """The new in-flight synthesis (omit-empty, as Eno serializes it)."""
    comp = op.composition
    previous = comp.status.in_flight_synthesis
    attempts = (previous.attempts if op.reason is Reason.RETRY and previous is not None else 0) + 1
    body: dict[str, Any] = {
        "uuid": uuid,
        "observedCompositionGeneration": comp.generation,
        "initialized": initialized,
        "attempts": attempts,
    }
    if op.reason.deferred:
        body["deferred"] = True
    revisions = _status(comp).get("inputRevisions")
    if revisions:
        body["inputRevisions"] = revisions
    return body


def _status(comp: Composition) -> dict[str, Any]:
    status = comp.to_dict().get("status")
    return status if isinstance(status, dict) else {}


def dispatch_patch(op: Op, uuid: str, initialized: str) -> list[dict[str, Any]]:
    """The JSON Patch starting `op`'s synthesis, fenced by `test`s of the cached status it was decided on."""
    status = _status(op.composition)
    ops: list[dict[str, Any]] = []
    if not status:
        ops += [
            {"op": "test", "path": "/status", "value": None},
            {"op": "add", "path": "/status", "value": {}},
        ]
    ops.append({"op": "test", "path": "/status/inputRevisions", "value": status.get("inputRevisions")})
    in_flight = status.get("inFlightSynthesis")
    if not isinstance(in_flight, dict):
        ops.append({"op": "test", "path": "/status/inFlightSynthesis", "value": None})
    else:
        for field in ("uuid", "observedCompositionGeneration", "synthesized"):
            ops.append(
                {"op": "test", "path": f"/status/inFlightSynthesis/{field}", "value": in_flight.get(field)}
            )
    ops.append(
        {"op": "replace", "path": "/status/inFlightSynthesis", "value": in_flight_body(op, uuid, initialized)}
    )
    return ops
