"""The pure helper logic behind Eno's API types (spec api.md §9.1-§9.5).

Functions of data to data: no I/O, and none of them raises on odd input (unknown annotations, unparsable
numbers) except `input_revisions_less` on a programming error, as Go panics there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from eno.api.v1 import constants as c
from eno.api.v1.common import InputRevisions
from eno.api.v1.composition import Composition, SimplifiedStatus, Synthesis
from eno.api.v1.resourceslice import ResourceSlice, ResourceState
from eno.api.v1.symphony import Symphony
from eno.api.v1.synthesizer import Synthesizer
from eno.api.v1.times import parse_time

_GO_TRUE: Final = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE: Final = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def parse_go_bool(text: str) -> bool | None:
    """Go's strconv.ParseBool: None when `text` is not one of its spellings."""
    if text in _GO_TRUE:
        return True
    if text in _GO_FALSE:
        return False
    return None


def parse_go_int(text: str, bits: int = 64) -> int | None:
    """Go's strconv.Atoi/ParseInt(text, 10, bits): None when it fails (sign allowed, no spaces)."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body or not body.isascii() or not body.isdigit():
        return None
    value = int(text)
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        return None
    return value


# --- §9.1 small predicates ---


def simplified_status_text(status: SimplifiedStatus | None) -> str:
    """Go's SimplifiedStatus.String(): "Nil", the status, or "<status> (error: <error>)"."""
    if status is None:
        return "Nil"
    if not status.error:
        return status.status
    return f"{status.status} (error: {status.error})"


def current_synthesis_uuid(comp: Composition) -> str:
    current = comp.status.current_synthesis
    return current.uuid if current is not None else ""


def latest_synthesis_uuid(comp: Composition) -> str:
    """The in-flight synthesis UUID, else the current one, else ""."""
    if comp.status.in_flight_synthesis is not None:
        return comp.status.in_flight_synthesis.uuid
    return current_synthesis_uuid(comp)


def synthesizing(comp: Composition) -> bool:
    """A synthesis is in flight and has not been canceled."""
    syn = comp.status.in_flight_synthesis
    return syn is not None and syn.canceled is None


def synthesis_failed(syn: Synthesis) -> bool:
    """Some result has severity exactly "error" (a result without severity is not an error, §10.11)."""
    return any(r.severity == c.RESULT_SEVERITY_ERROR for r in syn.results)


def should_ignore_side_effects(comp: Composition) -> bool:
    return comp.annotations.get(c.ANNOTATION_IGNORE_SIDE_EFFECTS) == "true"


def enable_ignore_side_effects(comp: Composition) -> Composition:
    return comp.with_annotation(c.ANNOTATION_IGNORE_SIDE_EFFECTS, "true")


def force_resynthesis(comp: Composition) -> Composition:
    """Ask for resynthesis of the latest synthesis (the annotation holds its UUID)."""
    return comp.with_annotation(c.ANNOTATION_FORCE_RESYNTHESIS, latest_synthesis_uuid(comp))


def should_force_resynthesis(comp: Composition) -> bool:
    """The force annotation is present and names the latest synthesis ("" when there is none)."""
    annotations = comp.annotations
    if c.ANNOTATION_FORCE_RESYNTHESIS not in annotations:
        return False
    return annotations[c.ANNOTATION_FORCE_RESYNTHESIS] == latest_synthesis_uuid(comp)


def should_orphan_resources(comp: Composition) -> bool:
    """deletion-strategy is "orphan", in any case (Eno requires exact case here: §10.7, fixed)."""
    return comp.annotations.get(c.ANNOTATION_DELETION_STRATEGY, "").lower() == c.DELETION_STRATEGY_ORPHAN


def azure_operation_id(obj: Composition | Symphony) -> str:
    """The operationID annotation; for a Composition, else the first synthesisEnv entry of that name."""
    return _operation_value(obj, c.ANNOTATION_OPERATION_ID, c.ENV_OPERATION_ID)


def azure_operation_origin(obj: Composition | Symphony) -> str:
    return _operation_value(obj, c.ANNOTATION_OPERATION_ORIGIN, c.ENV_OPERATION_ORIGIN)


def _operation_value(obj: Composition | Symphony, annotation: str, env_name: str) -> str:
    value = obj.annotations.get(annotation, "")
    if value or not isinstance(obj, Composition):
        return value
    for env in obj.spec.synthesis_env:
        if env.name == env_name:
            return env.value
    return ""


# --- §9.2 input revisions ---


def new_input_revisions(obj: Mapping[str, Any], key: str) -> InputRevisions:
    """The InputRevisions of an input object (a plain dict) bound to `key`."""
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    annotations = metadata.get("annotations")
    annotations = annotations if isinstance(annotations, Mapping) else {}

    def annotated_int(name: str, bits: int) -> int | None:
        raw = annotations.get(name)
        value = parse_go_int(raw, bits) if isinstance(raw, str) else None
        return value or None  # zero counts as unset

    raw_ignore = annotations.get(c.ANNOTATION_IGNORE_SIDE_EFFECTS)
    return InputRevisions(
        key=key,
        resource_version=str(metadata.get("resourceVersion") or ""),
        # Go's int is 64 bits on every platform Eno runs on.
        revision=annotated_int(c.ANNOTATION_REVISION, 64),
        synthesizer_generation=annotated_int(c.ANNOTATION_SYNTHESIZER_GENERATION, 64),
        composition_generation=annotated_int(c.ANNOTATION_COMPOSITION_GENERATION, 64),
        ignore_side_effects=parse_go_bool(raw_ignore) if isinstance(raw_ignore, str) else None,
    )


def input_revisions_less(a: InputRevisions, b: InputRevisions) -> bool:
    """True when `a` is older than `b`. Comparing different keys is a programming error (ValueError)."""
    if a.key != b.key:
        raise ValueError(f"cannot compare input revisions of different keys {a.key!r} and {b.key!r}")
    if a.revision is not None and b.revision is not None:
        return a.revision < b.revision
    if a.resource_version == b.resource_version:
        return a.ignore_side_effects is True and not b.ignore_side_effects
    left, right = parse_go_int(a.resource_version), parse_go_int(b.resource_version)
    if left is None or right is None:
        return True
    return left < right


# --- §9.3 input readiness ---


def missing_inputs(synth: Synthesizer, comp: Composition) -> list[str]:
    """Keys of required refs that have no entry in status.inputRevisions."""
    seen = {rev.key for rev in comp.status.input_revisions}
    return [ref.key for ref in synth.spec.refs if not ref.optional and ref.key not in seen]


def inputs_exist(synth: Synthesizer, comp: Composition) -> bool:
    return not missing_inputs(synth, comp)


def mismatched_inputs(
    synth: Synthesizer, comp: Composition, revs: Sequence[InputRevisions] | None = None
) -> list[InputRevisions]:
    """Inputs that have not caught up: behind a generation, or off the highest revision."""
    entries = comp.status.input_revisions if revs is None else revs
    revisions = [r.revision for r in entries if r.revision is not None]
    max_rev = max(revisions) if revisions else None
    out: list[InputRevisions] = []
    for r in entries:
        if (
            (r.synthesizer_generation is not None and r.synthesizer_generation < synth.generation)
            or (r.composition_generation is not None and r.composition_generation < comp.generation)
            or (max_rev is not None and r.revision is not None and r.revision != max_rev)
        ):
            out.append(r)
    return out


def inputs_out_of_lockstep(
    synth: Synthesizer, comp: Composition, revs: Sequence[InputRevisions] | None = None
) -> bool:
    return bool(mismatched_inputs(synth, comp, revs))


# --- §9.4 resource state and slice identifiers ---


def resource_state_equal(a: ResourceState | None, b: ResourceState | None) -> bool:
    """Go's ResourceState.Equal: reconciled, deleted and the ready instant; reconciliationError ignored."""
    if a is None or b is None:
        return a is b
    if a.reconciled != b.reconciled or a.deleted != b.deleted:
        return False
    if a.ready is None or b.ready is None:
        return a.ready is None and b.ready is None
    return _same_instant(a.ready, b.ready)


def _same_instant(x: str, y: str) -> bool:
    if x == y:
        return True
    try:
        return parse_time(x) == parse_time(y)
    except ValueError:
        return False


def identifier_at(slice_: ResourceSlice, index: int) -> str:
    """ "Kind/Name" of spec.resources[index], or "" when out of range or unparsable."""
    resources = slice_.spec.resources
    if not 0 <= index < len(resources):
        return ""
    manifest = resources[index]
    if manifest.parsed_kind and manifest.parsed_name:
        return f"{manifest.parsed_kind}/{manifest.parsed_name}"
    try:
        doc = json.loads(manifest.manifest)
    except ValueError:
        return ""
    if not isinstance(doc, dict):
        return ""
    kind = doc.get("kind")
    metadata = doc.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(kind, str) or not isinstance(name, str) or not kind or not name:
        return ""
    return f"{kind}/{name}"


# --- §9.5 simplified status ---


def simplified_status(synth: Synthesizer | None, comp: Composition) -> SimplifiedStatus:
    """The composition's summary status, first matching rule wins (`synth` is None when not found).

    MismatchedInputs is never returned, as in Eno (§10.5): a later rule always decided the status there.
    """
    status = comp.status
    if comp.deleting:
        dep = status.dependency_status
        if dep is not None and dep.blocked:
            return SimplifiedStatus(status=dep.reason)
        return SimplifiedStatus(status=c.STATUS_DELETING)
    if synth is None:
        return SimplifiedStatus(status=c.STATUS_MISSING_SYNTHESIZER)

    in_flight = status.in_flight_synthesis
    if in_flight is not None:
        error = next((r.message for r in in_flight.results if r.severity == c.RESULT_SEVERITY_ERROR), "")
        if in_flight.canceled is not None:
            return SimplifiedStatus(status=c.STATUS_SYNTHESIS_BACKOFF, error=error or c.ERROR_TIMEOUT)
        return SimplifiedStatus(status=c.STATUS_SYNTHESIZING, error=error)

    if not inputs_exist(synth, comp):
        return SimplifiedStatus(status=c.STATUS_MISSING_INPUTS)

    current = status.current_synthesis
    if current is None:
        if comp.spec.depends_on:
            return SimplifiedStatus(status=c.STATUS_WAITING_ON_DEPENDENCIES)
        return SimplifiedStatus(status=c.STATUS_PENDING_SYNTHESIS)
    if current.ready is not None:
        return SimplifiedStatus(status=c.STATUS_READY)
    if current.reconciled is not None:
        return SimplifiedStatus(status=c.STATUS_NOT_READY)
    # The slice aggregator owns the error while reconciling: keep what it wrote.
    previous = status.simplified
    return SimplifiedStatus(status=c.STATUS_RECONCILING, error=previous.error if previous else "")


def with_simplified_status(comp: Composition, simplified: SimplifiedStatus) -> Composition:
    """A copy of `comp` carrying `simplified`."""
    return attrs.evolve(comp, status=attrs.evolve(comp.status, simplified=simplified))
