"""Discovery documents (/version, /api, /api/v1, /apis, /apis/{g}, /apis/{g}/{v}) built from the registry.

Clients asking for aggregated discovery (apidiscovery.k8s.io) get these legacy documents with a plain
application/json content type, which kubectl and client-go take as "not supported" and fall back from.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from eno.apiserver.registry import SUBRESOURCE_VERBS, Registry, ResourceInfo

Obj = dict[str, Any]

VERSION_INFO: Obj = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0-eno",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.22.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def api_versions(server_address: str) -> Obj:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_doc(name: str, versions: list[str]) -> Obj:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(registry: Registry) -> Obj:
    groups = registry.groups()
    # Built-in groups first in a stable order, then custom groups by name, as kube lists them.
    builtin = [g for g in groups if g and any(i.builtin for i in _infos(registry, g))]
    custom = sorted(g for g in groups if g and g not in builtin)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_doc(g, groups[g]) for g in [*builtin, *custom]],
    }


def _infos(registry: Registry, group: str) -> list[ResourceInfo]:
    return [i for i in registry.all() if i.group == group]


def api_group(registry: Registry, group: str) -> Obj | None:
    versions = registry.groups().get(group)
    if not group or not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(group, versions)}


def _storage_hash(info: ResourceInfo) -> str:
    digest = hashlib.sha256(f"{info.group}/{info.version}/{info.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def resource_entries(info: ResourceInfo) -> list[Obj]:
    main: Obj = {
        "name": info.resource,
        "singularName": info.singular_name,
        "namespaced": info.namespaced,
        "kind": info.kind,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        main["shortNames"] = list(info.short_names)
    if info.categories:
        main["categories"] = list(info.categories)
    main["storageVersionHash"] = _storage_hash(info)
    entries = [main]
    for sub in sorted(info.subresources):
        entries.append(
            {
                "name": f"{info.resource}/{sub}",
                "singularName": "",
                "namespaced": info.namespaced,
                "kind": "Scale" if sub == "scale" else info.kind,
                "verbs": list(SUBRESOURCE_VERBS.get(sub, ("get",))),
                **({"group": "autoscaling", "version": "v1"} if sub == "scale" else {}),
            }
        )
    return entries


def api_resource_list(registry: Registry, group: str, version: str) -> Obj | None:
    infos = registry.resources(group, version)
    if not infos:
        return None
    resources: list[Obj] = []
    for info in infos:
        resources.extend(resource_entries(info))
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }
