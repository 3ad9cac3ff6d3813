"""Protobuf request bodies: the bodies kubectl 1.37's `create` generators send, decoded to kube's JSON."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.apiserver.errors import ApiError
from eno.apiserver.protobuf import MAGIC, decode_object

# Captured from kubectl 1.37.1 (`kubectl create configmap c1 --from-literal=a=b --from-literal=c=d`, ...).
KUBECTL_BODIES = {
    "configmap": (
        "6b3873000a0f0a0276311209436f6e6669674d617012240a120a02633112001a0022002a0032003800420012060a0161120162"
        "12060a01631201641a002200"
    ),
    "deployment": (
        "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b4010a1d0a02643112001a0022002a003200380042005a"
        "090a03617070120264311284010802120b0a090a03617070120264311a6b0a1b0a0012001a0022002a003200380042005a090a"
        "0361707012026431124c122e0a056e67696e7812056e67696e782a00320a0a001000185022002a0042006a0072008001008801"
        "00900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c080010001800"
        "2000280038001a002200"
    ),
    "rolebinding": (
        "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c6542696e64696e6712"
        "86010a130a0372623112001a0022002a0032003800420012260a04557365721219726261632e617574686f72697a6174696f"
        "6e2e6b38732e696f1a0175220012200a0e536572766963654163636f756e7412001a03736131220764656661756c741a250a"
        "19726261632e617574686f72697a6174696f6e2e6b38732e696f1204526f6c651a0272311a002200"
    ),
    "service": (
        "6b3873000a0d0a027631120753657276696365126c0a210a047376633112001a0022002a003200380042005a0b0a03617070"
        "12047376633112430a1b0a0738302d38303830120354435018502207080010903f1a002800120b0a03617070120473766331"
        "1a002209436c757374657249503a00420052005a00600068001a020a001a002200"
    ),
}

EXPECTED = {
    "configmap": {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c1"},
        "data": {"a": "b", "c": "d"},
    },
    "deployment": {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d1", "labels": {"app": "d1"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "d1"}},
            "template": {
                "metadata": {"labels": {"app": "d1"}},
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx", "ports": [{"containerPort": 80}], "resources": {}}
                    ]
                },
            },
            "strategy": {},
        },
        "status": {},
    },
    "rolebinding": {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "rb1"},
        "subjects": [
            {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "u"},
            {"kind": "ServiceAccount", "name": "sa1", "namespace": "default"},
        ],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r1"},
    },
    "service": {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "svc1", "labels": {"app": "svc1"}},
        "spec": {
            "ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
            "selector": {"app": "svc1"},
            "type": "ClusterIP",
        },
        "status": {},
    },
}


@pytest.mark.parametrize("name", sorted(KUBECTL_BODIES))
def test_kubectl_bodies(name: str) -> None:
    assert decode_object(bytes.fromhex(KUBECTL_BODIES[name])) == EXPECTED[name]


# A minimal protobuf writer for hand-made cases: ints are varints, str/bytes and nested lists are
# length-delimited.
Field = tuple[int, Any]


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def enc(fields: list[Field]) -> bytes:
    out = bytearray()
    for number, value in fields:
        if isinstance(value, bool | int):
            out += _varint(number << 3) + _varint(int(value))
        else:
            data = (
                enc(value) if isinstance(value, list) else value.encode() if isinstance(value, str) else value
            )
            out += _varint(number << 3 | 2) + _varint(len(data)) + data
    return bytes(out)


def envelope(api_version: str, kind: str, obj: list[Field]) -> bytes:
    return MAGIC + enc([(1, [(1, api_version), (2, kind)]), (2, enc(obj)), (3, ""), (4, "")])


META = (1, [(1, "x"), (7, 0), (8, [])])


@pytest.mark.parametrize(
    ("api_version", "kind", "obj", "expected"),
    [
        pytest.param(
            "apps/v1",
            "Deployment",
            [META, (2, [(1, 0), (6, 0), (7, False)])],
            {"spec": {"replicas": 0, "revisionHistoryLimit": 0}},
            id="pointer-zeros-kept-value-zeros-dropped",
        ),
        pytest.param(
            "v1",
            "ConfigMap",
            [META, (4, False), (3, [(1, "bin"), (2, b"\x00\x01")])],
            {"immutable": False, "binaryData": {"bin": "AAE="}},
            id="pointer-bool-and-binary-data",
        ),
        pytest.param(
            "v1",
            "ConfigMap",
            [
                (
                    1,
                    [
                        (1, "x"),
                        (3, "ns"),
                        (7, 3),
                        (8, [(1, 1767225600)]),
                        (11, [(1, "k"), (2, "")]),
                        (13, [(1, "Widget"), (3, "w"), (4, "u-1"), (5, "example.com/v1"), (6, True)]),
                        (14, "example.com/fin"),
                        (
                            17,
                            [
                                (1, "kubectl"),
                                (2, "Apply"),
                                (3, "v1"),
                                (6, "FieldsV1"),
                                (7, [(1, b'{"f:data":{}}')]),
                            ],
                        ),
                    ],
                )
            ],
            {
                "metadata": {
                    "name": "x",
                    "namespace": "ns",
                    "generation": 3,
                    "creationTimestamp": "2026-01-01T00:00:00Z",
                    "labels": {"k": ""},
                    "ownerReferences": [
                        {
                            "kind": "Widget",
                            "name": "w",
                            "uid": "u-1",
                            "apiVersion": "example.com/v1",
                            "controller": True,
                        }
                    ],
                    "finalizers": ["example.com/fin"],
                    "managedFields": [
                        {
                            "manager": "kubectl",
                            "operation": "Apply",
                            "apiVersion": "v1",
                            "fieldsType": "FieldsV1",
                            "fieldsV1": {"f:data": {}},
                        }
                    ],
                }
            },
            id="object-meta",
        ),
        pytest.param(
            "policy/v1",
            "PodDisruptionBudget",
            [META, (2, [(3, [(1, 1), (3, "25%")])])],
            {"spec": {"maxUnavailable": "25%"}},
            id="int-or-string-string",
        ),
        pytest.param(
            "batch/v1",
            "Job",
            [META, (2, [(3, -1)])],
            {"spec": {"activeDeadlineSeconds": -1}},
            id="negative-int",
        ),
        pytest.param(
            "v1",
            "Secret",
            [META, (2, [(1, "k"), (2, b"v")]), (99, 0), (98, b"")],
            {"data": {"k": "dg=="}},
            id="unknown-zero-fields-ignored",
        ),
    ],
)
def test_decoding(api_version: str, kind: str, obj: list[Field], expected: dict[str, Any]) -> None:
    decoded = decode_object(envelope(api_version, kind, obj))
    assert decoded["apiVersion"] == api_version
    assert decoded["kind"] == kind
    for key, value in expected.items():
        assert decoded[key] == value
    if "metadata" not in expected:
        assert decoded["metadata"] == {"name": "x"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(b'{"kind":"ConfigMap"}', 400, id="not-protobuf"),
        pytest.param(MAGIC + b"\x0a\x05\x0a", 400, id="truncated"),
        pytest.param(envelope("v1", "Pod", [META]), 415, id="unknown-kind"),
        pytest.param(envelope("v1", "Secret", [META, (99, "x")]), 415, id="unknown-non-zero-field"),
        pytest.param(envelope("v1", "ConfigMap", [META, (5, 1)]), 415, id="unknown-field-number"),
    ],
)
def test_refusals(body: bytes, code: int) -> None:
    with pytest.raises(ApiError) as info:
        decode_object(body)
    assert info.value.code == code
    if code == 415:
        assert "application/json" in info.value.message


_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8)
_maps = st.dictionaries(_text, _text, max_size=3)


def _map_fields(number: int, values: dict[str, Any]) -> list[Field]:
    return [(number, [(1, k), (2, v)]) for k, v in values.items()]


@given(
    name=st.from_regex(r"\A[a-z][a-z0-9-]{0,10}\Z"),
    labels=_maps,
    annotations=_maps,
    data=_maps,
    binary=st.dictionaries(_text, st.binary(max_size=8), max_size=2),
    immutable=st.none() | st.booleans(),
)
def test_configmap_round_trip(
    name: str,
    labels: dict[str, str],
    annotations: dict[str, str],
    data: dict[str, str],
    binary: dict[str, bytes],
    immutable: bool | None,
) -> None:
    meta: list[Field] = [
        (1, name),
        (2, ""),
        (7, 0),
        (8, []),
        *_map_fields(11, labels),
        *_map_fields(12, annotations),
    ]
    obj: list[Field] = [(1, meta), *_map_fields(2, data), *_map_fields(3, binary)]
    if immutable is not None:
        obj.append((4, immutable))
    decoded = decode_object(envelope("v1", "ConfigMap", obj))
    expected_meta: dict[str, Any] = {"name": name}
    if labels:
        expected_meta["labels"] = labels
    if annotations:
        expected_meta["annotations"] = annotations
    assert decoded["metadata"] == expected_meta
    assert decoded.get("data", {}) == data
    assert decoded.get("binaryData", {}) == {k: base64.b64encode(v).decode() for k, v in binary.items()}
    assert decoded.get("immutable") == immutable


def test_encode_fields_matches_the_test_writer() -> None:
    from eno.apiserver.protobuf import encode_fields

    nested = encode_fields([(1, "a"), (2, -1)])
    assert encode_fields([(1, 150), (2, True), (3, nested)]) == enc(
        [(1, 150), (2, True), (3, [(1, "a"), (2, -1)])]
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b"", "empty data", id="empty"),
        pytest.param(MAGIC, "empty body", id="prefix-only"),
        pytest.param(
            b'{"kind":"ConfigMap"}',
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]",
            id="json",
        ),
    ],
)
def test_bad_bodies_use_kube_wording(body: bytes, message: str) -> None:
    with pytest.raises(ApiError) as info:
        decode_object(body, kind="ConfigMap", version="v1")
    assert info.value.code == 400
    assert info.value.message == f'ConfigMap in version "v1" cannot be handled as a ConfigMap: {message}'
