"""The ownership guard's resource layer (spec migration.md, "The ownership guard", layer 2).

Pure logic, no I/O: an index from each live object to the compositions that would write it, and the
decision of which one may. The reconciler consults it right before every write and delete (a delete
counts as a write), under a per-object lock so writes to one object are serialised across compositions.

The rule: when two or more compositions would write one object, the incumbent (the composition that
wrote it last) keeps it and every other one does not write at all. The incumbent is recoverable from the
cluster after a restart: the reconciler keeps it on the object in the `OWNER_ANNOTATION` marker. With no
incumbent among the claimants, the first in (namespace, name) order wins, so every process agrees.
A tombstone never deletes an object that another composition still manages live.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Iterable, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import attrs

OWNER_ANNOTATION = "eno.azure.io/owner-composition"


@attrs.frozen(order=True)
class CompositionKey:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"

    @classmethod
    def parse(cls, value: str) -> CompositionKey | None:
        namespace, sep, name = value.partition("/")
        if not sep or not name:
            return None
        return cls(namespace, name)


@attrs.frozen(order=True)
class ObjectKey:
    """A live object's identity across compositions: (group, kind, namespace, name), version excluded."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"({self.group}.{self.kind})/{self.namespace}/{self.name}"


@attrs.frozen
class Claim:
    """What one composition's current synthesis wants of an object, after its overrides.

    `enabled` is False when the composition would leave the object alone (reconciliation disabled by an
    override or annotation); `deleting` is True for a tombstone (removed from the synthesis, or the
    composition being deleted) that would delete the object.
    """

    composition: CompositionKey
    enabled: bool
    deleting: bool = False


class Verdict(enum.Enum):
    WRITE = "write"  # the candidate is the object's only writer, or the winner
    IDLE = "idle"  # the candidate does not want to write at all (disabled)
    CONFLICT = "conflict"  # another composition keeps the object: do not write, report the conflict
    YIELD = "yield"  # a delete another composition's synthesis still holds: skip it, report it done


@attrs.frozen
class Decision:
    verdict: Verdict
    winner: CompositionKey | None = None  # who writes the object; None when nobody does
    rivals: tuple[CompositionKey, ...] = ()  # the other enabled claimants

    @property
    def may_write(self) -> bool:
        return self.verdict is Verdict.WRITE

    def reason(self) -> str:
        """The loser's status message (empty unless a conflict)."""
        if self.verdict is not Verdict.CONFLICT:
            return ""
        return f"ownership conflict: composition {self.winner} manages this object"


def incumbent_of(obj: Mapping[str, Any] | None) -> CompositionKey | None:
    """The composition that wrote the live object last, from the marker the reconciler keeps on it."""
    if not isinstance(obj, Mapping):
        return None
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    value = annotations.get(OWNER_ANNOTATION) if isinstance(annotations, Mapping) else None
    return CompositionKey.parse(value) if isinstance(value, str) else None


def with_marker(obj: Mapping[str, Any], owner: CompositionKey) -> dict[str, Any]:
    """A copy of the desired object carrying the owner marker (written with every apply)."""
    metadata = dict(obj.get("metadata") or {})
    annotations = dict(metadata.get("annotations") or {})
    annotations[OWNER_ANNOTATION] = str(owner)
    metadata["annotations"] = annotations
    out = dict(obj)
    out["metadata"] = metadata
    return out


def decide(
    candidate: CompositionKey,
    claims: Iterable[Claim],
    incumbent: CompositionKey | None,
) -> Decision:
    """May `candidate` write (apply or delete) the object that `claims` describe?

    `claims` holds every composition's claim on the object, the candidate's included (a candidate without
    a claim, or with a disabled one, is IDLE). A delete yields to any other composition whose current
    synthesis still holds the object live, enabled or not yet (the new owner of a migration may not have
    observed its flip when the old owner's variation is removed): the object is handed over, not deleted.
    Among live writers (or, with none, among deleters) the incumbent wins, else the first in order.
    """
    by_comp = {claim.composition: claim for claim in claims}
    own = by_comp.get(candidate)
    winner = _winner(by_comp.values(), incumbent)
    if own is None or not own.enabled:
        return Decision(Verdict.IDLE, winner)
    holders = sorted(c.composition for c in by_comp.values() if not c.deleting and c.composition != candidate)
    if own.deleting and holders:
        heir = winner if winner is not None and winner != candidate else holders[0]
        return Decision(Verdict.YIELD, heir, tuple(holders))
    others = (c.composition for c in by_comp.values() if c.enabled and c.composition != candidate)
    rivals = tuple(sorted(others))
    if winner == candidate:
        return Decision(Verdict.WRITE, winner, rivals)
    return Decision(Verdict.CONFLICT, winner, rivals)


def _winner(claims: Iterable[Claim], incumbent: CompositionKey | None) -> CompositionKey | None:
    enabled = [c for c in claims if c.enabled]
    live = [c.composition for c in enabled if not c.deleting]
    pool = live or [c.composition for c in enabled]
    if not pool:
        return None
    if incumbent is not None and incumbent in pool:
        return incumbent
    return min(pool)


class OwnershipIndex:
    """Object -> claims of every composition whose current synthesis contains it (one reconciler process).

    The reconciler updates a composition's claim each time it evaluates the resource's overrides, and
    drops it when the resource leaves the composition's synthesis or the composition is gone.
    """

    def __init__(self) -> None:
        self._claims: dict[ObjectKey, dict[CompositionKey, Claim]] = {}

    def claim(self, key: ObjectKey, claim: Claim) -> None:
        self._claims.setdefault(key, {})[claim.composition] = claim

    def release(self, key: ObjectKey, composition: CompositionKey) -> None:
        claims = self._claims.get(key)
        if claims is None:
            return
        claims.pop(composition, None)
        if not claims:
            del self._claims[key]

    def forget_composition(self, composition: CompositionKey) -> None:
        for key in [k for k, claims in self._claims.items() if composition in claims]:
            self.release(key, composition)

    def claims(self, key: ObjectKey) -> tuple[Claim, ...]:
        return tuple(self._claims.get(key, {}).values())

    def decide(self, key: ObjectKey, candidate: CompositionKey, incumbent: CompositionKey | None) -> Decision:
        return decide(candidate, self.claims(key), incumbent)

    def contested(self) -> Iterator[tuple[ObjectKey, tuple[Claim, ...]]]:
        """Objects that two or more compositions would write."""
        for key, claims in self._claims.items():
            if sum(1 for c in claims.values() if c.enabled) > 1:
                yield key, tuple(claims.values())


class ObjectLocks:
    """One lock per live object, so writes to it are serialised across compositions (the work queue only
    serialises one composition's item). Entries go away when nobody holds or waits on them."""

    def __init__(self) -> None:
        self._locks: dict[ObjectKey, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: ObjectKey) -> Any:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
