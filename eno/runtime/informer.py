"""An informer: list-then-watch one kind into an indexed store, and tell event handlers what changed.

The loop is client-go's reflector, simplified to one owner task:
- list (in pages) and `replace` the store, emitting adds, updates (resourceVersion changed) and deletes for
  the difference, so a relist never loses or duplicates a final state;
- watch from the list's resourceVersion with bookmarks; a server-side timeout re-watches from the last seen
  resourceVersion; 410 Gone relists; a dropped connection, a 5xx or any other error backs off
  (exponential, jittered, capped) and re-watches from the last resourceVersion;
- optionally, every `resync_period`, call `on_update(obj, obj)` for every cached object.
Objects are transformed (optional), then deep-frozen before they are stored or handed to anyone.

With `metadata_only`, lists and watches ask the server for PartialObjectMetadata (no spec, data or status on
the wire or in memory); each object gets the watched kind's apiVersion and kind back before the transform,
as controller-runtime's metadata informers do, so handlers and indexers see which kind it is.
"""

from __future__ import annotations

import asyncio
import builtins
import random
from collections.abc import Callable
from typing import Any, Protocol

import structlog

from eno.runtime.client import Client
from eno.runtime.errors import ApiError, Gone, TooManyRequests
from eno.runtime.frozen import FrozenDict, freeze
from eno.runtime.gvk import GVK, Unstructured
from eno.runtime.labels import Selector
from eno.runtime.store import Delta, IndexFunc, Store, object_key, resource_version

log = structlog.get_logger(__name__)

Transform = Callable[[Unstructured], Unstructured]


class EventHandler(Protocol):
    """Called on the event loop, in event order. Keep them cheap (enqueue a key, no I/O)."""

    def on_add(self, obj: FrozenDict) -> None: ...

    def on_update(self, old: FrozenDict, new: FrozenDict) -> None: ...

    def on_delete(self, obj: FrozenDict) -> None: ...


class FuncHandler:
    """An EventHandler from optional callables."""

    def __init__(
        self,
        on_add: Callable[[FrozenDict], None] | None = None,
        on_update: Callable[[FrozenDict, FrozenDict], None] | None = None,
        on_delete: Callable[[FrozenDict], None] | None = None,
    ) -> None:
        self._add = on_add
        self._update = on_update
        self._delete = on_delete

    def on_add(self, obj: FrozenDict) -> None:
        if self._add:
            self._add(obj)

    def on_update(self, old: FrozenDict, new: FrozenDict) -> None:
        if self._update:
            self._update(old, new)

    def on_delete(self, obj: FrozenDict) -> None:
        if self._delete:
            self._delete(obj)


def strip_managed_fields(obj: Unstructured) -> Unstructured:
    """A transform dropping `metadata.managedFields`, usually the largest part of a cached object."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return obj


class Backoff:
    """Exponential backoff with full jitter on the upper half: base * 2^n, capped."""

    def __init__(self, base: float, cap: float, rand: Callable[[], float] = random.random) -> None:
        self.base = base
        self.cap = cap
        self._rand = rand
        self._failures = 0

    def next(self) -> float:
        delay = min(self.cap, self.base * 2.0**self._failures)
        self._failures += 1
        return delay * (0.5 + 0.5 * self._rand())

    def reset(self) -> None:
        self._failures = 0

    @property
    def failures(self) -> int:
        return self._failures


class Informer:
    def __init__(
        self,
        client: Client,
        kind: GVK,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resync_period: float | None = None,
        transform: Transform | None = None,
        page_size: int | None = None,
        list_timeout: float = 300.0,
        backoff_base: float = 0.8,
        backoff_cap: float = 30.0,
        watch_timeout: tuple[int, int] = (300, 600),
        indexers: dict[str, IndexFunc] | None = None,
        metadata_only: bool = False,
    ) -> None:
        self.client = client
        self.kind = kind
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.resync_period = resync_period
        self.transform = transform
        self.metadata_only = metadata_only
        # client-go pages by 500 but lists from the watch cache (resourceVersion=0), which ignores the limit:
        # one unpaged list is the closest match, and the cheapest for the embedded server.
        self.page_size = page_size
        self.list_timeout = list_timeout
        self.watch_timeout = watch_timeout
        self.store = Store(indexers)
        self._backoff = Backoff(backoff_base, backoff_cap)
        self._handlers: list[EventHandler] = []
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._resync_task: asyncio.Task[None] | None = None
        self.last_resource_version = ""
        # Counters a test or a metric can read: how often the informer had to start over.
        self.lists = 0
        self.watches = 0
        self._log = log.bind(kind=str(kind), namespace=namespace or "")

    # -- registration ----------------------------------------------------------------------------------

    def add_event_handler(self, handler: EventHandler) -> EventHandler:
        """Register a handler; if the store already holds objects, it gets `on_add` for each at once."""
        self._handlers.append(handler)
        for obj in list(self.store.list()):
            self._call(handler.on_add, obj)
        return handler

    def remove_event_handler(self, handler: EventHandler) -> None:
        self._handlers.remove(handler)

    def add_indexer(self, name: str, fn: IndexFunc) -> None:
        self.store.add_indexer(name, fn)

    # -- reads -----------------------------------------------------------------------------------------

    def get(self, name: str, namespace: str | None = None) -> FrozenDict | None:
        return self.store.get(name, namespace)

    def list(
        self, namespace: str | None = None, label_selector: str | Selector | None = None
    ) -> list[FrozenDict]:
        return self.store.list(namespace, label_selector)

    def by_index(self, name: str, value: str) -> builtins.list[FrozenDict]:
        return self.store.by_index(name, value)

    # -- lifetime --------------------------------------------------------------------------------------

    @property
    def has_synced(self) -> bool:
        return self._synced.is_set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def wait_for_sync(self, timeout: float) -> bool:
        """Wait until the first list is in the store; False if that did not happen within `timeout`."""
        try:
            await asyncio.wait_for(self._synced.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def start(self) -> None:
        if self._task is not None:
            return
        self._task = asyncio.create_task(self._run(), name=f"informer {self.kind}")
        if self.resync_period:
            self._resync_task = asyncio.create_task(self._resync_loop(), name=f"informer resync {self.kind}")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, self._resync_task) if t is not None]
        for task in tasks:
            task.cancel()
        # gather, not a bare await per task: our own cancellation while waiting must still propagate.
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._resync_task = None

    # -- the reflector loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        # A restarted informer resumes watching from where it stopped, like a reconnect; a 410 then relists.
        need_list = not self.has_synced
        relists_in_a_row = 0
        while True:
            try:
                if need_list:
                    if relists_in_a_row > 1:
                        # A relist answered by 410 again at once: do not spin against the server.
                        await asyncio.sleep(self._backoff.next())
                    await self._list_and_replace()
                    need_list = False
                await self._watch()
                relists_in_a_row = 0
                self._backoff.reset()
            except Gone as err:
                need_list = True
                relists_in_a_row += 1
                self._log.info("informer_relist", reason=err.message or err.reason)
            except ApiError as err:
                delay = self._backoff.next()
                if isinstance(err, TooManyRequests) and err.retry_after:
                    delay = max(delay, min(err.retry_after, self._backoff.cap))
                self._log.info("informer_backoff", code=err.code, error=str(err), delay=round(delay, 3))
                await asyncio.sleep(delay)
            except Exception as err:
                # A malformed answer or a transform that failed: log it and start over from a list.
                delay = self._backoff.next()
                self._log.error("informer_failed", error=repr(err), delay=round(delay, 3))
                need_list = True
                await asyncio.sleep(delay)

    def _ingest(self, raw: Unstructured) -> FrozenDict:
        if self.metadata_only:
            raw = {**raw, "apiVersion": self.kind.api_version, "kind": self.kind.kind}
        obj = self.transform(raw) if self.transform else raw
        frozen: FrozenDict = freeze(obj)
        return frozen

    async def _list_pages(self) -> tuple[builtins.list[FrozenDict], str]:
        items: builtins.list[FrozenDict] = []
        continue_token: str | None = None
        while True:
            try:
                page = await self.client.list(
                    self.kind,
                    self.namespace,
                    label_selector=self.label_selector,
                    field_selector=self.field_selector,
                    limit=self.page_size,
                    continue_token=continue_token,
                    timeout=self.list_timeout,
                    metadata_only=self.metadata_only,
                )
            except Gone:
                if continue_token is None:
                    raise
                # The continue token expired mid-list: list everything in one go instead (as client-go).
                page = await self.client.list(
                    self.kind,
                    self.namespace,
                    label_selector=self.label_selector,
                    field_selector=self.field_selector,
                    timeout=self.list_timeout,
                    metadata_only=self.metadata_only,
                )
                return [self._ingest(i) for i in page.items], page.resource_version
            items.extend(self._ingest(i) for i in page.items)
            if not page.continue_token:
                return items, page.resource_version
            continue_token = page.continue_token

    async def _list_and_replace(self) -> None:
        self.lists += 1
        items, rv = await self._list_pages()
        delta = self.store.replace(items)
        self.last_resource_version = rv
        self._synced.set()
        self._emit_delta(delta)

    async def _watch(self) -> None:
        self.watches += 1
        low, high = self.watch_timeout
        async with self.client.watch(
            self.kind,
            self.namespace,
            resource_version=self.last_resource_version,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            allow_bookmarks=True,
            timeout_seconds=random.randint(low, high),
            metadata_only=self.metadata_only,
        ) as stream:
            async for event in stream:
                rv = resource_version(event.object)
                if event.type == "BOOKMARK":
                    if rv:
                        self.last_resource_version = rv
                    continue
                obj = self._ingest(event.object)
                if event.type in ("ADDED", "MODIFIED"):
                    old = self.store.upsert(obj)
                    if old is None:
                        self._emit("on_add", obj)
                    else:
                        self._emit("on_update", old, obj)
                elif event.type == "DELETED":
                    gone = self.store.remove(object_key(obj))
                    if gone is not None:
                        self._emit("on_delete", obj)
                if rv:
                    self.last_resource_version = rv
                # A watch that delivers events is healthy: later failures start from a short backoff.
                self._backoff.reset()

    async def _resync_loop(self) -> None:
        assert self.resync_period
        await self._synced.wait()
        while True:
            await asyncio.sleep(self.resync_period)
            for obj in self.store.list():
                self._emit("on_update", obj, obj)

    # -- handler fan-out -------------------------------------------------------------------------------

    def _emit_delta(self, delta: Delta) -> None:
        for obj in delta.deleted:
            self._emit("on_delete", obj)
        for obj in delta.added:
            self._emit("on_add", obj)
        for old, new in delta.updated:
            self._emit("on_update", old, new)

    def _emit(self, method: str, *args: FrozenDict) -> None:
        for handler in list(self._handlers):
            self._call(getattr(handler, method), *args)

    def _call(self, fn: Callable[..., Any], *args: FrozenDict) -> None:
        try:
            fn(*args)
        except Exception:
            # One broken handler must not stop the informer or starve the other handlers.
            self._log.exception("event_handler_failed", handler=getattr(fn, "__qualname__", repr(fn)))
