"""GVK/GVR identities and discovery parsing."""

from __future__ import annotations

from typing import Any

import pytest

from eno.runtime.errors import NotFound, UnknownKind
from eno.runtime.gvk import GVK, GVR
from eno.runtime.restmapper import RESTMapper, discovery_path, parse_resource_list


@pytest.mark.parametrize(
    ("api_version", "kind", "gvk"),
    [
        ("v1", "ConfigMap", GVK("", "v1", "ConfigMap")),
        ("apps/v1", "Deployment", GVK("apps", "v1", "Deployment")),
        ("eno.azure.io/v1", "Composition", GVK("eno.azure.io", "v1", "Composition")),
    ],
    ids=["core", "apps", "crd"],
)
def test_api_version_round_trip(api_version, kind, gvk):
    assert GVK.from_api_version(api_version, kind) == gvk
    assert gvk.api_version == api_version
    assert GVK.of({"apiVersion": api_version, "kind": kind}) == gvk


def test_discovery_paths():
    assert discovery_path("", "v1") == "/api/v1"
    assert discovery_path("apps", "v1") == "/apis/apps/v1"


DOC: dict[str, Any] = {
    "kind": "APIResourceList",
    "groupVersion": "v1",
    "resources": [
        {"name": "pods", "kind": "Pod", "namespaced": True, "verbs": ["get", "list"]},
        {"name": "pods/status", "kind": "Pod", "namespaced": True, "verbs": ["get", "patch"]},
        {"name": "namespaces", "kind": "Namespace", "namespaced": False, "verbs": ["get"]},
    ],
}


def test_parse_resource_list_attaches_subresources():
    mappings = parse_resource_list("", "v1", DOC)
    assert set(mappings) == {"Pod", "Namespace"}
    assert mappings["Pod"].gvr == GVR("", "v1", "pods")
    assert mappings["Pod"].namespaced
    assert mappings["Pod"].subresources == {"status"}
    assert not mappings["Namespace"].namespaced


async def test_unknown_kind_refetches_its_group_version_once_then_fails():
    fetched: list[str] = []
    served: dict[str, dict[str, object]] = {"/api/v1": {"resources": []}}

    async def fetch(path: str) -> dict[str, object]:
        fetched.append(path)
        if path not in served:
            raise NotFound(404, "NotFound")
        return served[path]

    mapper = RESTMapper(fetch)
    with pytest.raises(UnknownKind):
        await mapper.mapping(GVK("", "v1", "Pod"))
    served["/api/v1"] = DOC  # the kind appears later (a CRD installed after start)
    assert (await mapper.mapping(GVK("", "v1", "Pod"))).gvr.resource == "pods"
    assert (await mapper.mapping(GVK("", "v1", "Pod"))).gvr.resource == "pods"
    assert fetched == ["/api/v1", "/api/v1"]
    with pytest.raises(UnknownKind):
        await mapper.mapping(GVK("nope.io", "v1", "Thing"))
    assert await mapper.kind_for(GVR("", "v1", "namespaces")) == GVK("", "v1", "Namespace")
