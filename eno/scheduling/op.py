"""Which synthesis a composition needs next, and which of many goes first (spec synthesis.md §5).

`classify` checks Eno's trigger rules in their order; `new_op` turns the reason into an operation with its
earliest start (the rollout cooldown for deferred reasons, the retry backoff for canceled syntheses);
`op_less` is the priority order the scheduler picks its one dispatch per pass by.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Final

import attrs

from eno.api.v1 import Composition, Synthesizer
from eno.api.v1 import constants as c
from eno.api.v1.common import InputRevisions
from eno.api.v1.predicates import (
    input_revisions_less,
    inputs_exist,
    inputs_out_of_lockstep,
    should_force_resynthesis,
    should_ignore_side_effects,
    synthesizing,
)
from eno.api.v1.times import parse_time

# The earliest instant there is: a cooldown slot measured from "no deferred synthesis ever".
DAWN: Final = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
RETRY_FACTOR: Final = 1.5

_FNV_OFFSET: Final = 0xCBF29CE484222325
_FNV_PRIME: Final = 0x100000001B3
_MASK: Final = 0xFFFFFFFFFFFFFFFF


class Reason(enum.IntEnum):
    """Why a composition is synthesized; a lower value has priority."""

    INITIAL_SYNTHESIS = 0
    FORCED_RESYNTHESIS = 1
    COMPOSITION_MODIFIED = 2
    INPUT_MODIFIED = 3
    DEFERRED_INPUT_MODIFIED = 4
    SYNTHESIZER_MODIFIED = 5
    RETRY = 6

    @property
    def deferred(self) -> bool:
        """Deferred reasons wait for the rollout cooldown and never preempt a running synthesis."""
        return self in (Reason.DEFERRED_INPUT_MODIFIED, Reason.SYNTHESIZER_MODIFIED)

    @property
    def label(self) -> str:
        """Eno's spelling in logs: InitialSynthesis, ForcedResynthesis, ..."""
        return "".join(part.capitalize() for part in self.name.split("_"))


@attrs.frozen
class Op:
    """One synthesis to dispatch: for `composition`, because of `reason`, not before `not_before`."""

    reason: Reason
    composition: Composition
    not_before: dt.datetime | None = None
    rollout_hash: int = 0  # SynthesizerModified only: the order this synthesizer generation rolls out in


def fnv1_64(data: bytes) -> int:
    """FNV-1 (not 1a) 64-bit: Eno's rollout order and epoch, so Go and Python leaders agree."""
    h = _FNV_OFFSET
    for byte in data:
        h = (h * _FNV_PRIME) & _MASK
        h ^= byte
    return h


def rollout_hash(synth: Synthesizer, comp: Composition) -> int:
    """A per-(synthesizer generation, composition) number: each generation rolls out in its own order."""
    return fnv1_64(f"{synth.uid}:{synth.generation}:{comp.uid}".encode())


def synthesizer_epoch(synths: Iterable[Synthesizer]) -> str:
    """Hex FNV-1 of every synthesizer's `uid:generation`, by name: changes whenever any synthesizer does."""
    text = "".join(f"{s.uid}:{s.generation}" for s in sorted(synths, key=lambda s: s.name))
    return f"{fnv1_64(text.encode()):016x}"


def _time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def _input_changes(synth: Synthesizer, comp: Composition) -> tuple[int, int, int]:
    """(forced, deferred, non-deferred) input changes since the latest synthesis read its inputs."""
    syn = comp.status.in_flight_synthesis or comp.status.current_synthesis
    previous: dict[str, InputRevisions] = {r.key: r for r in (syn.input_revisions if syn else ())}
    refs = {ref.key: ref for ref in synth.spec.refs}
    forced = deferred = non_deferred = 0
    for cur in comp.status.input_revisions:
        ref = refs.get(cur.key)
        if ref is None:
            continue
        prev = previous.get(cur.key)
        if prev is None:
            # A key the synthesis never read counts only when the input says so explicitly: otherwise an
            # optional input that is absent would resynthesize forever.
            if cur.ignore_side_effects is not False:
                continue
            forced += 1
        elif input_revisions_less(prev, cur):
            if cur.ignore_side_effects is True:
                continue
            if cur.ignore_side_effects is False:
                forced += 1
        else:
            continue
        if ref.defer:
            deferred += 1
        else:
            non_deferred += 1
    return forced, deferred, non_deferred


def classify(synth: Synthesizer, comp: Composition) -> Reason | None:
    """The reason `comp` needs a synthesis now, or None (Eno's rules, first match wins)."""
    status = comp.status
    if (
        comp.deleting
        or not inputs_exist(synth, comp)
        or inputs_out_of_lockstep(synth, comp)
        or c.FINALIZER_CLEANUP not in comp.finalizers
    ):
        return None
    current, in_flight = status.current_synthesis, status.in_flight_synthesis
    if (current is None or current.synthesized is None) and in_flight is None:
        return Reason.INITIAL_SYNTHESIS
    if should_force_resynthesis(comp):
        return Reason.FORCED_RESYNTHESIS
    if in_flight is not None:
        if in_flight.observed_composition_generation != comp.generation:
            return Reason.COMPOSITION_MODIFIED
    elif current is not None and current.observed_composition_generation != comp.generation:
        return Reason.COMPOSITION_MODIFIED
    forced, deferred, non_deferred = _input_changes(synth, comp)
    if should_ignore_side_effects(comp) and forced == 0:
        return None  # also holds back synthesizer rollouts
    if non_deferred > 0:
        return Reason.INPUT_MODIFIED
    if deferred > 0:
        return Reason.DEFERRED_INPUT_MODIFIED
    syn = in_flight or current
    if syn is not None and 0 < syn.observed_synthesizer_generation < synth.generation:
        return Reason.SYNTHESIZER_MODIFIED
    return None


def retry_not_before(comp: Composition) -> dt.datetime | None:
    """When a canceled synthesis may be retried: canceled + (canceled - initialized) * attempts * 1.5."""
    in_flight = comp.status.in_flight_synthesis
    canceled = _time(in_flight.canceled) if in_flight else None
    if in_flight is None or canceled is None:
        return None
    initialized = _time(in_flight.initialized) or canceled
    took = max(dt.timedelta(0), canceled - initialized)
    return canceled + took * (max(in_flight.attempts, 0) * RETRY_FACTOR)


def new_op(synth: Synthesizer, comp: Composition, cooldown_slot: dt.datetime) -> Op | None:
    """The operation `comp` needs, if any. `cooldown_slot` is when the next deferred synthesis may start."""
    reason = classify(synth, comp)
    if reason is None:
        not_before = retry_not_before(comp)
        # Retries happen whatever classify said (even for a composition now missing inputs), as in Eno.
        return Op(Reason.RETRY, comp, not_before) if not_before is not None else None
    if reason.deferred:
        if synthesizing(comp):
            return None  # deferred changes never preempt a synthesis in flight
        hashed = rollout_hash(synth, comp) if reason is Reason.SYNTHESIZER_MODIFIED else 0
        return Op(reason, comp, cooldown_slot, hashed)
    return Op(reason, comp)


def op_less(a: Op, b: Op) -> bool:
    """Priority: synthesizer rollouts by descending hash, same reasons by uid, else by reason."""
    if (
        a.reason is Reason.SYNTHESIZER_MODIFIED
        and b.reason is Reason.SYNTHESIZER_MODIFIED
        and a.rollout_hash != b.rollout_hash
    ):
        return a.rollout_hash > b.rollout_hash
    if a.reason == b.reason:
        return a.composition.uid < b.composition.uid
    return a.reason < b.reason


def cooldown_slot(comps: Iterable[Composition], cooldown: float) -> dt.datetime:
    """The newest `initialized` of any deferred synthesis (in any slot) plus the cooldown.

    With none, a moment long past: the first deferred change after a quiet period starts at once."""
    newest = DAWN
    for comp in comps:
        status = comp.status
        for syn in (status.in_flight_synthesis, status.current_synthesis, status.previous_synthesis):
            if syn is None or not syn.deferred:
                continue
            initialized = _time(syn.initialized)
            if initialized is not None and initialized > newest:
                newest = initialized
    return newest + dt.timedelta(seconds=cooldown)
