"""The watch handler: a chunked stream of JSON events, one per line, from the store's event history."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from eno.apiserver import errors
from eno.apiserver.context import ApiContext
from eno.apiserver.crud import parse_selectors, selection
from eno.apiserver.negotiation import Output
from eno.apiserver.output import render_object
from eno.apiserver.registry import ResourceInfo
from eno.apiserver.requestinfo import RequestInfo
from eno.apiserver.store import ADDED, DELETED, MODIFIED, CompactedError, Event

Obj = dict[str, Any]

# kube-apiserver ends a watch after a random 30-60 minutes when the client sets no timeout.
DEFAULT_TIMEOUT_SECONDS = 1800.0
# Initial events are written in chunks of about this size.
_FLUSH_BYTES = 64 * 1024
# How often an idle stream checks whether its client went away.
_POLL_SECONDS = 1.0


def classify(event: Event, matches: Any) -> str | None:
    """The event type a selective watcher sees: leaving the selection is DELETED, entering it ADDED."""
    if event.type == ADDED:
        return ADDED if matches(event.object) else None
    if event.type == DELETED:
        return DELETED if matches(event.prev) else None
    now, before = matches(event.object), matches(event.prev)
    if now and before:
        return MODIFIED
    if now:
        return ADDED
    if before:
        return DELETED
    return None


def _bookmark(info: ResourceInfo, output: Output, revision: int) -> Obj:
    if output.form == "metadata":
        kind, api_version = "PartialObjectMetadata", "meta.k8s.io/v1"
    else:
        kind, api_version = info.kind, info.api_version
    return {
        "type": "BOOKMARK",
        "object": {"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": str(revision)}},
    }


def _parse_rv(value: str) -> int | None:
    if value in ("", "0"):
        return None
    try:
        rv = int(value)
    except ValueError as err:
        raise errors.bad_request(f"resourceVersion: Invalid value: {value!r}: must be an integer") from err
    if rv < 0:
        raise errors.bad_request(f"resourceVersion: Invalid value: {value!r}: must be non-negative")
    return rv


async def watch(
    ctx: ApiContext, request: web.Request, ri: RequestInfo, info: ResourceInfo, output: Output
) -> web.StreamResponse:
    query = request.query
    labels, fields = parse_selectors(info, query, ri.name)
    matches = selection(labels, fields)
    since = _parse_rv(query.get("resourceVersion", ""))
    # The streaming list (WatchList) of client-go 1.32+: initial state as ADDED events, then a bookmark
    # annotated k8s.io/initial-events-end, at whatever revision was asked for.
    send_initial = query.get("sendInitialEvents", "").lower() in ("true", "1")
    if send_initial:
        since = None
    bookmarks = query.get("allowWatchBookmarks", "").lower() in ("true", "1")
    try:
        timeout = float(query.get("timeoutSeconds", "") or DEFAULT_TIMEOUT_SECONDS)
    except ValueError as err:
        raise errors.bad_request(f"invalid timeoutSeconds: {query.get('timeoutSeconds')}") from err
    include_object = query.get("includeObject", "Metadata")
    namespace = ri.namespace if info.namespaced and ri.namespace else None
    store = ctx.store

    # Snapshot and subscription are taken without an await between them: no event can fall in a gap.
    initial: list[Obj] = []
    gone: errors.ApiError | None = None
    watcher = None
    backlog: list[Event] = []
    try:
        watcher, backlog = store.subscribe(info.group, info.resource, namespace, since)
    except CompactedError as err:
        gone = errors.too_old_resource_version(err.requested, err.oldest)
    if since is None and watcher is not None:
        initial = [o for o in store.list(info.group, info.resource, namespace) if matches(o)]
    snapshot_revision = store.revision

    response = web.StreamResponse(status=200)
    response.content_type = "application/json"
    response.enable_chunked_encoding()
    first_table = [True]

    def render(obj: Obj) -> Obj:
        rendered = render_object(info, obj, output, ctx.table, include_object, first_table[0])
        first_table[0] = False
        return rendered

    def line(event: Obj) -> bytes:
        return json.dumps(event, separators=(",", ":")).encode() + b"\n"

    async def send(event: Obj) -> None:
        await response.write(line(event))

    cacheable = output.form != "table"

    def event_line(kind: str, event: Event) -> bytes:
        """The encoded event; the same bytes serve every watcher of this form and version."""
        if not cacheable:
            return line({"type": kind, "object": render(event.object)})
        cache_key = (event.revision, kind, info.api_version, output.form)
        cached = ctx.event_cache.get(cache_key)
        if cached is None:
            cached = line({"type": kind, "object": render(event.object)})
            ctx.remember_event(cache_key, cached)
        return cached

    try:
        await response.prepare(request)
        if gone is not None:
            await send({"type": "ERROR", "object": gone.status_body()})
            return response
        assert watcher is not None
        # The initial state and the backlog go out in large writes, not one per object.
        pending = bytearray()
        for obj in initial:
            pending += line({"type": ADDED, "object": render(obj)})
            if len(pending) >= _FLUSH_BYTES:
                await response.write(bytes(pending))
                pending.clear()
        if send_initial:
            end = _bookmark(info, output, snapshot_revision)
            end["object"]["metadata"]["annotations"] = {"k8s.io/initial-events-end": "true"}
            pending += line(end)
        for event in backlog:
            kind = classify(event, matches)
            if kind is not None:
                pending += event_line(kind, event)
                if len(pending) >= _FLUSH_BYTES:
                    await response.write(bytes(pending))
                    pending.clear()
        if pending:
            await response.write(bytes(pending))
        deadline = time.monotonic() + timeout
        last_sent = time.monotonic()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            item: Event | None
            try:
                item = watcher.queue.get_nowait()
            except asyncio.QueueEmpty:
                wait = min(remaining, _POLL_SECONDS, ctx.bookmark_interval if bookmarks else _POLL_SECONDS)
                try:
                    item = await asyncio.wait_for(watcher.queue.get(), wait)
                except TimeoutError:
                    transport = request.transport
                    if transport is None or transport.is_closing():
                        break
                    if bookmarks and time.monotonic() - last_sent >= ctx.bookmark_interval:
                        # The queue is empty: every event up to the current revision has been sent.
                        await send(_bookmark(info, output, store.revision))
                        last_sent = time.monotonic()
                    continue
            # Everything already queued goes out in one write.
            chunk = bytearray()
            closed = False
            while item is not None:
                kind = classify(item, matches)
                if kind is not None:
                    chunk += event_line(kind, item)
                try:
                    item = watcher.queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
            else:
                closed = True
            if chunk:
                await response.write(bytes(chunk))
                last_sent = time.monotonic()
            if closed:
                break
        await response.write_eof()
    except ConnectionResetError:
        return response
    finally:
        if watcher is not None:
            watcher.close()
    return response
