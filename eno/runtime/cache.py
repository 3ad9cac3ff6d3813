"""The shared cache: one informer per kind, created on demand, so a controller's watches and reads share it.

Reads go to the informer's store and return frozen objects (or, for a typed kind, a typed object built
from a thawed copy). Per-kind options scope what is cached (namespace, label selector, transform), as
controller-runtime's `cache.Options.ByObject` does; a read outside a kind's namespace is an error, and an
object filtered out by the label selector reads as NotFound.

A kind can be cached as metadata only (`InformerOptions(metadata_only=True)`, or `metadata_only=True` on one
call): its informer asks for PartialObjectMetadata. Metadata-only and full informers of one kind are kept
apart (keyed by kind and mode, as controller-runtime keeps a separate metadata informer map), so a reader
asking for whole objects never gets metadata from a shared entry, nor the other way round. Metadata-only
objects are always returned as frozen dicts, never typed.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, overload

import attrs

from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.frozen import FrozenDict, thaw
from eno.runtime.gvk import GVK, KubeObject, gvk_of_type
from eno.runtime.informer import Informer, Transform
from eno.runtime.store import IndexFunc

T = TypeVar("T", bound=KubeObject)


class CacheNotStarted(RuntimeError):
    pass


class CacheNotSynced(TimeoutError):
    pass


class NamespaceNotCached(LookupError):
    """The kind is cached for one namespace only, and the read asked for another."""


@attrs.frozen
class InformerOptions:
    namespace: str | None = None
    label_selector: str | None = None
    field_selector: str | None = None
    transform: Transform | None = None
    resync_period: float | None = None
    metadata_only: bool = False  # cache PartialObjectMetadata only (no spec, data or status)


def _gvk(kind: GVK | type[KubeObject]) -> GVK:
    return kind if isinstance(kind, GVK) else gvk_of_type(kind)


class Cache:
    def __init__(
        self,
        client: Client,
        *,
        by_kind: Mapping[GVK | type[KubeObject], InformerOptions] | None = None,
        default_options: InformerOptions | None = None,
        sync_timeout: float = 60.0,
        informer_settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.client = client
        self._options = {_gvk(k): v for k, v in (by_kind or {}).items()}
        self._default = default_options or InformerOptions()
        self._sync_timeout = sync_timeout
        # Extra keyword arguments for every informer (backoff, page size, watch timeout); tests shorten them.
        self._informer_settings = dict(informer_settings or {})
        self._informers: dict[tuple[GVK, bool], Informer] = {}
        self._started = False

    def options_for(self, kind: GVK | type[KubeObject]) -> InformerOptions:
        return self._options.get(_gvk(kind), self._default)

    def _mode(self, kind: GVK | type[KubeObject], metadata_only: bool | None) -> bool:
        return self.options_for(kind).metadata_only if metadata_only is None else metadata_only

    def informer_for(self, kind: GVK | type[KubeObject], *, metadata_only: bool | None = None) -> Informer:
        """The kind's informer, created on first use (and started at once if the cache is running).

        `metadata_only` picks the metadata-only or the full informer; None: the kind's option."""
        gvk = _gvk(kind)
        key = (gvk, self._mode(gvk, metadata_only))
        informer = self._informers.get(key)
        if informer is None:
            opts = self.options_for(gvk)
            informer = Informer(
                self.client,
                gvk,
                namespace=opts.namespace,
                label_selector=opts.label_selector,
                field_selector=opts.field_selector,
                transform=opts.transform,
                resync_period=opts.resync_period,
                metadata_only=key[1],
                **self._informer_settings,
            )
            self._informers[key] = informer
            if self._started:
                informer.start()
        return informer

    async def remove_informer(
        self, kind: GVK | type[KubeObject], *, metadata_only: bool | None = None
    ) -> bool:
        """Stop and forget a kind's informer (a watch no longer needed); False if there was none.

        Handlers registered on it stop receiving events; the next `informer_for` starts a fresh one."""
        informer = self._informers.pop((_gvk(kind), self._mode(kind, metadata_only)), None)
        if informer is None:
            return False
        await informer.stop()
        return True

    @property
    def informers(self) -> dict[GVK, Informer]:
        """The informers in each kind's configured mode (what `informer_for(kind)` returns)."""
        return {gvk: i for (gvk, meta), i in self._informers.items() if meta == self._mode(gvk, None)}

    @property
    def all_informers(self) -> builtins.list[Informer]:
        """Every informer, full and metadata-only."""
        return builtins.list(self._informers.values())

    def add_indexer(
        self, kind: GVK | type[KubeObject], name: str, fn: IndexFunc, *, metadata_only: bool | None = None
    ) -> None:
        self.informer_for(kind, metadata_only=metadata_only).add_indexer(name, fn)

    # -- lifetime --------------------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self._started

    def start(self) -> None:
        self._started = True
        for informer in self._informers.values():
            informer.start()

    async def stop(self) -> None:
        self._started = False
        await asyncio.gather(*(i.stop() for i in self._informers.values()))

    async def wait_for_sync(self, timeout: float) -> bool:
        """True once every informer created so far has listed; False if not within `timeout`."""
        results = await asyncio.gather(*(i.wait_for_sync(timeout) for i in self._informers.values()))
        return all(results)

    async def _synced_informer(
        self, kind: GVK | type[KubeObject], namespace: str | None, metadata_only: bool | None = None
    ) -> Informer:
        if not self._started:
            raise CacheNotStarted("start the cache before reading from it")
        if not isinstance(kind, GVK) and metadata_only is None and self._mode(kind, None):
            # A typed class cannot be built from metadata alone.
            raise TypeError(f"{_gvk(kind)} is cached as metadata only: read it by GVK or metadata_only=True")
        informer = self.informer_for(kind, metadata_only=metadata_only)
        if informer.namespace and namespace != informer.namespace:
            raise NamespaceNotCached(
                f"unknown namespace for the cache: {_gvk(kind).kind} is cached in {informer.namespace!r} only"
            )
        if not informer.has_synced and not await informer.wait_for_sync(self._sync_timeout):
            raise CacheNotSynced(f"{_gvk(kind)} did not sync within {self._sync_timeout}s")
        return informer

    # -- reads -----------------------------------------------------------------------------------------

    @overload
    async def get(
        self,
        kind: type[T],
        name: str,
        namespace: str | None = None,
        *,
        metadata_only: Literal[False] | None = None,
    ) -> T: ...
    @overload
    async def get(
        self, kind: GVK, name: str, namespace: str | None = None, *, metadata_only: bool | None = None
    ) -> FrozenDict: ...
    @overload
    async def get(
        self, kind: type[T], name: str, namespace: str | None = None, *, metadata_only: Literal[True]
    ) -> FrozenDict: ...
    async def get(
        self,
        kind: GVK | type[T],
        name: str,
        namespace: str | None = None,
        *,
        metadata_only: bool | None = None,
    ) -> FrozenDict | T:
        """The cached object; raises NotFound like a live read would."""
        informer = await self._synced_informer(kind, namespace, metadata_only)
        obj = informer.get(name, namespace)
        if obj is None:
            gvk = _gvk(kind)
            raise NotFound(404, "NotFound", f'{gvk.kind} "{name}" not found in the cache')
        return obj if isinstance(kind, GVK) or informer.metadata_only else kind.from_dict(thaw(obj))

    @overload
    async def list(
        self,
        kind: type[T],
        namespace: str | None = None,
        label_selector: str | None = None,
        *,
        metadata_only: Literal[False] | None = None,
    ) -> builtins.list[T]: ...
    @overload
    async def list(
        self,
        kind: GVK,
        namespace: str | None = None,
        label_selector: str | None = None,
        *,
        metadata_only: bool | None = None,
    ) -> builtins.list[FrozenDict]: ...
    @overload
    async def list(
        self,
        kind: type[T],
        namespace: str | None = None,
        label_selector: str | None = None,
        *,
        metadata_only: Literal[True],
    ) -> builtins.list[FrozenDict]: ...
    async def list(
        self,
        kind: GVK | type[T],
        namespace: str | None = None,
        label_selector: str | None = None,
        *,
        metadata_only: bool | None = None,
    ) -> builtins.list[FrozenDict] | builtins.list[T]:
        informer = await self._synced_informer(
            kind, namespace or informer_namespace(self, kind), metadata_only
        )
        objs = informer.list(namespace, label_selector)
        if isinstance(kind, GVK) or informer.metadata_only:
            return objs
        return [kind.from_dict(thaw(o)) for o in objs]

    @overload
    async def by_index(
        self, kind: type[T], index: str, value: str, *, metadata_only: Literal[False] | None = None
    ) -> builtins.list[T]: ...
    @overload
    async def by_index(
        self, kind: GVK, index: str, value: str, *, metadata_only: bool | None = None
    ) -> builtins.list[FrozenDict]: ...
    @overload
    async def by_index(
        self, kind: type[T], index: str, value: str, *, metadata_only: Literal[True]
    ) -> builtins.list[FrozenDict]: ...
    async def by_index(
        self, kind: GVK | type[T], index: str, value: str, *, metadata_only: bool | None = None
    ) -> builtins.list[FrozenDict] | builtins.list[T]:
        informer = await self._synced_informer(kind, informer_namespace(self, kind), metadata_only)
        objs = informer.by_index(index, value)
        if isinstance(kind, GVK) or informer.metadata_only:
            return objs
        return [kind.from_dict(thaw(o)) for o in objs]


def informer_namespace(cache: Cache, kind: GVK | type[KubeObject]) -> str | None:
    """The namespace a kind is cached in (None: all): a cluster-wide list of a scoped kind reads that."""
    return cache.options_for(kind).namespace
