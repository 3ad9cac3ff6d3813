"""A discovery-based REST mapper: GVK <-> resource plural and scope.

Discovery is lazy and per group/version: the first lookup of a kind fetches only its group/version's
resource list (`/api/v1` or `/apis/{group}/{version}`), and a kind that is not there triggers one refetch
of that list, so CRDs installed after start are found without a full rediscovery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from eno.runtime.errors import NotFound, UnknownKind
from eno.runtime.gvk import GVK, GVR


@attrs.frozen
class RESTMapping:
    gvk: GVK
    gvr: GVR
    namespaced: bool
    verbs: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()


# Fetch a discovery document by path; raises NotFound when the group/version is not served.
DiscoveryFetch = Callable[[str], Awaitable[dict[str, Any]]]


def discovery_path(group: str, version: str) -> str:
    return f"/api/{version}" if group == "" else f"/apis/{group}/{version}"


def parse_resource_list(group: str, version: str, doc: dict[str, Any]) -> dict[str, RESTMapping]:
    """Kind -> mapping for an APIResourceList; subresources (`pods/status`) attach to their parent."""
    by_resource: dict[str, dict[str, Any]] = {}
    subresources: dict[str, set[str]] = {}
    for res in doc.get("resources") or []:
        name = str(res.get("name", ""))
        parent, slash, sub = name.partition("/")
        if slash:
            subresources.setdefault(parent, set()).add(sub)
        elif name:
            by_resource[name] = res
    mappings: dict[str, RESTMapping] = {}
    for name, res in by_resource.items():
        kind = str(res.get("kind", ""))
        gvk = GVK(group, version, kind)
        mappings[kind] = RESTMapping(
            gvk=gvk,
            gvr=GVR(group, version, name),
            namespaced=bool(res.get("namespaced", False)),
            verbs=tuple(res.get("verbs") or ()),
            subresources=frozenset(subresources.get(name, ())),
        )
    return mappings


class RESTMapper:
    def __init__(self, fetch: DiscoveryFetch) -> None:
        self._fetch = fetch
        self._by_gv: dict[tuple[str, str], dict[str, RESTMapping]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def _load(self, group: str, version: str, want_kind: str | None = None) -> dict[str, RESTMapping]:
        key = (group, version)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            # Another caller may have refreshed this group/version while we waited for the lock.
            known = self._by_gv.get(key)
            if known is not None and want_kind is not None and want_kind in known:
                return known
            try:
                doc = await self._fetch(discovery_path(group, version))
            except NotFound:
                doc = {}
            mappings = parse_resource_list(group, version, doc)
            self._by_gv[key] = mappings
            return mappings

    async def mapping(self, gvk: GVK) -> RESTMapping:
        """The mapping for a kind; refetches its group/version once when the kind is unknown."""
        known = self._by_gv.get((gvk.group, gvk.version))
        if known is not None and gvk.kind in known:
            return known[gvk.kind]
        fresh = await self._load(gvk.group, gvk.version, gvk.kind)
        if gvk.kind in fresh:
            return fresh[gvk.kind]
        raise UnknownKind(404, "NotFound", f"no matches for kind {gvk.kind!r} in version {gvk.api_version!r}")

    async def kind_for(self, gvr: GVR) -> GVK:
        def find(mappings: dict[str, RESTMapping] | None) -> GVK | None:
            for m in (mappings or {}).values():
                if m.gvr == gvr:
                    return m.gvk
            return None

        found = find(self._by_gv.get((gvr.group, gvr.version)))
        if found is None:
            found = find(await self._load(gvr.group, gvr.version))
        if found is None:
            raise UnknownKind(404, "NotFound", f"no matches for resource {gvr}")
        return found

    def invalidate(self, gvk: GVK | None = None) -> None:
        """Forget discovery (for one group/version, or all) so the next lookup refetches."""
        if gvk is None:
            self._by_gv.clear()
        else:
            self._by_gv.pop((gvk.group, gvk.version), None)
