"""Parse a request path and method into kube's RequestInfo (verb, group, version, resource, name, ...)."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

# Namespace subresources are not namespaced resources: /api/v1/namespaces/x/status is the namespace's.
_NAMESPACE_SUBRESOURCES = {"status", "finalize"}


@attrs.frozen
class RequestInfo:
    is_resource: bool
    path: str
    verb: str
    api_prefix: str = ""
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    name: str = ""
    subresource: str = ""


def _is_watch(query: Mapping[str, str]) -> bool:
    return query.get("watch", "").lower() in ("true", "1")


def parse_request(method: str, path: str, query: Mapping[str, str]) -> RequestInfo:
    """kube's RequestInfoFactory: /api/v1/... and /apis/{group}/{version}/..., else a non-resource path."""
    parts = [p for p in path.strip("/").split("/") if p]
    method = method.upper()
    non_resource = RequestInfo(is_resource=False, path=path, verb=method.lower())
    if not parts or parts[0] not in ("api", "apis"):
        return non_resource
    prefix = parts[0]
    rest = parts[1:]
    group = ""
    if prefix == "apis":
        if len(rest) < 2:
            return non_resource
        group, rest = rest[0], rest[1:]
    if not rest:
        return non_resource
    version, rest = rest[0], rest[1:]
    if not rest:
        return non_resource

    # Legacy /watch/ prefix: GET /api/v1/watch/namespaces/x/configmaps.
    legacy_watch = False
    if rest[0] == "watch":
        legacy_watch = True
        rest = rest[1:]
        if not rest:
            return non_resource

    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if len(rest) > 3:
        return non_resource

    if legacy_watch or (method == "GET" and _is_watch(query)):
        verb = "watch"
    elif method == "GET":
        verb = "get" if name else "list"
    elif method == "POST":
        verb = "create"
    elif method == "PUT":
        verb = "update"
    elif method == "PATCH":
        verb = "patch"
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        verb = method.lower()
    return RequestInfo(
        is_resource=True,
        path=path,
        verb=verb,
        api_prefix=prefix,
        group=group,
        version=version,
        namespace=namespace,
        resource=resource,
        name=name,
        subresource=subresource,
    )
