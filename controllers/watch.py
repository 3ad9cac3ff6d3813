"""Input watching: keep each composition's `status.inputRevisions` in step with its bound inputs
(spec synthesis.md §3-§4.1).

- The parent controller (one work item, any Synthesizer event) starts one kind-watch controller per
  ResourceRef the synthesizers refer to, and stops those no longer referred to: one change per pass.
- A kind-watch controller watches its input kind through a metadata-only informer (shared per kind) plus
  Compositions and Synthesizers, maps each input object to the compositions bound to it, and buffers the
  new InputRevisions of that key (a deleted optional input: removal of the key).
- The input-revision write buffer (`eno.watch.writebuffer`) turns bursts into one status write per
  composition.
- The pruning controller drops entries whose key no longer has a binding, one per pass.

The scheduler reads the result: missing keys block synthesis, out-of-lockstep revisions hold it.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs
import structlog

from controllers.indexes import BY_SYNTHESIZER, add_composition_indexes, ensure_index
from eno.api.v1 import Composition, Synthesizer
from eno.api.v1.bindings import remove_input_revision
from eno.api.v1.predicates import new_input_revisions
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.controller import Controller, SourceSyncTimeout
from eno.runtime.errors import NotFound
from eno.runtime.frozen import FrozenDict, thaw
from eno.runtime.gvk import GVK, Unstructured
from eno.runtime.handler import EnqueueRequestsFromMapFunc
from eno.runtime.informer import Informer
from eno.runtime.manager import Manager
from eno.runtime.objectmeta import Object
from eno.runtime.ratelimiter import BucketRateLimiter
from eno.runtime.reconcile import Request, Result
from eno.watch.refs import (
    RefKey,
    binding_index_value,
    build_requests,
    composition_bindings,
    find_ref_key,
    gvk_index_value,
    implicitly_bound,
    ref_for,
    stale_input_key,
    synthesizer_ref_kinds,
)
from eno.watch.revisions import RemoveRevision, SetRevision
from eno.watch.writebuffer import InputRevisionWriteBuffer

PARENT_NAME: Final = "watchControllerController"
PRUNING_NAME: Final = "watchPruningController"
BY_REF_KIND: Final = ".spec.refs.resource"
BY_BINDING: Final = ".spec.bindings"
THE_REQUEST: Final = Request("", "watches")
INPUT_RETRY_QPS: Final = 1.0  # refill of the shared kind-watch retry bucket; the burst is --input-qps

log = structlog.get_logger(__name__)


@attrs.frozen
class Options:
    input_qps: int = 10  # --input-qps: burst of the retry bucket all kind-watch controllers share
    # Extra keyword arguments for the input informers (tests shorten the backoff).
    informer_settings: Mapping[str, Any] = attrs.field(factory=dict)


def metadata_only(obj: Unstructured) -> Unstructured:
    """What the input caches keep of an object: its identity and metadata (no managedFields).

    The informer already asks for metadata only; this drops managedFields and anything extra."""
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": meta}


class InputInformers:
    """Metadata-only informers per input kind, shared by the kind-watch controllers that need them.

    A manager runnable on every replica: it stops whatever informers are left at shutdown."""

    def __init__(self, client: Client, settings: Mapping[str, Any]) -> None:
        self.client = client
        self.settings = dict(settings)
        self._informers: dict[GVK, Informer] = {}
        self._users: dict[GVK, int] = {}

    def acquire(self, gvk: GVK) -> Informer:
        informer = self._informers.get(gvk)
        if informer is None:
            # PartialObjectMetadata on the wire too: inputs are only ever read for their metadata.
            informer = Informer(
                self.client, gvk, transform=metadata_only, metadata_only=True, **self.settings
            )
            self._informers[gvk] = informer
            # A fresh context: its task must not inherit the parent reconcile's log fields.
            contextvars.Context().run(informer.start)
        self._users[gvk] = self._users.get(gvk, 0) + 1
        return informer

    async def release(self, gvk: GVK) -> None:
        self._users[gvk] = self._users.get(gvk, 1) - 1
        if self._users[gvk] <= 0:
            self._users.pop(gvk, None)
            informer = self._informers.pop(gvk, None)
            if informer is not None:
                await informer.stop()

    @property
    def kinds(self) -> set[GVK]:
        return set(self._informers)

    async def run(self) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            informers, self._informers = list(self._informers.values()), {}
            self._users.clear()
            await asyncio.gather(*(i.stop() for i in informers), return_exceptions=True)


# -- the kind-watch controller --------------------------------------------------------------------------


def _typed_synth(obj: Object) -> Synthesizer:
    return Synthesizer.from_dict(thaw(obj) if isinstance(obj, FrozenDict) else dict(obj))


def _typed_comp(obj: Object) -> Composition:
    return Composition.from_dict(thaw(obj) if isinstance(obj, FrozenDict) else dict(obj))


class KindWatchReconciler:
    def __init__(
        self, key: RefKey, informer: Informer, cache: Cache, buffer: InputRevisionWriteBuffer
    ) -> None:
        self.key = key
        self.gvk = key.gvk
        self.informer = informer
        self.cache = cache
        self.buffer = buffer

    async def reconcile(self, request: Request) -> Result:
        obj = self.informer.get(request.name, request.namespace or None)
        deleted = obj is None
        synths = await self.cache.by_index(
            Synthesizer, BY_REF_KIND, gvk_index_value(self.gvk.group, self.gvk.version, self.gvk.kind)
        )
        random.shuffle(synths)  # one bad composition must not starve the others
        for synth in synths:
            if implicitly_bound(synth, self.gvk, request.namespace, request.name):
                comps = await self.cache.by_index(Composition, BY_SYNTHESIZER, synth.name)
                self._update(synth, comps, request, obj)
            value = binding_index_value(synth.name, request.namespace, request.name)
            self._update(synth, await self.cache.by_index(Composition, BY_BINDING, value), request, obj)
        if deleted:
            log.debug("input_deleted", kind=self.gvk.kind, name=request.name, namespace=request.namespace)
        return Result()

    def _update(
        self, synth: Synthesizer, comps: list[Composition], request: Request, obj: FrozenDict | None
    ) -> None:
        for comp in comps:
            key = find_ref_key(comp, synth, self.gvk, request.namespace, request.name)
            if not key:
                continue
            target = Request(comp.namespace, comp.name)
            # Skip what the (cached) status already says: every composition event maps back to its inputs,
            # and the buffer's flush costs a GET even when nothing changes.
            recorded = next((r for r in comp.status.input_revisions if r.key == key), None)
            if obj is None:
                ref = ref_for(synth, key)
                # A required input that is gone keeps its last entry: the synthesizer still needs it.
                pending = key in self.buffer.pending(target)
                if ref is not None and ref.optional and (recorded is not None or pending):
                    self.buffer.enqueue(target, key, RemoveRevision())
                continue
            revisions = new_input_revisions(obj, key)
            if recorded != revisions or key in self.buffer.pending(target):
                self.buffer.enqueue(target, key, SetRevision(revisions))


class KindWatch:
    """One kind-watch controller and the input informer it holds, as one leader-only runnable."""

    def __init__(self, key: RefKey, controller: Controller) -> None:
        self.key = key
        self.controller = controller
        self.name = controller.name

    async def run(self) -> None:
        while True:
            try:
                await self.controller.run()
                return
            except SourceSyncTimeout:
                # The kind may not be served (yet): keep waiting instead of failing the manager.
                log.info("input_kind_not_synced", controller=self.name)

    async def shutdown(self, timeout: float | None = None) -> bool:
        return await self.controller.shutdown(timeout)


def _input_object(obj: Object) -> list[Request]:
    meta = obj.get("metadata") or {}
    return [Request(str(meta.get("namespace") or ""), str(meta.get("name") or ""))]


class WatchControllerReconciler:
    """The parent: one kind-watch controller per referenced ResourceRef, started and stopped here."""

    def __init__(
        self,
        manager: Manager,
        informers: InputInformers,
        buffer: InputRevisionWriteBuffer,
        options: Options,
    ) -> None:
        self.manager = manager
        self.informers = informers
        self.buffer = buffer
        self.options = options
        self.retries: BucketRateLimiter[Request] = BucketRateLimiter(INPUT_RETRY_QPS, options.input_qps)
        self.watches: dict[RefKey, KindWatch] = {}

    async def reconcile(self, request: Request) -> Result:
        synths = await self.manager.cache.list(Synthesizer)
        random.shuffle(synths)  # a ref that cannot start must not starve the others
        referenced: set[RefKey] = set()
        for synth in synths:
            if synth.deleting:
                continue
            for ref in synth.spec.refs:
                key = RefKey.of(ref.resource)
                referenced.add(key)
                if key not in self.watches:
                    self._start(key)
                    return Result(requeue_after=0.001)  # one start per pass
        for key in list(self.watches):
            if key not in referenced:
                await self._stop(key)
                return Result(requeue_after=0.001)
        return Result()

    def _start(self, key: RefKey) -> None:
        manager = self.manager
        informer = self.informers.acquire(key.gvk)
        controller = Controller(
            key.controller_name,
            KindWatchReconciler(key, informer, manager.cache, self.buffer),
            rate_limiter=self.retries,
            registry=manager.registry,
            cache_sync_timeout=manager.cache_sync_timeout,
        )
        compositions = manager.cache.informer_for(Composition)
        synthesizers = manager.cache.informer_for(Synthesizer)

        def by_composition(obj: Object) -> list[Request]:
            comp = _typed_comp(obj)
            synth = synthesizers.get(comp.spec.synthesizer.name) if comp.spec.synthesizer.name else None
            return build_requests(_typed_synth(synth), [comp]) if synth is not None else []

        def by_synthesizer(obj: Object) -> list[Request]:
            synth = _typed_synth(obj)
            comps = [_typed_comp(c) for c in compositions.by_index(BY_SYNTHESIZER, synth.name)]
            return build_requests(synth, comps)

        controller.watch(informer, EnqueueRequestsFromMapFunc(_input_object))
        controller.watch(compositions, EnqueueRequestsFromMapFunc(by_composition))
        controller.watch(synthesizers, EnqueueRequestsFromMapFunc(by_synthesizer))
        watch = KindWatch(key, controller)
        self.watches[key] = watch
        contextvars.Context().run(manager.add, watch)  # its tasks get no log fields of this reconcile
        log.info("input_watch_started", controller=PARENT_NAME, watch=key.controller_name)

    async def _stop(self, key: RefKey) -> None:
        watch = self.watches.pop(key)
        await self.manager.remove(watch)
        watch.controller.unwatch()
        await self.informers.release(key.gvk)
        log.info("input_watch_stopped", controller=PARENT_NAME, watch=key.controller_name)


# -- pruning --------------------------------------------------------------------------------------------


class PruningReconciler:
    """Drops the first inputRevisions entry no longer bound; the write's own event brings the next."""

    def __init__(self, cache: Cache, client: Client) -> None:
        self.cache = cache
        self.client = client

    async def reconcile(self, request: Request) -> Result:
        try:
            comp = await self.cache.get(Composition, request.name, request.namespace)
        except NotFound:
            return Result()
        synth: Synthesizer | None
        try:
            synth = await self.cache.get(Synthesizer, comp.spec.synthesizer.name)
        except NotFound:
            synth = None
        key = stale_input_key(synth, comp)
        if key is None:
            return Result()
        revisions = remove_input_revision(comp.status.input_revisions, key)
        await self.client.update_status(
            attrs.evolve(comp, status=attrs.evolve(comp.status, input_revisions=revisions))
        )
        log.info(
            "pruned_input_revision",
            controller=PRUNING_NAME,
            compositionName=comp.name,
            compositionNamespace=comp.namespace,
            key=key,
        )
        return Result()


def _the_request(_obj: Object) -> list[Request]:
    return [THE_REQUEST]


def add_watch_indexes(cache: Cache) -> None:
    add_composition_indexes(cache)
    ensure_index(cache, Synthesizer, BY_REF_KIND, synthesizer_ref_kinds)
    ensure_index(cache, Composition, BY_BINDING, composition_bindings)


@attrs.frozen
class Registered:
    parent: Controller
    pruning: Controller
    buffer: InputRevisionWriteBuffer
    informers: InputInformers
    watches: Callable[[], dict[RefKey, KindWatch]]


def setup(manager: Manager, options: Options | None = None) -> Registered:
    """Register input watching on `manager`: the parent, the pruner, the write buffer, the input caches."""
    options = options or Options()
    add_watch_indexes(manager.cache)
    buffer = InputRevisionWriteBuffer(manager.client, manager.registry)
    manager.add(buffer)
    informers = InputInformers(manager.client, options.informer_settings)
    manager.add(informers, needs_leader_election=False)
    reconciler = WatchControllerReconciler(manager, informers, buffer, options)
    parent = (
        manager.builder()
        .named("watch", log_name=PARENT_NAME)
        .watches(Synthesizer, EnqueueRequestsFromMapFunc(_the_request))
        .complete(reconciler)
    )
    pruning = (
        manager.builder()
        .named("watch-pruning", log_name=PRUNING_NAME)
        .for_(Composition)
        .watches(Synthesizer, EnqueueRequestsFromMapFunc(_compositions_of(manager.cache)))
        .complete(PruningReconciler(manager.cache, manager.client))
    )
    return Registered(parent, pruning, buffer, informers, lambda: dict(reconciler.watches))


def _compositions_of(cache: Cache) -> Callable[[Object], list[Request]]:
    compositions = cache.informer_for(Composition)

    def mapped(obj: Object) -> list[Request]:
        name = str((obj.get("metadata") or {}).get("name") or "")
        return [
            Request(str(c["metadata"].get("namespace") or ""), str(c["metadata"]["name"]))
            for c in compositions.by_index(BY_SYNTHESIZER, name)
        ]

    return mapped
