"""The ownership guard as the reconciler uses it: the pure index and decision of `ownership`, fed from the
reconciler's caches (spec migration.md, "The ownership guard", layer 2).

Before each write or delete the reconciler holds the object's lock, records its own claim, refreshes
every rival's claim against the freshest cached composition, and asks who may write. The loser does not
write; a delete that another composition's synthesis still holds is handed over instead.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from prometheus_client import CollectorRegistry

from eno.api.v1 import Composition
from eno.reconciler.compositions import Compositions
from eno.reconciler.migration_metrics import MigrationMetrics
from eno.reconciler.ownership import (
    Claim,
    CompositionKey,
    Decision,
    ObjectKey,
    ObjectLocks,
    OwnershipIndex,
    incumbent_of,
    with_marker,
)
from eno.resource.cache import SynthesisCache
from eno.resource.identity import Ref
from eno.resource.overrides import CompositionMetadata
from eno.resource.snapshot import Snapshot, snapshot
from eno.runtime.errors import NotFound

log = structlog.get_logger(__name__)

# The composition the current reconcile writes for: the write path marks contested objects with it.
writing_as: contextvars.ContextVar[CompositionKey | None] = contextvars.ContextVar("writing_as", default=None)

ConflictReporter = Callable[[Composition, str], Awaitable[None]]


def object_key(ref: Ref) -> ObjectKey:
    return ObjectKey(ref.group, ref.kind, ref.namespace, ref.name)


def claim_of(composition: CompositionKey, snap: Snapshot) -> Claim:
    # `Snapshot.deleted` also says "disabled"; a claim keeps the two apart (a disabled live resource still
    # holds the object against another composition's delete).
    return Claim(composition, enabled=not snap.disable, deleting=snap.deleted and not snap.disable)


class OwnershipGuard:
    def __init__(
        self,
        compositions: Compositions,
        synthesis_cache: Callable[[], SynthesisCache],
        registry: CollectorRegistry,
        report: ConflictReporter | None = None,
    ) -> None:
        self.compositions = compositions
        self.synthesis_cache = synthesis_cache  # the reconciler's current one (a fresh start replaces it)
        self.index = OwnershipIndex()
        self.locks = ObjectLocks()
        self.metrics = MigrationMetrics(registry)
        self.report = report

    def forget_all(self) -> None:
        """On a fresh start (regained leadership): claims are rebuilt as syntheses load again."""
        self.index = OwnershipIndex()

    def present(self, me: CompositionKey, ref: Ref) -> list[CompositionKey]:
        """The composition's synthesis holds `ref`: make it known as a claimant before its first decision,
        so a rival's plain resource is not applied blind over a contested object. Returns the other
        claimants when this made the object contested (they should decide again)."""
        key = object_key(ref)
        claims = self.index.claims(key)
        if any(c.composition == me for c in claims):
            return []
        self.index.claim(key, Claim(me, enabled=True))
        return [c.composition for c in claims]

    def contested(self, ref: Ref) -> bool:
        return len(self.index.claims(object_key(ref))) > 1

    def release(self, me: CompositionKey, ref: Ref) -> None:
        self.index.release(object_key(ref), me)

    def forget_composition(self, me: CompositionKey) -> None:
        self.index.forget_composition(me)

    async def decide(self, me: CompositionKey, snap: Snapshot, current: Mapping[str, Any] | None) -> Decision:
        """Call with `locks.hold(object_key(ref))` held, right before the write."""
        key = object_key(snap.resource.ref)
        self.index.claim(key, claim_of(me, snap))
        await self._refresh_rivals(key, me, snap.resource.ref, current)
        decision = self.index.decide(key, me, incumbent_of(current))
        if decision.may_write and len(self.index.claims(key)) > 1:
            self.metrics.owns(key, me)
        return decision

    async def _refresh_rivals(
        self, key: ObjectKey, me: CompositionKey, ref: Ref, current: Mapping[str, Any] | None
    ) -> None:
        for rival in [c.composition for c in self.index.claims(key) if c.composition != me]:
            try:
                comp = await self.compositions.get(rival.namespace, rival.name)
            except NotFound:
                self.index.forget_composition(rival)
                continue
            synthesis = comp.status.current_synthesis
            loaded = self.synthesis_cache()
            found = loaded.get(synthesis.uuid, ref) if synthesis is not None else None
            if found is None:
                self.index.release(key, rival)
                continue
            meta = CompositionMetadata.from_composition(comp)
            live = dict(current) if current is not None else None
            self.index.claim(key, claim_of(rival, snapshot(found[0], meta, live)))

    def mark(
        self, body: dict[str, Any], ref: Ref, current: Mapping[str, Any] | None, *, dry_run: bool
    ) -> dict[str, Any]:
        """The body to write, with the owner marker: kept once the object carries one (so a forced apply
        does not drop it), added with the first real write while the object is contested. The marker alone
        never causes a write: the dry run that decides whether to write only carries it when the live
        object already does (a stale pass of an old owner must stay a no-op)."""
        me = writing_as.get()
        if me is None:
            return body
        if incumbent_of(current) is not None or (not dry_run and self.contested(ref)):
            return with_marker(body, me)
        return body

    def wrote(self, me: CompositionKey, ref: Ref) -> None:
        if self.contested(ref):
            self.metrics.wrote(object_key(ref), me)

    async def conflict(self, me: CompositionKey, ref: Ref, decision: Decision) -> None:
        self.metrics.conflict(object_key(ref), me)
        log.warning("ownership_conflict", winner=str(decision.winner), resourceRef=str(ref))
        if self.report is None:
            return
        try:
            comp = await self.compositions.get(me.namespace, me.name)
        except NotFound:
            return
        await self.report(comp, f"{ref}: {decision.reason()}")
