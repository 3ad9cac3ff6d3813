"""An async client for any kind, over kubernetes-asyncio's transport.

Every request goes through one generic path (`Client.request`): an explicit URL built from the REST mapper,
an explicit Content-Type and Accept, and an explicit status check mapped to `eno.runtime.errors`. This
sidesteps the traps of kubernetes-asyncio 36's higher-level APIs: its DynamicClient does not raise on HTTP
errors, typed `patch_*` choose a patch content type by themselves, `CustomObjectsApi.patch_*` sends a dict as
a JSON patch, and `Watch` retries a 410 with the stale resourceVersion. What we keep from it is configuration
loading (kubeconfig, in-cluster, exec/token refresh), TLS, auth headers and its aiohttp session.
See docs/decisions/0520-runtime-client-and-cache.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import weakref
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any, Generic, Literal, Self, TypeVar, cast, overload
from urllib.parse import quote, urlsplit

import aiohttp
import attrs
import structlog
from kubernetes_asyncio import client as k8s_client
from kubernetes_asyncio import config as k8s_config
from prometheus_client import CollectorRegistry, Counter

from eno.runtime.errors import ApiError, ChaosError, Disconnected, Timeout, TooManyRequests, from_status
from eno.runtime.flowcontrol import TokenBucket
from eno.runtime.gvk import GVK, KubeObject, Unstructured, gvk_of_type
from eno.runtime.restmapper import RESTMapper, RESTMapping

log = structlog.get_logger(__name__)

T = TypeVar("T", bound=KubeObject)
Item = TypeVar("Item")

PatchType = Literal["merge", "json", "strategic", "apply"]

PATCH_CONTENT_TYPES: dict[str, str] = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}

# controller-runtime's defaults are client-go's 5/10; Eno raises them with --qps/--burst (20/50).
USER_AGENT = "eno-runtime/0.1"
DEFAULT_QPS = 20.0
DEFAULT_BURST = 50

# Metadata-only reads (client-go's metadata client): the server answers meta.k8s.io PartialObjectMetadata
# (a list: PartialObjectMetadataList; watch events carry PartialObjectMetadata), so no spec, data or status
# crosses the wire.
JSON = "application/json"
METADATA_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"


_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_REQUEST_COUNTERS: weakref.WeakKeyDictionary[CollectorRegistry, Counter] = weakref.WeakKeyDictionary()


def rest_client_requests(registry: CollectorRegistry) -> Counter:
    """client-go's `rest_client_requests_total{code,method,host}`, once per registry."""
    counter = _REQUEST_COUNTERS.get(registry)
    if counter is None:
        counter = Counter(
            "rest_client_requests",
            "Number of HTTP requests, partitioned by status code, method, and host.",
            ["code", "method", "host"],
            registry=registry,
        )
        _REQUEST_COUNTERS[registry] = counter
    return counter


@attrs.frozen
class ObjectList(Generic[Item]):
    """One page of a list: its items and the collection's resourceVersion (to start a watch from)."""

    items: list[Item]
    resource_version: str
    continue_token: str | None = None

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@attrs.frozen
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK
    object: Unstructured


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Client:
    """CRUD, patch and watch for any kind, with plain dicts or typed objects.

    Build it inside the running event loop (`await Client.from_kubeconfig(...)`, or `Client(api_client)`
    from an `ApiClient` you built there) and close it (`async with` or `await close()`): the aiohttp
    session behind it belongs to the loop that created it.
    """

    def __init__(
        self,
        api_client: k8s_client.ApiClient,
        *,
        qps: float = DEFAULT_QPS,
        burst: int = DEFAULT_BURST,
        field_manager: str | None = None,
        request_timeout: float = 30.0,
        max_throttle_retries: int = 3,
        max_retry_after: float = 30.0,
        rest_mapper: RESTMapper | None = None,
        registry: CollectorRegistry | None = None,
        chaos_ratio: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "build eno.runtime.client.Client inside a running event loop: its HTTP session is bound to it"
            ) from None
        self.api_client = api_client
        if (api_client.user_agent or "").startswith("OpenAPI-Generator"):
            # Name ourselves in the server's request log (benchmarks count requests per client).
            api_client.user_agent = USER_AGENT
        self.field_manager = field_manager
        self.request_timeout = request_timeout
        self.max_throttle_retries = max_throttle_retries
        self.max_retry_after = max_retry_after
        self.throttle = TokenBucket(qps, burst)
        self.rest_mapper = rest_mapper or RESTMapper(self._discovery_get)
        self.requests_sent = 0
        self._requests_metric = rest_client_requests(registry) if registry is not None else None
        self._host = urlsplit(str(api_client.configuration.host)).netloc
        # Eno's CHAOS_RATIO testing aid: writes fail with this probability before reaching the server.
        self.chaos_ratio = chaos_ratio
        self._rng = rng or random.Random()
        self._closed = False

    # -- construction and lifetime ---------------------------------------------------------------------

    @classmethod
    async def from_kubeconfig(
        cls, path: str | None = None, context: str | None = None, **options: Any
    ) -> Client:
        configuration = k8s_client.Configuration()
        await k8s_config.load_kube_config(
            config_file=path, context=context, client_configuration=configuration, persist_config=False
        )
        return cls(k8s_client.ApiClient(configuration), **options)

    @classmethod
    async def from_default_config(cls, **options: Any) -> Client:
        """controller-runtime's order: $KUBECONFIG, else in-cluster service account, else ~/.kube/config."""
        kubeconfig = os.environ.get("KUBECONFIG", "")
        if kubeconfig:
            # kubectl's list syntax: the first file is the one we read.
            return await cls.from_kubeconfig(kubeconfig.split(os.pathsep)[0], **options)
        if os.environ.get("KUBERNETES_SERVICE_HOST"):
            configuration = k8s_client.Configuration()
            k8s_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
            return cls(k8s_client.ApiClient(configuration), **options)
        return await cls.from_kubeconfig(None, **options)  # kubernetes-asyncio's default: ~/.kube/config

    @classmethod
    async def from_url(cls, url: str, token: str | None = None, **options: Any) -> Client:
        """A client for a plain-HTTP(S) server URL, optionally with a bearer token (tests, local servers)."""
        configuration = k8s_client.Configuration(host=url.rstrip("/"))
        if token:
            configuration.api_key = {"BearerToken": token}
            configuration.api_key_prefix = {"BearerToken": "Bearer"}
        return cls(k8s_client.ApiClient(configuration), **options)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self.api_client.close()

    @property
    def closed(self) -> bool:
        return self._closed

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- the generic request path ----------------------------------------------------------------------

    async def _open(
        self,
        method: str,
        path: str,
        query: Mapping[str, object] | None,
        body: Any,
        content_type: str | None,
        timeout: aiohttp.ClientTimeout,
        accept: str = JSON,
    ) -> aiohttp.ClientResponse:
        """Send one request (throttled, with auth); return the unread response, errors not yet checked."""
        headers: dict[str, str] = dict(self.api_client.default_headers)
        headers["Accept"] = accept
        headers["Content-Type"] = content_type or "application/json"
        params = [(k, _query_value(v)) for k, v in (query or {}).items() if v is not None]
        await self.api_client.update_params_for_auth(headers, params, ["BearerToken"])
        url = str(self.api_client.configuration.host) + path
        if self.chaos_ratio and method in _WRITE_METHODS and self._rng.random() < self.chaos_ratio:
            raise ChaosError(0, "Chaos", "chaos!")
        await self.throttle.acquire()
        self.requests_sent += 1
        try:
            response: aiohttp.ClientResponse = await self.api_client.rest_client.request(
                method,
                url,
                query_params=dict(params),
                headers=headers,
                body=body,
                _preload_content=False,
                _request_timeout=timeout,
            )
        except TimeoutError as err:
            self._count(method, "<error>")
            raise Timeout(0, "ClientTimeout", f"{method} {path}: no answer in time") from err
        except aiohttp.ClientError as err:
            self._count(method, "<error>")
            raise Disconnected(0, "ConnectionError", f"{method} {path}: {err}") from err
        self._count(method, str(response.status))
        return response

    def instrument(self, registry: CollectorRegistry) -> None:
        """Count this client's requests (`rest_client_requests_total`) on `registry`, e.g. a manager's."""
        self._requests_metric = rest_client_requests(registry)

    def _count(self, method: str, code: str) -> None:
        if self._requests_metric is not None:
            self._requests_metric.labels(code=code, method=method, host=self._host).inc()

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, object] | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: float | None = None,
        accept: str = JSON,
    ) -> Any:
        """One API call: returns the decoded JSON answer, raises `ApiError` subclasses on failure.

        A 429 carrying Retry-After is retried after that delay (capped), like client-go does.
        """
        client_timeout = aiohttp.ClientTimeout(total=timeout or self.request_timeout)
        attempt = 0
        while True:
            response = await self._open(method, path, query, body, content_type, client_timeout, accept)
            try:
                data = await response.read()
            except TimeoutError as err:
                raise Timeout(0, "ClientTimeout", f"{method} {path}: no answer in time") from err
            except aiohttp.ClientError as err:
                raise Disconnected(0, "ConnectionError", f"{method} {path}: {err}") from err
            finally:
                response.release()
            if 200 <= response.status < 300:
                return json.loads(data) if data else None
            retry_after = _retry_after(response.headers.get("Retry-After"))
            error = from_status(response.status, data, retry_after=retry_after)
            if (
                isinstance(error, TooManyRequests)
                and retry_after is not None
                and attempt < self.max_throttle_retries
            ):
                attempt += 1
                log.debug("throttled_by_server", path=path, retry_after=retry_after, attempt=attempt)
                await asyncio.sleep(min(retry_after, self.max_retry_after))
                continue
            raise error

    async def _discovery_get(self, path: str) -> dict[str, Any]:
        return cast(dict[str, Any], await self.request("GET", path))

    # -- addressing ------------------------------------------------------------------------------------

    async def mapping(self, kind: GVK | type[KubeObject]) -> RESTMapping:
        gvk = kind if isinstance(kind, GVK) else gvk_of_type(kind)
        return await self.rest_mapper.mapping(gvk)

    @staticmethod
    def _path(
        mapping: RESTMapping,
        namespace: str | None,
        name: str | None = None,
        subresource: str | None = None,
    ) -> str:
        gvr = mapping.gvr
        parts = ["/api/" + gvr.version if gvr.group == "" else f"/apis/{gvr.group}/{gvr.version}"]
        if mapping.namespaced and namespace:
            parts.append("/namespaces/" + quote(namespace, safe=""))
        parts.append("/" + gvr.resource)
        if name is not None:
            if not name:
                raise ValueError(f"{mapping.gvk.kind}: an empty name addresses nothing")
            parts.append("/" + quote(name, safe=""))
        if subresource:
            parts.append("/" + subresource)
        return "".join(parts)

    @staticmethod
    def _require_namespace(mapping: RESTMapping, namespace: str | None) -> None:
        if mapping.namespaced and not namespace:
            raise ValueError(f"{mapping.gvk.kind} is namespaced: give a namespace")

    @staticmethod
    def _write_query(
        dry_run: bool, field_manager: str | None, extra: Mapping[str, object] | None = None
    ) -> dict[str, object]:
        query: dict[str, object] = {}
        if dry_run:
            query["dryRun"] = "All"
        if field_manager:
            query["fieldManager"] = field_manager
        query.update(extra or {})
        return query

    # -- reads -----------------------------------------------------------------------------------------

    @overload
    async def get(
        self, kind: type[T], name: str, namespace: str | None = None, *, metadata_only: Literal[False] = False
    ) -> T: ...
    @overload
    async def get(
        self, kind: GVK, name: str, namespace: str | None = None, *, metadata_only: bool = False
    ) -> Unstructured: ...
    @overload
    async def get(
        self, kind: type[T], name: str, namespace: str | None = None, *, metadata_only: Literal[True]
    ) -> Unstructured: ...
    async def get(
        self, kind: GVK | type[T], name: str, namespace: str | None = None, *, metadata_only: bool = False
    ) -> Unstructured | T:
        """The object; with `metadata_only`, a PartialObjectMetadata dict (apiVersion, kind, metadata)."""
        mapping = await self.mapping(kind)
        self._require_namespace(mapping, namespace)
        accept = METADATA_ACCEPT if metadata_only else JSON
        data = await self.request("GET", self._path(mapping, namespace, name), accept=accept)
        return data if metadata_only else _as(kind, data)

    @overload
    async def list(
        self,
        kind: type[T],
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
        timeout: float | None = None,
        *,
        metadata_only: Literal[False] = False,
    ) -> ObjectList[T]: ...
    @overload
    async def list(
        self,
        kind: GVK,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
        timeout: float | None = None,
        *,
        metadata_only: bool = False,
    ) -> ObjectList[Unstructured]: ...
    @overload
    async def list(
        self,
        kind: type[T],
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
        timeout: float | None = None,
        *,
        metadata_only: Literal[True],
    ) -> ObjectList[Unstructured]: ...
    async def list(
        self,
        kind: GVK | type[T],
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
        resource_version: str | None = None,
        timeout: float | None = None,
        *,
        metadata_only: bool = False,
    ) -> ObjectList[Unstructured] | ObjectList[T]:
        """One page (all of it without `limit`); `namespace=None` lists across namespaces.

        `timeout` overrides the client's request timeout (a large unpaged list can take a while).

        Items carry apiVersion and kind (the server omits them inside lists). With `metadata_only` the
        server sends a PartialObjectMetadataList: items are PartialObjectMetadata dicts, whatever `kind`."""
        mapping = await self.mapping(kind)
        query = {
            "labelSelector": label_selector or None,
            "fieldSelector": field_selector or None,
            "limit": limit,
            "continue": continue_token or None,
            "resourceVersion": resource_version,
        }
        accept = METADATA_LIST_ACCEPT if metadata_only else JSON
        data = await self.request(
            "GET", self._path(mapping, namespace), query=query, timeout=timeout, accept=accept
        )
        meta = data.get("metadata") or {}
        items: list[Unstructured] = data.get("items") or []
        for item in items:
            item.setdefault("apiVersion", mapping.gvk.api_version)
            item.setdefault("kind", mapping.gvk.kind)
        page: ObjectList[Any] = ObjectList(
            items=items if metadata_only or isinstance(kind, GVK) else [kind.from_dict(i) for i in items],
            resource_version=str(meta.get("resourceVersion") or ""),
            continue_token=meta.get("continue") or None,
        )
        return page

    # -- writes ----------------------------------------------------------------------------------------

    @overload
    async def create(self, obj: T, *, dry_run: bool = False, field_manager: str | None = None) -> T: ...
    @overload
    async def create(
        self, obj: Unstructured, *, dry_run: bool = False, field_manager: str | None = None
    ) -> Unstructured: ...
    async def create(
        self, obj: Unstructured | T, *, dry_run: bool = False, field_manager: str | None = None
    ) -> Unstructured | T:
        kind, body = _unpack(obj)
        mapping = await self.rest_mapper.mapping(kind)
        namespace = _meta(body).get("namespace")
        self._require_namespace(mapping, namespace)
        data = await self.request(
            "POST",
            self._path(mapping, namespace),
            query=self._write_query(dry_run, field_manager or self.field_manager),
            body=body,
        )
        return _like(obj, data)

    async def _put(
        self, obj: Unstructured | T, subresource: str | None, dry_run: bool, field_manager: str | None
    ) -> Unstructured | T:
        kind, body = _unpack(obj)
        mapping = await self.rest_mapper.mapping(kind)
        meta = _meta(body)
        namespace = meta.get("namespace")
        self._require_namespace(mapping, namespace)
        data = await self.request(
            "PUT",
            self._path(mapping, namespace, str(meta.get("name", "")), subresource),
            query=self._write_query(dry_run, field_manager or self.field_manager),
            body=body,
        )
        return _like(obj, data)

    @overload
    async def update(self, obj: T, *, dry_run: bool = False, field_manager: str | None = None) -> T: ...
    @overload
    async def update(
        self, obj: Unstructured, *, dry_run: bool = False, field_manager: str | None = None
    ) -> Unstructured: ...
    async def update(
        self, obj: Unstructured | T, *, dry_run: bool = False, field_manager: str | None = None
    ) -> Unstructured | T:
        """Replace the object; its metadata.resourceVersion makes this a compare-and-swap (409 Conflict)."""
        return await self._put(obj, None, dry_run, field_manager)

    @overload
    async def update_status(
        self, obj: T, *, dry_run: bool = False, field_manager: str | None = None
    ) -> T: ...
    @overload
    async def update_status(
        self, obj: Unstructured, *, dry_run: bool = False, field_manager: str | None = None
    ) -> Unstructured: ...
    async def update_status(
        self, obj: Unstructured | T, *, dry_run: bool = False, field_manager: str | None = None
    ) -> Unstructured | T:
        return await self._put(obj, "status", dry_run, field_manager)

    @overload
    async def patch(
        self,
        kind_or_obj: type[T] | T,
        name: str | None = None,
        namespace: str | None = None,
        patch: Any = None,
        patch_type: PatchType = "merge",
        *,
        field_manager: str | None = None,
        force: bool = False,
        dry_run: bool = False,
        subresource: str | None = None,
    ) -> T: ...
    @overload
    async def patch(
        self,
        kind_or_obj: GVK | Unstructured,
        name: str | None = None,
        namespace: str | None = None,
        patch: Any = None,
        patch_type: PatchType = "merge",
        *,
        field_manager: str | None = None,
        force: bool = False,
        dry_run: bool = False,
        subresource: str | None = None,
    ) -> Unstructured: ...
    async def patch(
        self,
        kind_or_obj: GVK | Unstructured | type[T] | T,
        name: str | None = None,
        namespace: str | None = None,
        patch: Any = None,
        patch_type: PatchType = "merge",
        *,
        field_manager: str | None = None,
        force: bool = False,
        dry_run: bool = False,
        subresource: str | None = None,
    ) -> Unstructured | T:
        """Patch with an explicit content type (merge, JSON patch, strategic merge, or server-side apply).

        `kind_or_obj` is a GVK or typed class (then give name and namespace), or an object whose identity
        is used. With `patch_type="apply"` and no `patch`, the object itself is the applied configuration;
        apply needs a field manager (argument or the client's) and `force` takes over conflicting fields.
        """
        if patch_type not in PATCH_CONTENT_TYPES:
            raise ValueError(f"unknown patch type {patch_type!r}")
        kind, name, namespace, body = _address(kind_or_obj, name, namespace)
        if patch is None:
            if patch_type != "apply" or body is None:
                raise ValueError("give a patch")
            patch = body
        elif isinstance(patch, KubeObject):
            patch = patch.to_dict()
        mapping = await self.rest_mapper.mapping(kind)
        self._require_namespace(mapping, namespace)
        manager = field_manager or self.field_manager
        if patch_type == "apply" and not manager:
            raise ValueError("server-side apply needs a field manager")
        extra: dict[str, object] = {"force": True} if force and patch_type == "apply" else {}
        data = await self.request(
            "PATCH",
            self._path(mapping, namespace, name, subresource),
            query=self._write_query(dry_run, manager, extra),
            body=patch,
            content_type=PATCH_CONTENT_TYPES[patch_type],
        )
        result: Unstructured | T = _result_like(kind_or_obj, data)
        return result

    @overload
    async def apply(
        self,
        obj: T,
        *,
        field_manager: str | None = None,
        force: bool = False,
        dry_run: bool = False,
        subresource: str | None = None,
    ) -> T: ...
    @overload
    async def apply(
        self,
        obj: Unstructured,
        *,
        field_manager: str | None = None,
        force: bool = False,
        dry_run: bool = False,
        subresource: str | None = None,
    ) -> Unstructured: ...
    async def apply(
        self,
        obj: Unstructured | T,
        *,
        field_manager: str | None = None,
        force: bool = False,
        dry_run: bool = False,
        subresource: str | None = None,
    ) -> Unstructured | T:
        """Server-side apply of `obj` as the applied configuration (creates it when missing)."""
        return await self.patch(
            obj,
            patch_type="apply",
            field_manager=field_manager,
            force=force,
            dry_run=dry_run,
            subresource=subresource,
        )

    async def delete(
        self,
        kind_or_obj: GVK | Unstructured | type[KubeObject] | KubeObject,
        name: str | None = None,
        namespace: str | None = None,
        *,
        preconditions: Mapping[str, str] | None = None,
        propagation_policy: Literal["Foreground", "Background", "Orphan"] | None = None,
        grace_period_seconds: int | None = None,
        dry_run: bool = False,
    ) -> None:
        """Delete by identity. `preconditions` is `{"uid": ..., "resourceVersion": ...}` (409 on mismatch)."""
        kind, name, namespace, _ = _address(kind_or_obj, name, namespace)
        mapping = await self.rest_mapper.mapping(kind)
        self._require_namespace(mapping, namespace)
        options: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if preconditions:
            options["preconditions"] = dict(preconditions)
        if propagation_policy:
            options["propagationPolicy"] = propagation_policy
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        if dry_run:
            options["dryRun"] = ["All"]
        await self.request("DELETE", self._path(mapping, namespace, name), body=options)

    # -- watch -----------------------------------------------------------------------------------------

    def watch(
        self,
        kind: GVK | type[KubeObject],
        namespace: str | None = None,
        *,
        resource_version: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        allow_bookmarks: bool = True,
        timeout_seconds: int | None = None,
        metadata_only: bool = False,
    ) -> WatchStream:
        """A stream of raw watch events (objects stay dicts), to use with `async with` / `async for`.

        The stream ends when the server closes it (its timeout); an ERROR event raises the mapped error
        (410 `Gone` when `resource_version` is too old: relist, never retry it); a dropped connection
        raises `Disconnected`. Nothing is retried here: the informer owns that policy. With
        `metadata_only`, event objects are PartialObjectMetadata dicts.
        """
        return WatchStream(
            self,
            kind,
            namespace,
            resource_version=resource_version,
            label_selector=label_selector,
            field_selector=field_selector,
            allow_bookmarks=allow_bookmarks,
            timeout_seconds=timeout_seconds,
            metadata_only=metadata_only,
        )


class WatchStream:
    def __init__(
        self,
        client: Client,
        kind: GVK | type[KubeObject],
        namespace: str | None,
        *,
        resource_version: str | None,
        label_selector: str | None,
        field_selector: str | None,
        allow_bookmarks: bool,
        timeout_seconds: int | None,
        metadata_only: bool = False,
    ) -> None:
        self._client = client
        self._accept = METADATA_ACCEPT if metadata_only else JSON
        self._kind = kind
        self._namespace = namespace
        self._query: dict[str, object] = {
            "watch": True,
            "resourceVersion": resource_version or None,
            "labelSelector": label_selector or None,
            "fieldSelector": field_selector or None,
            "allowWatchBookmarks": True if allow_bookmarks else None,
            "timeoutSeconds": timeout_seconds,
        }
        # Without a server-side timeout, a silent dead connection would hang forever: bound the silence.
        read_limit = (timeout_seconds or 300) + 30
        self._timeout = aiohttp.ClientTimeout(sock_connect=client.request_timeout, sock_read=read_limit)
        self._response: aiohttp.ClientResponse | None = None
        self._events: AsyncIterator[WatchEvent] | None = None
        self._closed = False

    async def open(self) -> None:
        mapping = await self._client.mapping(self._kind)
        path = Client._path(mapping, self._namespace)
        response = await self._client._open("GET", path, self._query, None, None, self._timeout, self._accept)
        if not 200 <= response.status < 300:
            try:
                data = await response.read()
            finally:
                response.release()
            raise from_status(response.status, data, _retry_after(response.headers.get("Retry-After")))
        self._response = response
        self._events = self._decode(response)

    async def _decode(self, response: aiohttp.ClientResponse) -> AsyncIterator[WatchEvent]:
        # One JSON event per line; an event can be far larger than one chunk (no line-length limit here).
        pending = bytearray()
        try:
            async for chunk in response.content.iter_any():
                start = 0
                while (newline := chunk.find(b"\n", start)) != -1:
                    if pending:
                        pending += chunk[start:newline]
                        line = bytes(pending)
                        pending.clear()
                    else:
                        line = chunk[start:newline]
                    start = newline + 1
                    if line.strip():
                        yield _watch_event(line)
                pending += chunk[start:]
        except TimeoutError as err:
            raise Timeout(0, "ClientTimeout", "watch: the server went silent") from err
        except aiohttp.ClientError as err:
            raise Disconnected(0, "ConnectionError", f"watch: {err}") from err
        if bytes(pending).strip():
            yield _watch_event(bytes(pending))

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> WatchEvent:
        if self._closed:
            raise StopAsyncIteration
        if self._events is None:
            await self.open()
        assert self._events is not None
        try:
            return await anext(self._events)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        self._closed = True
        if self._response is not None:
            # close, not release: releasing would try to drain an endless stream.
            self._response.close()
            self._response = None

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _watch_event(line: bytes) -> WatchEvent:
    try:
        event = json.loads(line)
    except ValueError as err:
        raise ApiError(0, "BadWatchEvent", f"undecodable watch line: {line[:200]!r}") from err
    event_type = str(event.get("type", ""))
    obj = event.get("object")
    if event_type == "ERROR":
        status = obj if isinstance(obj, dict) else {}
        raise from_status(int(status.get("code") or 500), status)
    if not isinstance(obj, dict):
        raise ApiError(0, "BadWatchEvent", f"watch event without an object: {line[:200]!r}")
    return WatchEvent(event_type, obj)


# -- typed / unstructured conversion -------------------------------------------------------------------


def _meta(body: Unstructured) -> dict[str, Any]:
    meta = body.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _unpack(obj: Unstructured | KubeObject) -> tuple[GVK, Unstructured]:
    if isinstance(obj, dict):
        gvk = GVK.of(obj)
        if not gvk.version or not gvk.kind:
            raise ValueError("an unstructured object needs apiVersion and kind")
        return gvk, obj
    return gvk_of_type(type(obj)), obj.to_dict()


def _address(
    kind_or_obj: GVK | Unstructured | type[KubeObject] | KubeObject, name: str | None, namespace: str | None
) -> tuple[GVK, str, str | None, Unstructured | None]:
    body: Unstructured | None = None
    if isinstance(kind_or_obj, GVK):
        gvk = kind_or_obj
    elif isinstance(kind_or_obj, type):
        gvk = gvk_of_type(kind_or_obj)
    else:
        gvk, body = _unpack(kind_or_obj)
        meta = _meta(body)
        name = name or meta.get("name")
        namespace = namespace or meta.get("namespace")
    if not name:
        raise ValueError(f"{gvk.kind}: give a name")
    return gvk, name, namespace, body


def _as(kind: GVK | type[T], data: Unstructured) -> Unstructured | T:
    return data if isinstance(kind, GVK) else kind.from_dict(data)


def _like(obj: Unstructured | T, data: Unstructured) -> Unstructured | T:
    return data if isinstance(obj, dict) else type(obj).from_dict(data)


def _result_like(kind_or_obj: object, data: Unstructured) -> Any:
    if isinstance(kind_or_obj, GVK | dict):
        return data
    if isinstance(kind_or_obj, type):
        return cast(type[KubeObject], kind_or_obj).from_dict(data)
    return type(cast(KubeObject, kind_or_obj)).from_dict(data)
