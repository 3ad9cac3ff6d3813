"""The embedded API server: an aiohttp application over the store, started in-process or by `eno apiserver`.

async with ApiServer() as srv:
    srv.write_kubeconfig(path)   # kubectl --kubeconfig path / kubernetes-asyncio
    srv.url, srv.store, srv.request_log
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import attrs
import structlog
from aiohttp import web

from eno.apiserver import (
    builtin,
    crd,
    crud,
    customresource,
    discovery,
    errors,
    managed,
    namespace,
    negotiation,
    openapi,
    scale,
    watch,
)
from eno.apiserver.context import ApiContext
from eno.apiserver.faults import Faults
from eno.apiserver.gc import ContextExecutor, GarbageCollector
from eno.apiserver.kubeconfig import write_kubeconfig
from eno.apiserver.namespacelifecycle import NamespaceController
from eno.apiserver.negotiation import Output
from eno.apiserver.persistence import SqliteBackend
from eno.apiserver.registry import Registry, ResourceInfo
from eno.apiserver.requestinfo import RequestInfo, parse_request
from eno.apiserver.store import Key, Store
from eno.apiserver.strategy import rfc3339, utcnow

log = structlog.get_logger("eno.apiserver")

# Where the logging middleware leaves the parsed RequestInfo for the handler.
_REQUEST_INFO = web.RequestKey("eno.request_info", RequestInfo)

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


@attrs.frozen
class RequestRecord:
    """One served request, for tests and benchmarks that count API calls."""

    method: str
    path: str
    query: str
    verb: str
    group: str
    resource: str
    namespace: str
    name: str
    subresource: str
    status: int
    time: float
    duration: float
    user_agent: str


class Component(Protocol):
    """Something that runs alongside the server (the embedded kubelet)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


Handler = Callable[
    [ApiContext, web.Request, RequestInfo, ResourceInfo, Output], Awaitable[web.StreamResponse]
]

_HANDLERS: dict[str, Handler] = {
    "get": crud.get,
    "list": crud.list_,
    "watch": watch.watch,
    "create": crud.create,
    "update": crud.update,
    "patch": crud.patch_,
    "delete": crud.delete,
    "deletecollection": crud.deletecollection,
}
_SUBRESOURCE_VERBS = {
    "status": {"get", "update", "patch"},
    "finalize": {"update"},
}


class ApiServer:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        history_window: int = 10_000,
        bookmark_interval: float = 1.0,
        data_dir: str | os.PathLike[str] | None = None,
        controllers: bool = True,
        request_log_limit: int | None = None,
        history_per_key: int | None = None,
    ) -> None:
        """`data_dir` persists objects and the revision counter in SQLite; `controllers` runs the garbage
        collector and the namespace controller (as kube-controller-manager would). A long-running server
        bounds `request_log_limit` (oldest records dropped) and `history_per_key`; tests keep everything."""
        self._request_log_limit = request_log_limit
        self.host = host
        self.port = port
        self._backend = SqliteBackend.in_dir(Path(data_dir)) if data_dir is not None else None
        self.store = Store(window=history_window, backend=self._backend, history_per_key=history_per_key)
        self.registry = Registry()
        self.context = ApiContext(self.store, self.registry, bookmark_interval=bookmark_interval)
        self.request_log: list[RequestRecord] = []
        self.faults = Faults(self.store)
        self._runner: web.AppRunner | None = None
        # The request log sees what the fault injector answers.
        self.app = web.Application(
            client_max_size=negotiation.MAX_BODY_BYTES + 1,
            middlewares=[self._middleware, self.faults.middleware],
        )
        self.app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._openapi_cache: dict[tuple[int, tuple[str, ...]], Any] = {}
        self._subresource_handlers: dict[tuple[str, str, str], Handler] = {}
        self._components: list[Component] = []
        self._components_started: list[Component] = []
        self.gc: GarbageCollector | None = None
        self.namespace_controller: NamespaceController | None = None
        if controllers:
            self.gc = GarbageCollector(self.store, ContextExecutor(self.context))
            self.namespace_controller = NamespaceController(self.context, lambda: rfc3339(utcnow()))
        self._install_extensions()

    def _install_extensions(self) -> None:
        """Resource-specific behaviour: defaulting, schemas, CRD and namespace lifecycle, managedFields."""
        builtin.install(self.context)
        customresource.install(self.context)
        crd.install(self.context)
        namespace.install(self.context)
        self.context.finish_hooks.append(managed.record)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def write_kubeconfig(self, path: str | os.PathLike[str]) -> Path:
        return write_kubeconfig(path, self.url)

    async def start(self) -> None:
        crd.restore(self.context)
        await self._seed()
        if self.gc is not None:
            self.gc.start()
        if self.namespace_controller is not None:
            self.namespace_controller.start()
        for component in self._components:
            await component.start()
            self._components_started.append(component)
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        if self.port == 0 and server is not None:
            sockets = getattr(server, "sockets", None) or []
            self.port = int(sockets[0].getsockname()[1])
        log.info("apiserver_started", url=self.url)

    def add_subresource(self, group: str, resource: str, subresource: str, handler: Handler) -> None:
        """Serve `<resource>/<subresource>` (any verb) with `handler` (the kubelet's log and attach)."""
        self._subresource_handlers[(group, resource, subresource)] = handler

    def add_component(self, component: Component) -> None:
        """Run `component` with the server: started after the server is up, stopped before it goes down."""
        self._components.append(component)

    async def stop(self) -> None:
        for component in reversed(self._components_started):
            await component.stop()
        self._components_started.clear()
        self.store.close_watchers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.gc is not None:
            await self.gc.stop()
        if self.namespace_controller is not None:
            await self.namespace_controller.stop()
        if self._backend is not None:
            self._backend.close()

    async def __aenter__(self) -> ApiServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _seed(self) -> None:
        async with self.store.transaction() as txn:
            for name in DEFAULT_NAMESPACES:
                key = Key("", "namespaces", "", name)
                if txn.get(key) is None:
                    txn.put(
                        key,
                        {
                            "apiVersion": "v1",
                            "kind": "Namespace",
                            "metadata": {
                                "name": name,
                                "uid": _uid(),
                                "creationTimestamp": rfc3339(utcnow()),
                                "labels": {"kubernetes.io/metadata.name": name},
                            },
                            "spec": {"finalizers": ["kubernetes"]},
                            "status": {"phase": "Active"},
                        },
                    )

    # HTTP.

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        started = time.time()
        ri = parse_request(request.method, request.path, request.query)
        request[_REQUEST_INFO] = ri
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except errors.ApiError as err:
            status = err.code
            return _error_response(err)
        except web.HTTPException:
            raise
        except Exception as err:
            log.exception("apiserver_internal_error", path=request.path)
            api_err = errors.internal(str(err))
            status = api_err.code
            return _error_response(api_err)
        finally:
            self.request_log.append(
                RequestRecord(
                    method=request.method,
                    path=request.path,
                    query=request.query_string,
                    verb=ri.verb,
                    group=ri.group,
                    resource=ri.resource,
                    namespace=ri.namespace,
                    name=ri.name,
                    subresource=ri.subresource,
                    status=status,
                    time=started,
                    duration=time.time() - started,
                    user_agent=request.headers.get("User-Agent", ""),
                )
            )
            limit = self._request_log_limit
            if limit is not None and len(self.request_log) > limit:
                # Drop a tenth at a time so trimming stays cheap.
                del self.request_log[: len(self.request_log) - limit + limit // 10]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        ri = request.get(_REQUEST_INFO) or parse_request(request.method, request.path, request.query)
        if not ri.is_resource:
            return await self._non_resource(request)
        output = negotiation.negotiate(request.headers.get("Accept"))
        info = self.registry.get(ri.group, ri.version, ri.resource)
        if info is None:
            raise errors.ApiError(404, "NotFound", "the server could not find the requested resource")
        if ri.subresource:
            extra = self._subresource_handlers.get((info.group, info.resource, ri.subresource))
            if extra is None and ri.subresource == "scale" and "scale" in info.subresources:
                extra = scale.handle
            if extra is not None and ri.name and (ri.namespace or not info.namespaced):
                return await extra(self.context, request, ri, info, output)
            allowed = _SUBRESOURCE_VERBS.get(ri.subresource, set())
            if ri.subresource not in info.subresources or ri.verb not in allowed:
                raise errors.ApiError(404, "NotFound", "the server could not find the requested resource")
        if info.namespaced and not ri.namespace and ri.verb not in ("list", "watch", "create"):
            raise errors.ApiError(404, "NotFound", "the server could not find the requested resource")
        if not info.namespaced and ri.namespace and ri.resource != "namespaces":
            raise errors.ApiError(404, "NotFound", "the server could not find the requested resource")
        if ri.verb not in info.verbs and not ri.subresource:
            raise errors.method_not_allowed(info.group, info.resource, ri.verb)
        handler = _HANDLERS.get(ri.verb)
        if handler is None:
            raise errors.method_not_allowed(info.group, info.resource, ri.verb)
        return await handler(self.context, request, ri, info, output)

    async def _non_resource(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        if request.method not in ("GET", "HEAD"):
            raise errors.method_not_allowed("", "", request.method)
        parts = [p for p in path.split("/") if p]
        doc: Any = None
        if path in ("/healthz", "/readyz", "/livez"):
            return web.Response(text="ok", content_type="text/plain")
        if path == "/version":
            doc = discovery.VERSION_INFO
        elif path == "/api":
            doc = discovery.api_versions(f"{self.host}:{self.port}")
        elif path == "/apis":
            doc = discovery.api_group_list(self.registry)
        elif parts == ["api", "v1"]:
            doc = discovery.api_resource_list(self.registry, "", "v1")
        elif len(parts) == 2 and parts[0] == "apis":
            doc = discovery.api_group(self.registry, parts[1])
        elif len(parts) == 3 and parts[0] == "apis":
            doc = discovery.api_resource_list(self.registry, parts[1], parts[2])
        elif parts and parts[0] == "openapi":
            accept = request.headers.get("Accept", "")
            if parts[1:] == ["v2"] and "com.github.proto-openapi.spec.v2" in accept:
                # kubectl asks v2 only as protobuf; a minimal document lets it validate `kind: List` files.
                return web.Response(
                    body=openapi.openapi_v2_protobuf(), headers={"Content-Type": openapi.OPENAPI_V2_PROTOBUF}
                )
            if parts[1:] == ["v2"] and not _accepts_json(accept):
                # kubectl asks v2 for protobuf only, and falls back quietly on 406.
                raise errors.not_acceptable(["application/json"])
            doc = self._openapi(parts[1:], request)
        if doc is None:
            raise errors.ApiError(404, "NotFound", "the server could not find the requested resource")
        return crud.respond(doc, Output())

    def _openapi(self, parts: list[str], request: web.Request) -> Any:
        # Documents are rebuilt only when the registry changes (CRDs come and go).
        key = (self.registry.generation, tuple(parts))
        if key not in self._openapi_cache:
            if len(self._openapi_cache) > 64:
                self._openapi_cache.clear()
            self._openapi_cache[key] = openapi.openapi_document(self.registry.all(), parts)
        return self._openapi_cache[key]


def _error_response(err: errors.ApiError) -> web.Response:
    response = crud.respond(err.status_body(), Output(), err.code)
    retry = (err.details or {}).get("retryAfterSeconds")
    if retry:
        response.headers["Retry-After"] = str(retry)
    return response


def _accepts_json(accept: str) -> bool:
    if not accept:
        return True
    types = {r.type for r in negotiation.parse_media_ranges(accept)}
    return bool(types & {"application/json", "*/*", "application/*"})


def _uid() -> str:
    return str(uuid.uuid4())
