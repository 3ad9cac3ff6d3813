"""Bad input gets kube-apiserver's status code and Status reason, and changes nothing in the store."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eno.apiserver.protobuf import encode_fields
from tests.apiserver.objects import GROUP, PLURAL, configmap, raw_request, widget

CM = "/api/v1/namespaces/default/configmaps"
WIDGETS = f"/apis/{GROUP}/v1/namespaces/default/{PLURAL}"


def dumps(obj: Any) -> bytes:
    return json.dumps(obj).encode()


CASES = [
    pytest.param(
        CM,
        b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {',
        "application/json",
        400,
        "BadRequest",
        id="malformed-json",
    ),
    pytest.param(
        CM,
        b"kind: ConfigMap\nmetadata: [name: x\n",
        "application/yaml",
        400,
        "BadRequest",
        id="malformed-yaml",
    ),
    pytest.param(
        CM, dumps(configmap("a")), "text/plain", 415, "UnsupportedMediaType", id="unknown-content-type"
    ),
    pytest.param(
        CM,
        dumps(configmap("a")),
        "application/vnd.kubernetes.protobuf",
        400,
        "BadRequest",
        id="json-labelled-protobuf",
    ),
    pytest.param(
        CM,
        dumps({**configmap("a"), "kind": "Secret"}),
        "application/json",
        400,
        "BadRequest",
        id="wrong-kind",
    ),
    pytest.param(
        CM,
        dumps({**configmap("a"), "apiVersion": "apps/v1"}),
        "application/json",
        400,
        "BadRequest",
        id="wrong-api-version",
    ),
    pytest.param(
        CM, dumps(configmap("Not_A_Name")), "application/json", 422, "Invalid", id="name-not-dns1123"
    ),
    pytest.param(CM, dumps(configmap("")), "application/json", 422, "Invalid", id="name-missing"),
    pytest.param(
        CM,
        dumps(configmap("a", {"k": "x" * (3 * 1024 * 1024)})),
        "application/json",
        413,
        "RequestEntityTooLarge",
        id="body-over-3MiB",
    ),
    pytest.param(CM, b"[1, 2]", "application/json", 400, "BadRequest", id="not-an-object"),
    pytest.param(
        CM,
        dumps(configmap("a", labels={"bad key!": "v"})),
        "application/json",
        422,
        "Invalid",
        id="bad-label-key",
    ),
    pytest.param(
        WIDGETS,
        dumps({"metadata": {"name": "w"}, "spec": {"size": 1}}),
        "application/json",
        400,
        "BadRequest",
        id="custom-resource-without-kind",
    ),
    pytest.param(
        WIDGETS,
        dumps({**widget("w"), "kind": "Gadget"}),
        "application/json",
        400,
        "BadRequest",
        id="custom-resource-wrong-kind",
    ),
]


@pytest.mark.parametrize(("path", "body", "content_type", "code", "reason"), CASES)
async def test_bad_create_bodies(kube, widgets, apiserver, path, body, content_type, code, reason) -> None:
    before = apiserver.store.revision
    status, doc = await raw_request(kube, "POST", path, body, content_type)
    assert status == code
    assert doc["kind"] == "Status"
    assert doc["status"] == "Failure"
    assert doc["reason"] == reason
    assert doc["code"] == code
    assert apiserver.store.revision == before


async def test_invalid_name_cause_names_metadata_name(kube) -> None:
    status, doc = await raw_request(kube, "POST", CM, dumps(configmap("Not_A_Name")))
    assert status == 422
    assert doc["details"]["causes"][0]["field"] == "metadata.name"
    assert "RFC 1123" in doc["details"]["causes"][0]["message"]


async def test_yaml_bodies_are_accepted(kube) -> None:
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n"
    status, doc = await raw_request(kube, "POST", CM, body, "application/yaml")
    assert status == 201
    assert doc["data"] == {"k": "v"}


async def test_builtin_body_may_omit_kind(kube) -> None:
    status, doc = await raw_request(kube, "POST", CM, dumps({"metadata": {"name": "bare"}}))
    assert status == 201
    assert doc["kind"] == "ConfigMap"


async def test_namespace_mismatch_is_400(kube) -> None:
    status, doc = await raw_request(kube, "POST", CM, dumps(configmap("a", namespace="kube-system")))
    assert status == 400
    assert "does not match the namespace" in doc["message"]


async def test_unknown_patch_type_is_415(kube, apiserver) -> None:
    await raw_request(kube, "POST", CM, dumps(configmap("a")))
    before = apiserver.store.revision
    status, doc = await raw_request(kube, "PATCH", f"{CM}/a", b"{}", "application/xml")
    assert (status, doc["reason"]) == (415, "UnsupportedMediaType")
    assert apiserver.store.revision == before


async def test_malformed_patch_is_400(kube, apiserver) -> None:
    await raw_request(kube, "POST", CM, dumps(configmap("a")))
    before = apiserver.store.revision
    status, doc = await raw_request(kube, "PATCH", f"{CM}/a", b"{nope", "application/merge-patch+json")
    assert (status, doc["reason"]) == (400, "BadRequest")
    assert apiserver.store.revision == before


async def test_protobuf_accept_is_answered_with_json(kube) -> None:
    session = kube.rest_client.pool_manager
    headers = {"Accept": "application/vnd.kubernetes.protobuf, application/json"}
    async with session.get(kube.configuration.host + CM, headers=headers) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        assert (await response.json())["kind"] == "ConfigMapList"


async def test_unknown_resource_is_404(kube) -> None:
    status, _ = await raw_request(kube, "GET", "/api/v1/namespaces/default/nothings")
    assert status == 404


async def test_bad_field_validation_value_is_422(kube, apiserver) -> None:
    before = apiserver.store.revision
    status, doc = await raw_request(kube, "POST", CM, dumps(configmap("a")), fieldValidation="Loud")
    assert (status, doc["reason"]) == (422, "Invalid")
    assert doc["details"]["causes"][0]["field"] == "fieldValidation"
    assert apiserver.store.revision == before


def protobuf_configmap(name: str, key: str, value: str) -> bytes:
    """A ConfigMap as kubectl's generator encodes it: k8s magic + runtime.Unknown{typeMeta, raw}."""
    meta = encode_fields([(1, name)])
    entry = encode_fields([(1, key), (2, value)])
    raw = encode_fields([(1, meta), (2, entry)])
    type_meta = encode_fields([(1, "v1"), (2, "ConfigMap")])
    return b"k8s\x00" + encode_fields([(1, type_meta), (2, raw)])


async def test_protobuf_bodies_of_generator_kinds_are_decoded(kube) -> None:
    body = protobuf_configmap("from-proto", "alpha", "beta")
    status, doc = await raw_request(kube, "POST", CM, body, "application/vnd.kubernetes.protobuf")
    assert status == 201
    assert doc["metadata"]["name"] == "from-proto"
    assert doc["data"] == {"alpha": "beta"}


async def test_builtin_field_of_the_wrong_type_is_a_decode_error(kube, apiserver) -> None:
    before = apiserver.store.revision
    body = dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": "wrongType"})
    status, doc = await raw_request(kube, "POST", CM, body)
    assert (status, doc["reason"]) == (400, "BadRequest")
    assert "cannot unmarshal string into Go struct field ConfigMap.data" in doc["message"]
    status, doc = await raw_request(
        kube, "PATCH", f"{CM}/a", body, "application/apply-patch+yaml", fieldManager="m"
    )
    assert status == 500
    assert "failed to create typed patch object" in doc["message"]
    assert apiserver.store.revision == before
