"""The executor's writes (spec synthesis.md §9 steps 6-7, §11): new slices, then the status swap.

A good output becomes new ResourceSlices (outputs, then tombstones, packed by the 512 KiB rule) and the
in-flight synthesis becomes current (current becomes previous). A failed one records its error result on
the in-flight synthesis and changes nothing else: the current synthesis and its slices stay as they were.

The swap re-reads the composition on every attempt and re-checks that this synthesis is still the one in
flight (UUID, not canceled, inputs in lockstep, same image): a synthesis superseded while it ran writes
nothing. Conflicts are retried with client-go's DefaultBackoff.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Final

import attrs
import structlog

from eno.api.v1.common import InputRevisions, Result
from eno.api.v1.composition import Composition, ResourceSliceRef
from eno.api.v1.predicates import inputs_out_of_lockstep
from eno.api.v1.resourceslice import ResourceSlice
from eno.api.v1.synthesizer import Synthesizer
from eno.api.v1.times import now
from eno.resource.slicing import MAX_SLICE_BYTES, slice_outputs
from eno.runtime.client import Client
from eno.runtime.errors import Conflict, Forbidden, NotFound, Timeout

log = structlog.get_logger(__name__)

# client-go's DefaultBackoff (status updates) and DefaultRetry (slice creates): steps, first delay, factor.
_STATUS_STEPS: Final = 4
_CREATE_STEPS: Final = 5
_FIRST_DELAY: Final = 0.01
_FACTOR: Final = 5.0
_JITTER: Final = 0.1


class NamespaceTerminating(Exception):
    """The composition's namespace is going away: abandon the synthesis."""


@attrs.frozen
class Attempt:
    """One synthesis as the controller started it: the composition and synthesizer as read then."""

    composition: Composition
    synthesizer: Synthesizer
    uuid: str
    image: str  # the pod's image (Eno's IMAGE env)


def skip_reason(
    comp: Composition, synth: Synthesizer, uuid: str, image: str, revs: Sequence[InputRevisions] | None = None
) -> str | None:
    """Why this synthesis is no longer wanted (Eno's executor skip), None if it still is."""
    in_flight = comp.status.in_flight_synthesis
    if in_flight is None:
        return "MissingSynthesis"
    if in_flight.uuid != uuid:
        return "UUIDMismatch"
    if in_flight.canceled is not None:
        return "SynthesisCanceled"
    if inputs_out_of_lockstep(synth, comp, in_flight.input_revisions if revs is None else revs):
        return "InputsOutOfLockstep"
    if image and image != synth.spec.image:
        return "ImageMismatch"
    return None


def _delays(steps: int) -> list[float]:
    return [_FIRST_DELAY * _FACTOR**i * (1 + _JITTER * random.random()) for i in range(steps - 1)]


async def current_slices(client: Client, comp: Composition) -> list[ResourceSlice]:
    """The slices of the current synthesis, in order; missing ones are skipped (the cleanup raced us)."""
    current = comp.status.current_synthesis
    out: list[ResourceSlice] = []
    for ref in current.resource_slices if current is not None else ():
        try:
            out.append(await client.get(ResourceSlice, ref.name, comp.namespace))
        except NotFound:
            log.info("previous_slice_not_found", resourceSliceName=ref.name)
    return out


async def create_slices(client: Client, slices: Sequence[ResourceSlice]) -> list[str]:
    """Create in order (server timeouts retried); the generated names. Raises NamespaceTerminating."""
    names: list[str] = []
    for piece in slices:
        delays = _delays(_CREATE_STEPS)
        while True:
            try:
                created = await client.create(piece)
                break
            except Timeout:
                if not delays:
                    raise
                await asyncio.sleep(delays.pop(0))
            except Forbidden as err:
                causes = (err.details or {}).get("causes") or []
                if any(isinstance(c, dict) and c.get("reason") == "NamespaceTerminating" for c in causes):
                    raise NamespaceTerminating(str(err)) from err
                raise
        names.append(created.name)
    return names


async def update_synthesis(
    client: Client,
    attempt: Attempt,
    *,
    slices: Sequence[str],
    results: Sequence[Result],
    revisions: Sequence[InputRevisions],
    rotate: bool,
) -> str | None:
    """Record the outcome on the in-flight synthesis and, with `rotate`, make it current.

    Returns the skip reason when the synthesis was superseded meanwhile (nothing written)."""
    name, namespace = attempt.composition.name, attempt.composition.namespace
    delays = _delays(_STATUS_STEPS)
    while True:
        comp = await client.get(Composition, name, namespace)
        reason = skip_reason(comp, attempt.synthesizer, attempt.uuid, attempt.image, revisions)
        if reason is not None:
            return reason
        in_flight = comp.status.in_flight_synthesis
        assert in_flight is not None
        done = attrs.evolve(
            in_flight,
            synthesized=now(),
            resource_slices=tuple(ResourceSliceRef(name=n) for n in slices),
            observed_synthesizer_generation=attempt.synthesizer.generation,
            input_revisions=tuple(revisions),
            results=tuple(results),
        )
        status = attrs.evolve(comp.status, in_flight_synthesis=done)
        if rotate:
            status = attrs.evolve(
                status,
                previous_synthesis=comp.status.current_synthesis,
                current_synthesis=done,
                in_flight_synthesis=None,
            )
        try:
            await client.update_status(attrs.evolve(comp, status=status))
            return None
        except Conflict:
            if not delays:
                raise
            await asyncio.sleep(delays.pop(0))


@attrs.frozen
class Committed:
    slices: tuple[str, ...]
    skipped: str | None  # the skip reason when the synthesis was superseded before the swap


async def commit(
    client: Client,
    attempt: Attempt,
    items: Sequence[dict[str, object]],
    results: Sequence[Result],
    revisions: Sequence[InputRevisions],
    *,
    max_slice_bytes: int = MAX_SLICE_BYTES,
) -> Committed:
    """Write a successful synthesis: slices from `items` (with tombstones), then the swap."""
    comp = attempt.composition
    previous = await current_slices(client, comp)
    sliced = slice_outputs(comp, previous, items, max_slice_bytes)
    for error in sliced.errors:
        log.info("previous_manifest_unreadable", error=str(error))
    if sliced.failed:
        raise ValueError("; ".join(str(e) for e in sliced.errors))
    names = await create_slices(client, sliced.slices)
    skipped = await update_synthesis(
        client, attempt, slices=names, results=results, revisions=revisions, rotate=True
    )
    return Committed(tuple(names), skipped)


async def record_failure(
    client: Client,
    attempt: Attempt,
    message: str,
    revisions: Sequence[InputRevisions],
    results: Sequence[Result] = (),
) -> str | None:
    """Put the error on the in-flight synthesis; current and its slices stay untouched."""
    if not any(r.severity == "error" for r in results):
        results = (Result(message=message, severity="error"), *results)
    return await update_synthesis(
        client, attempt, slices=(), results=results, revisions=revisions, rotate=False
    )
