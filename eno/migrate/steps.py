"""The runbook's steps as `eno migrate` runs them: the one Symphony write each makes, its preconditions,
and what is still missing before the cluster shows it done. All functions are pure over an `Observed`.

Steps 2 and 4 of the runbook are the user's synthesizer changes, not writes of ours: `plan` and the
preconditions check that they are in place."""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping
from typing import Any

import attrs

from eno.cel.engine import Engine
from eno.migrate.observed import (
    Migration,
    ObjectRef,
    Observed,
    annotations_of,
    composition_for,
    current_synthesis,
    in_flight,
    mentions_key,
    synthesized,
    variation_for,
    variations,
)
from eno.migrate.writers import with_key, writes
from eno.resource.overrides import CompositionMetadata


class Step(enum.Enum):
    PLAN = "plan"
    PREPARE = "prepare"  # runbook step 1
    FLIP = "flip"  # runbook step 3
    FINISH = "finish"  # runbook step 5
    ROLLBACK = "rollback"  # step 3 backwards
    STATUS = "status"


# The variation annotations each writing step leaves: (source, target); None removes the key.
_VALUES: dict[Step, tuple[str | None, str | None]] = {
    Step.PREPARE: ("true", ""),
    Step.FLIP: ("", "true"),
    Step.ROLLBACK: ("true", ""),
    Step.FINISH: (None, None),
}
# Which variation must write the moved objects once the step is done.
_OWNER: dict[Step, str] = {
    Step.PREPARE: "source",
    Step.FLIP: "target",
    Step.ROLLBACK: "source",
    Step.FINISH: "target",
}


def metadata_after(
    comp: Mapping[str, Any] | None, m: Migration, step: Step, role: str
) -> CompositionMetadata:
    """The composition's metadata once the step is deployed. Removing a key from a variation leaves the
    composition's value alone (only "" removes: controllers.md, symphony), so `finish` changes nothing."""
    if step is Step.FINISH:
        return CompositionMetadata.from_object(comp)
    return with_key(comp, m.key, _VALUES[step][0 if role == "source" else 1])


@attrs.frozen
class Verdict:
    """One moved object's writers as they would be after a step."""

    ref: ObjectRef
    source_writes: bool
    target_writes: bool

    @property
    def problem(self) -> str | None:
        if self.source_writes and self.target_writes:
            return f"{self.ref}: both compositions would write it"
        if not self.source_writes and not self.target_writes:
            return f"{self.ref}: neither composition would write it"
        return None


def edit_symphony(symphony: Mapping[str, Any], m: Migration, step: Step) -> dict[str, Any]:
    """The Symphony after the step's one write (only the two variations' `key` annotation changes)."""
    out = copy.deepcopy(dict(symphony))
    for variation in out.get("spec", {}).get("variations", []):
        name = (variation.get("synthesizer") or {}).get("name")
        if name not in (m.source, m.target):
            continue
        value = _VALUES[step][0 if name == m.source else 1]
        annotations = dict(variation.get("annotations") or {})
        if value is None:
            annotations.pop(m.key, None)
        else:
            annotations[m.key] = value
        if annotations:
            variation["annotations"] = annotations
        else:
            variation.pop("annotations", None)
    return out


def moved_objects(observed: Observed, m: Migration) -> list[ObjectRef]:
    """Objects both syntheses contain, or that the source's synthesis guards with an override on the key."""
    source = synthesized(observed, composition_for(observed, m.source))
    target = synthesized(observed, composition_for(observed, m.target))
    refs = {r for r in source if r in target} | {
        r for r, e in {**source, **target}.items() if mentions_key(e.obj, m.key)
    }
    return sorted(refs)


def verdicts(observed: Observed, m: Migration, step: Step, engine: Engine) -> list[Verdict]:
    """Each moved object's writers once the step's annotations are on the compositions."""
    step = Step.FLIP if step in (Step.PLAN, Step.STATUS) else step
    src_comp, tgt_comp = composition_for(observed, m.source), composition_for(observed, m.target)
    source, target = synthesized(observed, src_comp), synthesized(observed, tgt_comp)
    src_meta = metadata_after(src_comp, m, step, "source")
    tgt_meta = metadata_after(tgt_comp, m, step, "target")
    out = []
    for ref in moved_objects(observed, m):
        live = observed.live.get(ref)
        out.append(
            Verdict(
                ref,
                writes(source.get(ref), src_meta, live, engine),
                writes(target.get(ref), tgt_meta, live, engine),
            )
        )
    return out


def _basics(observed: Observed, m: Migration) -> list[str]:
    if observed.symphony is None:
        return [f"symphony {m.namespace}/{m.symphony} not found"]
    problems = []
    for role, synth in (("source", m.source), ("target", m.target)):
        if variation_for(observed.symphony, synth) is None:
            problems.append(f"the symphony has no variation with synthesizer {synth} ({role})")
        elif composition_for(observed, synth) is None:
            problems.append(f"the {role} composition (synthesizer {synth}) does not exist yet")
    if m.source == m.target:
        problems.append("--from and --to name the same synthesizer")
    return problems


def _key_on(observed: Observed, synthesizer: str, key: str) -> str | None:
    return annotations_of(composition_for(observed, synthesizer)).get(key)


def _variation_value(observed: Observed, synthesizer: str, key: str) -> str | None:
    variation = variation_for(observed.symphony, synthesizer) or {}
    return (variation.get("annotations") or {}).get(key)


def _settled(observed: Observed, m: Migration) -> list[str]:
    problems = []
    for role, synth in (("source", m.source), ("target", m.target)):
        comp = composition_for(observed, synth)
        if in_flight(comp):
            problems.append(f"the {role} composition is synthesizing; wait until it is deployed")
        elif not current_synthesis(comp).get("reconciled"):
            problems.append(f"the {role} composition's current synthesis is not reconciled yet")
    return problems


def preconditions(observed: Observed, m: Migration, step: Step, engine: Engine) -> list[str]:
    """Why the step must not run now; empty when it may."""
    problems = _basics(observed, m)
    if problems or step is Step.STATUS:
        return problems
    others = [
        str((v.get("synthesizer") or {}).get("name"))
        for v in _variations_with_key(observed, m.key)
        if (v.get("synthesizer") or {}).get("name") not in (m.source, m.target)
    ]
    if others:
        problems.append(f"other variations carry {m.key}: {', '.join(others)}")
    moved = moved_objects(observed, m)
    if step is Step.PREPARE:
        if _variation_value(observed, m.target, m.key) == "true":
            problems.append(f"the target variation already owns {m.key}: use rollback to move it back")
        return problems
    problems += _settled(observed, m)
    if step in (Step.PLAN, Step.FLIP):
        if _key_on(observed, m.source, m.key) != "true" or _key_on(observed, m.target, m.key):
            problems.append(f"not prepared: the source composition must carry {m.key}=true, the target not")
        problems += _missing_overrides(observed, m, moved)
    if step is Step.ROLLBACK:
        if _variation_value(observed, m.target, m.key) != "true":
            problems.append("nothing to roll back: the target variation does not own the key")
        source = synthesized(observed, composition_for(observed, m.source))
        gone = [str(r) for r in moved if r not in source or source[r].deleted]
        if gone:
            problems.append(f"the source no longer synthesizes {', '.join(gone)}: rollback would orphan it")
    if step is Step.FINISH:
        if _key_on(observed, m.target, m.key) != "true" or _key_on(observed, m.source, m.key):
            problems.append(f"not flipped: the target composition must carry {m.key}=true, the source not")
        source = synthesized(observed, composition_for(observed, m.source))
        kept = [str(r) for r in moved if r in source and not source[r].deleted]
        if kept:
            problems.append(f"runbook step 4 not deployed: the source still synthesizes {', '.join(kept)}")
    if not moved:
        problems.append("no object moves: neither synthesis has an override that reads " + m.key)
    for verdict in verdicts(observed, m, step, engine):
        if step is Step.FINISH and verdict.problem is None and verdict.source_writes:
            problems.append(f"{verdict.ref}: after finish the source would write it, not the target")
        elif verdict.problem:
            problems.append(verdict.problem + f" after {step.value if step is not Step.PLAN else 'the flip'}")
    return problems


def _variations_with_key(observed: Observed, key: str) -> list[Mapping[str, Any]]:
    return [v for v in variations(observed.symphony) if (v.get("annotations") or {}).get(key) == "true"]


def _missing_overrides(observed: Observed, m: Migration, moved: list[ObjectRef]) -> list[str]:
    problems = []
    for role, synth in (("source", m.source), ("target", m.target)):
        entries = synthesized(observed, composition_for(observed, synth))
        for ref in moved:
            entry = entries.get(ref)
            if entry is None:
                problems.append(f"runbook step 2 not deployed: the {role} does not synthesize {ref} yet")
            elif not mentions_key(entry.obj, m.key):
                problems.append(f"runbook step 2 not deployed: the {role}'s {ref} has no override on {m.key}")
    return problems


def missing(observed: Observed, m: Migration, step: Step, engine: Engine) -> list[str]:
    """What the cluster does not show yet for the step to be done; empty when done."""
    if observed.symphony is None:
        return [f"symphony {m.namespace}/{m.symphony} not found"]
    out = []
    want_source, want_target = _VALUES[step]
    for role, synth, want in (("source", m.source, want_source), ("target", m.target, want_target)):
        have = _variation_value(observed, synth, m.key)
        if have != want:
            out.append(f"the {role} variation's {m.key} is {have!r}, not {want!r}")
        on_comp = _key_on(observed, synth, m.key)
        if step is not Step.FINISH and (on_comp or None) != (want or None):
            out.append(f"the {role} composition's {m.key} is {on_comp!r}, want {want or 'absent'!r}")
    if out or step not in _OWNER:
        return out
    owner = m.source if _OWNER[step] == "source" else m.target
    other = m.target if owner == m.source else m.source
    owned = synthesized(observed, composition_for(observed, owner))
    for ref in moved_objects(observed, m):
        entry = owned.get(ref)
        if entry is None:
            continue  # not in the owner's synthesis (e.g. prepare before step 2)
        live = observed.live.get(ref)
        if live is None:
            out.append(f"{ref}: not in the cluster")
        elif not entry.reconciled:
            out.append(f"{ref}: not reconciled by the {_OWNER[step]} composition yet")
        elif not written_by(live, entry.obj):
            out.append(f"{ref}: the live object does not show the {_OWNER[step]} composition's version yet")
        comp = composition_for(observed, other)
        other_entry = synthesized(observed, comp).get(ref)
        meta = metadata_after(comp, m, step, "source" if other == m.source else "target")
        if writes(other_entry, meta, live, engine):
            out.append(f"{ref}: still enabled on the old owner's composition")
    return out


def written_by(live: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    """Whether every field the manifest sets (Eno's annotations aside) has its value on the live object."""
    return _contains(live, desired, top=True)


def _contains(live: Any, desired: Any, top: bool = False) -> bool:
    if isinstance(desired, Mapping):
        if live is None:
            live = {}  # the server drops an empty map: e.g. annotations that were only Eno's
        if not isinstance(live, Mapping):
            return False
        for k, v in desired.items():
            if top and k == "status":
                continue
            if isinstance(k, str) and k.startswith("eno.azure.io/"):
                continue
            if not _contains(live.get(k), v):
                return False
        return True
    if isinstance(desired, list):
        return (
            isinstance(live, list)
            and len(live) == len(desired)
            and all(_contains(a, b) for a, b in zip(live, desired, strict=True))
        )
    return bool(live == desired)
