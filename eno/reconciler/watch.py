"""Watching the objects the reconciler manages (issue 10; beyond Eno, which never watches them).

One informer per managed kind keeps only each object's identity and resourceVersion; it starts when a
resource of that kind is first resynced, or first verified with a reconcile interval. Two uses:

- **Free resyncs.** After a pass that verified a resource in sync, the reconciler records what that pass
  depended on: the loaded resource (its synthesis and manifest), the composition's metadata, and the live
  object's resourceVersion (or its absence). The desired object is a pure function of those, so while the
  watch shows the same resourceVersion and nothing else changed, a resync needs no request at all.
- **Prompt drift correction, with Eno's semantics.** A change by someone else to an object whose resource
  has a reconcile interval is corrected as soon as the watch reports it, then at most once per interval
  (so a fight with another controller cannot become a hot loop). Without an interval nothing happens: Eno
  users rely on other controllers owning fields (e.g. an HPA and `replicas`).

The watches are Informers of their own (not the manager's shared cache), so other controllers reading the
same kinds in full are unaffected; a transform keeps only metadata in memory.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import attrs
import structlog

from eno.resource.resource import Resource
from eno.resource.snapshot import Snapshot
from eno.runtime.client import Client
from eno.runtime.frozen import FrozenDict
from eno.runtime.gvk import GVK
from eno.runtime.informer import Informer

log = structlog.get_logger(__name__)

ObjectKey = tuple[GVK, str, str]  # kind, namespace, name


def metadata_only(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    kept = {
        k: metadata[k]
        for k in ("name", "namespace", "resourceVersion", "uid", "deletionTimestamp")
        if k in metadata
    }
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": kept}


@attrs.frozen
class Verified:
    """What a pass that found the resource in sync depended on, and what it concluded."""

    resource: Resource = attrs.field(eq=False)  # compared by identity: a new synthesis is a new object
    composition: Hashable  # what of the composition the pass could depend on
    resource_version: str | None  # None: the object did not exist
    snap: Snapshot = attrs.field(eq=False)
    deleted: bool
    interval: float | None  # seconds between drift corrections; None: never corrected on events


class ObjectWatch:
    """A manager runnable (it owns the informers); `enqueue(request, delay)` feeds the reconciliation
    queue."""

    def __init__(
        self,
        client: Client,
        enqueue: Callable[[Hashable, float], None],
        informer_settings: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._enqueue = enqueue
        self._settings = dict(informer_settings or {})
        self._clock = clock
        self._informers: dict[GVK, Informer] = {}
        self._verified: dict[Hashable, tuple[ObjectKey, Verified]] = {}
        self._by_object: dict[ObjectKey, set[Hashable]] = {}
        self._last_correction: dict[Hashable, float] = {}
        self._running = False
        self.drift_corrections = 0

    # -- lifetime ------------------------------------------------------------------------------------

    async def run(self) -> None:
        self._running = True
        for informer in self._informers.values():
            informer.start()
        try:
            await asyncio.Event().wait()  # until cancelled by the manager
        finally:
            self._running = False
            await asyncio.gather(*(i.stop() for i in self._informers.values()), return_exceptions=True)
            self._informers.clear()
            self.forget_all()

    def forget_all(self) -> None:
        self._verified.clear()
        self._by_object.clear()
        self._last_correction.clear()

    def _informer(self, gvk: GVK) -> Informer | None:
        informer = self._informers.get(gvk)
        if informer is None and self._running:
            # PartialObjectMetadata on the wire as well: the watch only ever reads metadata.
            informer = Informer(
                self._client, gvk, transform=metadata_only, metadata_only=True, **self._settings
            )
            informer.add_event_handler(_Handler(self, gvk))
            self._informers[gvk] = informer
            informer.start()
        return informer

    # -- what the reconciler asks ----------------------------------------------------------------------

    def live_version(self, gvk: GVK, namespace: str, name: str) -> tuple[bool, str | None]:
        """(known, resourceVersion or None when absent); unknown until the kind's watch has synced."""
        informer = self._informer(gvk)
        if informer is None or not informer.has_synced:
            return False, None
        obj = informer.get(name, namespace or None)
        if obj is None:
            return True, None
        return True, str(obj["metadata"].get("resourceVersion") or "")

    def unchanged(
        self, request: Hashable, key: ObjectKey, resource: Resource, composition: Hashable
    ) -> Verified | None:
        """The last verified pass, when nothing it depended on has changed since."""
        found = self._verified.get(request)
        if found is None or found[0] != key:
            return None
        verified = found[1]
        if verified.resource is not resource or verified.composition != composition:
            return None
        known, version = self.live_version(*key)
        if not known or version != verified.resource_version:
            return None
        return verified

    def record(self, request: Hashable, key: ObjectKey, verified: Verified) -> None:
        previous = self._verified.get(request)
        if previous is not None and previous[0] != key:
            self._unindex(request, previous[0])
        self._verified[request] = (key, verified)
        self._by_object.setdefault(key, set()).add(request)
        if verified.interval is not None:
            self._informer(key[0])  # drift must be seen; other kinds start watching at their first resync

    def forget(self, request: Hashable) -> None:
        found = self._verified.pop(request, None)
        if found is not None:
            self._unindex(request, found[0])
        self._last_correction.pop(request, None)

    def _unindex(self, request: Hashable, key: ObjectKey) -> None:
        requests = self._by_object.get(key)
        if requests is not None:
            requests.discard(request)
            if not requests:
                del self._by_object[key]

    # -- events --------------------------------------------------------------------------------------

    def changed(self, key: ObjectKey, version: str | None) -> None:
        """The watch saw the object at `version` (None: deleted): correct drift where an interval asks."""
        for request in list(self._by_object.get(key, ())):
            verified = self._verified[request][1]
            if verified.resource_version == version or verified.interval is None:
                continue  # our own write, or a resource Eno leaves to others between passes
            now = self._clock()
            last = self._last_correction.get(request)
            if last is not None and last > now:
                continue  # a correction is already scheduled
            if last is None or now - last >= verified.interval:
                delay = 0.0
                self._last_correction[request] = now
            else:
                delay = last + verified.interval - now
                self._last_correction[request] = last + verified.interval
            self.drift_corrections += 1
            self._enqueue(request, delay)


class _Handler:
    def __init__(self, watch: ObjectWatch, gvk: GVK) -> None:
        self._watch = watch
        self._gvk = gvk

    def _key(self, obj: FrozenDict) -> ObjectKey:
        metadata = obj["metadata"]
        return self._gvk, str(metadata.get("namespace") or ""), str(metadata.get("name") or "")

    def on_add(self, obj: FrozenDict) -> None:
        self._watch.changed(self._key(obj), str(obj["metadata"].get("resourceVersion") or ""))

    def on_update(self, old: FrozenDict, new: FrozenDict) -> None:
        self._watch.changed(self._key(new), str(new["metadata"].get("resourceVersion") or ""))

    def on_delete(self, obj: FrozenDict) -> None:
        self._watch.changed(self._key(obj), None)
