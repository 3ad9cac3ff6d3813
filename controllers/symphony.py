"""The Symphony controller: variations become compositions (spec controllers.md §2, migration.md).

Each pass makes one kind of change and returns; the watch event of its own write starts the next pass:
finalizer, then one removal (label or delete), then one prune or the applies, then the status. The plan
comes from eno.symphony (pure); this module reads, confirms and writes.

The ownership guard (symphony layer): a pass that would create or update compositions first lists the
symphony's compositions from the server (not the cache) and plans again from that. A cache that has not
yet seen one of our own writes can therefore never make us add a value while another composition still
holds a key that must be pruned first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import structlog

from controllers.events import NORMAL, WARNING, EventRecorder
from controllers.indexes import BY_SYMPHONY, add_composition_indexes
from controllers.logfields import symphony_fields
from eno.api.v1 import Composition, Symphony
from eno.api.v1.constants import FINALIZER_CLEANUP
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.controller import Controller
from eno.runtime.errors import Forbidden, Invalid, NotFound
from eno.runtime.manager import Manager
from eno.runtime.reconcile import Request, Result
from eno.symphony.desired import owned_by
from eno.symphony.plan import Apply, Delete, LabelDeleting, Prune, Removal, plan_pass, removal_step
from eno.symphony.status import aggregate_status, status_equal

CONTROLLER_NAME = "symphony"
LOG_NAME = "symphonyController"


@attrs.frozen
class Options:
    """The symphony controller has no flags of its own in Eno; kept for a uniform `setup` signature."""


class InvalidCompositions(Exception):
    """The server refused a composition built from the symphony: an Event, and a retry with backoff."""


class SymphonyReconciler:
    def __init__(self, cache: Cache, client: Client, events: EventRecorder) -> None:
        self.cache = cache
        self.client = client
        self.events = events

    async def reconcile(self, request: Request) -> Result:
        try:
            symph = await self.cache.get(Symphony, request.name, request.namespace)
        except NotFound:
            return Result()
        log = structlog.get_logger(__name__).bind(**symphony_fields(symph))
        if FINALIZER_CLEANUP not in symph.finalizers:
            await self.client.update(symph.with_metadata(finalizers=[*symph.finalizers, FINALIZER_CLEANUP]))
            log.info("added_finalizer")
            return Result()

        comps = await self._cached_compositions(symph)
        removal = removal_step(symph, comps)
        if removal is not None:
            await self._remove(symph, removal, log)
            return Result()
        if symph.deleting:
            if comps:
                return Result()  # the compositions' own events bring us back
            finalizers = [f for f in symph.finalizers if f != FINALIZER_CLEANUP]
            await self.client.update(symph.with_metadata(finalizers=finalizers or None))
            log.info("removed_finalizer")
            return Result()
        if await self._forward(symph, comps, log):
            return Result()
        await self._sync_status(symph, comps)
        return Result()

    async def _cached_compositions(self, symph: Symphony) -> list[Composition]:
        comps = await self.cache.by_index(Composition, BY_SYMPHONY, symph.name)
        return [c for c in comps if c.namespace == symph.namespace]

    async def _live_compositions(self, symph: Symphony) -> list[Composition]:
        """A fresh LIST from the server: what the ownership guard confirms against."""
        page = await self.client.list(Composition, namespace=symph.namespace)
        return [c for c in page.items if owned_by(c, symph)]

    # -- reverse phase ---------------------------------------------------------------------------------

    async def _remove(self, symph: Symphony, removal: Removal, log: Any) -> None:
        comp = removal.composition
        if isinstance(removal, LabelDeleting):
            await self.client.update(comp)
            log.info("labeled_composition_deleting", compositionName=comp.name)
            return
        try:
            await self.client.delete(Composition, comp.name, comp.namespace, preconditions={"uid": comp.uid})
        except NotFound:
            return  # a stale cache: the deletion event is on its way and brings us back
        log.info("deleted_composition", compositionName=comp.name, reason=removal.reason)
        if isinstance(removal, Delete) and removal.reason == "duplicate":
            await self.events.record(
                symph,
                WARNING,
                "DuplicateComposition",
                f"deleted composition {comp.name}: another composition of this symphony uses synthesizer "
                f"{comp.spec.synthesizer.name!r} (the oldest duplicate is deleted)",
            )

    # -- forward phase: prune, or apply ----------------------------------------------------------------

    async def _forward(self, symph: Symphony, cached: list[Composition], log: Any) -> bool:
        plan = plan_pass(symph, cached)
        if isinstance(plan, Prune):
            await self._prune(symph, plan, log)
            return True
        await self._report(symph, plan)
        if plan.writes == 0:
            return False
        # Before any add: confirm against the server that nothing is left to prune, and write from it.
        live = await self._live_compositions(symph)
        written: set[str] = set()
        invalid: list[str] = []
        wrote = False
        for _ in range(len(symph.spec.variations) + 1):
            plan = plan_pass(symph, live, skip=frozenset(written))
            if isinstance(plan, Prune):
                await self._prune(symph, plan, log)
                return True
            if plan.writes == 0:
                break
            for desired in plan.creates:
                synth = desired.spec.synthesizer.name
                written.add(synth)
                try:
                    created = await self.client.create(desired)
                except Forbidden as err:
                    if _namespace_terminating(err):
                        return wrote
                    raise
                except Invalid as err:
                    invalid.append(synth)
                    await self._refused(symph, synth, err)
                    continue
                live.append(created)
                wrote = True
                log.info("created_composition", compositionName=created.name, synthesizerName=synth)
            for update in plan.updates:
                synth = update.spec.synthesizer.name
                written.add(synth)
                try:
                    updated = await self.client.update(update)
                except Invalid as err:
                    invalid.append(synth)
                    await self._refused(symph, synth, err)
                    continue
                live = [updated if c.uid == updated.uid else c for c in live]
                wrote = True
                log.info("updated_composition", compositionName=updated.name, synthesizerName=synth)
            if not plan.creates:
                break  # only creates can resolve further dependencies in this pass
        if invalid:
            raise InvalidCompositions(f"compositions refused for synthesizers {sorted(set(invalid))}")
        return wrote

    async def _prune(self, symph: Symphony, prune: Prune, log: Any) -> None:
        comp = await self.client.update(prune.composition)
        log.info("pruned_annotations", compositionName=comp.name, keys=list(prune.keys))
        await self.events.record(
            comp,
            NORMAL,
            "AnnotationsRemoved",
            f'removed annotation(s) {", ".join(prune.keys)}: symphony {symph.name} sets them to "" '
            "for this variation",
        )

    async def _report(self, symph: Symphony, plan: Apply) -> None:
        """Bad input a user must hear about: dependency cycles and dependencies on no variation."""
        if plan.cyclic:
            await self.events.record(
                symph,
                WARNING,
                "DependencyCycle",
                f"variations {', '.join(plan.cyclic)} depend on each other in a cycle: their compositions "
                "are neither created nor updated until the cycle is broken",
            )
        names = {v.synthesizer.name for v in symph.spec.variations}
        for variation in symph.spec.variations:
            unknown = sorted({d.synthesizer for d in variation.depends_on if d.synthesizer} - names)
            if unknown:
                await self.events.record(
                    symph,
                    WARNING,
                    "DependencyNotFound",
                    f"variation {variation.synthesizer.name} depends on {', '.join(unknown)}, which no "
                    "variation of this symphony names: its composition waits",
                )

    async def _refused(self, symph: Symphony, synth: str, err: Invalid) -> None:
        await self.events.record(
            symph,
            WARNING,
            "InvalidComposition",
            f"the composition for variation {synth} was refused: {err.message or err}",
            dedup=synth,  # the message names a generated name that differs on every attempt
        )

    # -- status ----------------------------------------------------------------------------------------

    async def _sync_status(self, symph: Symphony, comps: Sequence[Composition]) -> None:
        want = aggregate_status(symph, comps)
        if status_equal(want, symph.status):
            return
        body = {
            "status": {
                "observedGeneration": want.observed_generation,
                "synthesized": want.synthesized,
                "reconciled": want.reconciled,
                "ready": want.ready,
            }
        }
        await self.client.patch(
            Symphony, symph.name, symph.namespace, body, patch_type="merge", subresource="status"
        )


def _namespace_terminating(err: Forbidden) -> bool:
    causes = (err.details or {}).get("causes") or []
    return any(isinstance(c, dict) and c.get("reason") == "NamespaceTerminating" for c in causes)


def setup(manager: Manager, options: Options | None = None) -> Controller:
    """Register the symphony controller (and the composition indexes it reads) on `manager`."""
    add_composition_indexes(manager.cache)
    reconciler = SymphonyReconciler(manager.cache, manager.client, EventRecorder(manager.client))
    return (
        manager.builder()
        .named(CONTROLLER_NAME, log_name=LOG_NAME)
        .for_(Symphony)
        .owns(Composition)
        .complete(reconciler)
    )
