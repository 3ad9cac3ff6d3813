"""Fault injection for tests: failed answers, latency, cut watch streams and history compaction.

A test scopes a fault by verb/group/resource/namespace/name/subresource and bounds it in count:

    srv.faults.add(verb="update", resource="configmaps", status=409, times=2)
    srv.faults.add(verb="list", status=429, retry_after=1)
    srv.faults.add(verb="get", resource="pods", latency=0.5, times=None)   # until removed
    srv.faults.add(verb="watch", resource="configmaps", cut_after=0.2)     # drop the stream mid-way
    srv.faults.add(verb="watch", compact=True)      # the next watch from an old revision gets 410
    srv.faults.cut_watches(resource="configmaps")   # close open watch connections now
    srv.faults.compact()                             # drop the event history up to now

Faults apply to resource requests only (never /version, discovery or /openapi), so clients keep their
footing. The first matching fault that still has budget applies; its `hits` count what it did. Failed
answers carry a proper Status body (and Retry-After for 429, or when `retry_after` is set), as
kube-apiserver's own would, so clients take their real error paths.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import attrs
from aiohttp import web

from eno.apiserver import errors
from eno.apiserver.requestinfo import RequestInfo, parse_request

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

FAULT_STATUSES = (409, 429, 500, 503)


class Compactable(Protocol):
    """The part of the store faults need: dropping event history so old watches get 410 Gone."""

    def compact(self, revision: int | None = None) -> None: ...


@attrs.define(eq=False)
class Fault:
    """One injected fault. Scope fields left None match anything; `times` None means until removed."""

    verb: str | None = None
    group: str | None = None
    resource: str | None = None
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None
    # Answer with this status (409, 429, 500, 503, or any other code) instead of serving the request.
    status: int | None = None
    retry_after: int | None = None
    message: str = ""
    # Seconds to wait before serving (or failing) the request.
    latency: float = 0.0
    # Watches: close the connection abruptly this many seconds after the stream opens.
    cut_after: float | None = None
    # Compact the store's event history before serving, so a watch from an older revision gets 410.
    compact: bool = False
    times: int | None = 1
    # Let this many matching requests through untouched before the fault starts to apply.
    skip: int = 0
    hits: int = 0

    def matches(self, ri: RequestInfo) -> bool:
        scope = (
            (self.verb, ri.verb),
            (self.group, ri.group),
            (self.resource, ri.resource),
            (self.namespace, ri.namespace),
            (self.name, ri.name),
            (self.subresource, ri.subresource),
        )
        return all(want is None or want == got for want, got in scope)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times


def fault_error(fault: Fault, ri: RequestInfo) -> errors.ApiError:
    """The Status kube-apiserver would send for this code, worded as its own errors are."""
    code = fault.status or 500
    message = fault.message
    if code == 409:
        err = errors.conflict(ri.group, ri.resource, ri.name, message or errors.STALE_MESSAGE)
    elif code == 429:
        err = errors.too_many_requests(fault.retry_after or 1, message)
    elif code == 500:
        err = errors.internal(message or "injected fault")
    elif code == 503:
        err = errors.service_unavailable(message or "the server is currently unable to handle the request")
    elif code == 404:
        err = errors.not_found(ri.group, ri.resource, ri.name)
    elif code == 410:
        err = errors.expired(message or "injected fault: resource version expired")
    else:
        err = errors.ApiError(code, "", message or f"injected fault {code}")
    if fault.retry_after is not None and code != 429:
        err.details = {**(err.details or {}), "retryAfterSeconds": fault.retry_after}
    return err


def error_response(err: errors.ApiError) -> web.Response:
    response = web.Response(
        body=json.dumps(err.status_body()).encode(), status=err.code, content_type="application/json"
    )
    retry = (err.details or {}).get("retryAfterSeconds")
    if retry:
        response.headers["Retry-After"] = str(retry)
    return response


@attrs.define(eq=False)
class _OpenWatch:
    info: RequestInfo
    request: web.Request


class Faults:
    """The server's fault injector: rules plus the open watch streams they (or a test) may cut."""

    def __init__(self, store: Compactable | None = None) -> None:
        self._store = store
        self.rules: list[Fault] = []
        self._watches: set[_OpenWatch] = set()

    def add(self, **scope: Any) -> Fault:
        """Add a fault (see `Fault` for the fields) and return it, so a test can read `hits` or remove it."""
        fault = Fault(**scope)
        if fault.status is None and not fault.latency and fault.cut_after is None and not fault.compact:
            raise ValueError("a fault needs a status, latency, cut_after or compact")
        self.rules.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        if fault in self.rules:
            self.rules.remove(fault)

    def clear(self) -> None:
        self.rules.clear()

    def take(self, ri: RequestInfo) -> Fault | None:
        """The fault this request gets, consuming one use of it; None serves the request normally."""
        if not ri.is_resource:
            return None
        for fault in self.rules:
            if fault.exhausted or not fault.matches(ri):
                continue
            if fault.skip > 0:
                fault.skip -= 1
                return None
            fault.hits += 1
            return fault
        return None

    @property
    def open_watches(self) -> int:
        return len(self._watches)

    def cut_watches(
        self, *, group: str | None = None, resource: str | None = None, namespace: str | None = None
    ) -> int:
        """Close matching open watch connections abruptly (no final chunk); return how many were cut."""
        scope = Fault(group=group, resource=resource, namespace=namespace)
        cut = 0
        for watch in list(self._watches):
            if scope.matches(watch.info):
                cut += _cut(watch.request)
                self._watches.discard(watch)
        return cut

    def compact(self, revision: int | None = None) -> None:
        """Drop the event history up to `revision` (default: now): watches from before it get 410 Gone."""
        if self._store is None:
            raise RuntimeError("no store to compact")
        self._store.compact(revision)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        ri = parse_request(request.method, request.path, request.query)
        fault = self.take(ri) if self.rules else None
        if fault is not None:
            if fault.latency:
                await asyncio.sleep(fault.latency)
            if fault.compact:
                self.compact()
            if fault.status is not None:
                return error_response(fault_error(fault, ri))
        if ri.verb != "watch":
            return await handler(request)
        watch = _OpenWatch(ri, request)
        self._watches.add(watch)
        timer: asyncio.TimerHandle | None = None
        if fault is not None and fault.cut_after is not None:
            timer = asyncio.get_running_loop().call_later(fault.cut_after, _cut, request)
        try:
            return await handler(request)
        finally:
            self._watches.discard(watch)
            if timer is not None:
                timer.cancel()


def _cut(request: web.Request) -> bool:
    transport = request.transport
    if transport is None or transport.is_closing():
        return False
    # abort(), not close(): close() would flush what is buffered, and a cut stream must look like a
    # dropped connection to the client, not a clean end.
    abort = getattr(transport, "abort", None)
    if abort is not None:
        abort()
    else:
        transport.close()
    return True
