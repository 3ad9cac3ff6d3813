"""Detect a symphony split across reconciler shards (design: migration.md, the ownership guard).

The ownership guard arbitrates between a symphony's compositions within one reconciler process, so a
shard must hold all of them. Namespace sharding (`--composition-namespace`) cannot split a symphony: an
ownerReference cannot cross namespaces, and the symphony controller creates its compositions in the
symphony's namespace. A label selector (`--composition-label-selector`) can, so with one this checks,
once per symphony per process and off the reconcile path, against the server (the cache is filtered by
the selector), whether every composition the symphony owns is in the shard; if not it warns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

import attrs
import structlog

from eno.api.v1 import Composition, Symphony
from eno.api.v1 import constants as c
from eno.runtime import labels
from eno.runtime.client import Client
from eno.runtime.errors import ApiError

log = structlog.get_logger(__name__)

REASON = "SymphonySplitAcrossShards"
# The symphony controller creates a symphony's compositions one at a time: the first one this shard sees
# may be there before its siblings, so the check waits this long after the first sight.
SETTLE = 5.0


@attrs.frozen
class SymphonyRef:
    namespace: str
    name: str
    uid: str


def symphony_owner(comp: Composition) -> SymphonyRef | None:
    """The Symphony (group eno.azure.io) owning `comp`, if any."""
    for ref in comp.metadata.get("ownerReferences") or ():
        if not isinstance(ref, Mapping) or ref.get("kind") != "Symphony":
            continue
        if str(ref.get("apiVersion") or "").split("/")[0] == c.GROUP and ref.get("uid"):
            return SymphonyRef(comp.namespace, str(ref.get("name") or ""), str(ref["uid"]))
    return None


def outside_shard(comps: list[Composition], owner: SymphonyRef, selector: labels.Selector) -> list[str]:
    """Names of the compositions `owner` owns that `selector` leaves out, sorted."""
    return sorted(
        comp.name
        for comp in comps
        if (found := symphony_owner(comp)) is not None
        and found.uid == owner.uid
        and not selector.matches(comp.labels)
    )


Report = Callable[[Symphony, str], Awaitable[None]]


class ShardCheck:
    """A runnable: `observe` (cheap, synchronous) queues a symphony the first time it is seen; `run`
    checks queued symphonies one at a time, so reconciling never waits on it."""

    def __init__(self, client: Client, selector: str, report: Report) -> None:
        self.client = client
        self.selector_text = selector
        self.selector = labels.parse(selector)
        self.report = report
        self._seen: set[str] = set()
        self._queue: asyncio.Queue[tuple[float, SymphonyRef]] = asyncio.Queue()

    def observe(self, comp: Composition) -> None:
        if self.selector.empty:
            return
        owner = symphony_owner(comp)
        if owner is None or owner.uid in self._seen:
            return
        self._seen.add(owner.uid)
        self._queue.put_nowait((time.monotonic() + SETTLE, owner))

    async def run(self) -> None:
        while True:
            due, owner = await self._queue.get()
            await asyncio.sleep(max(0.0, due - time.monotonic()))  # FIFO: due times only grow
            try:
                await self._check(owner)
            except ApiError as err:
                self._seen.discard(owner.uid)  # seen again later: checked again
                log.debug("shard_check_failed", symphony=owner.name, error=str(err))

    async def _check(self, owner: SymphonyRef) -> None:
        page = await self.client.list(Composition, namespace=owner.namespace)
        outside = outside_shard(list(page.items), owner, self.selector)
        if not outside:
            return
        log.warning(
            "symphony_split_across_shards",
            symphony=f"{owner.namespace}/{owner.name}",
            outside=outside,
            selector=self.selector_text,
        )
        symph = await self.client.get(Symphony, owner.name, owner.namespace)
        if symph.uid != owner.uid:
            return  # replaced since: its compositions are seen (and checked) anew
        message = (
            f"compositions {', '.join(outside)} are outside this reconciler's shard "
            f"({self.selector_text!r}): the ownership guard needs all of a symphony's compositions "
            "in one shard"
        )
        await self.report(symph, message)
