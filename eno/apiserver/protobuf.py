"""Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), decoded to JSON objects.

kubectl's `create <generator>` commands (configmap, secret, namespace, serviceaccount, deployment, service,
job, cronjob, role, rolebinding, ...) send typed objects as protobuf. The body is kube's envelope: the
magic `k8s\\0`, then a runtime.Unknown message holding the TypeMeta and the object's own message. This
module decodes the wire format with a table of field numbers for the kinds those commands produce and
returns the object as the JSON kube would have received, so the server can treat it like any JSON body
(responses stay JSON, which every client accepts).

Go writes every non-pointer field even when it holds its zero value; like Go's JSON encoder with
`omitempty`, zero values are dropped unless the field is a pointer in Go (`replicas: 0` is kept). A field
this table does not know is ignored when it holds a zero value; with any other value the body cannot be
decoded faithfully and the request gets a 415 asking for JSON.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from eno.apiserver import errors

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"
JSON_MEDIA_TYPES = ("application/json", "application/yaml")

# Field kinds: s string, i integer, b bool, y bytes (base64 in JSON), m message, ms map<string,string>,
# my map<string,bytes>, mq map<string,Quantity>, rs repeated string, rm repeated message,
# is IntOrString, t Time, f FieldsV1 (raw JSON). A trailing "*" marks a Go pointer (zero kept);
# a message named with a leading "^" is inlined into its parent (Go struct embedding).
_Desc = dict[int, tuple[str, str, str]]


def _fields(*specs: tuple[int, str, str] | tuple[int, str, str, str]) -> _Desc:
    out: _Desc = {}
    for spec in specs:
        number, name, kind = spec[0], spec[1], spec[2]
        message = spec[3] if len(spec) == 4 else ""
        out[number] = (name, kind, message)
    return out


_META = "metadata"
_MESSAGES: dict[str, _Desc] = {
    # meta/v1
    "ObjectMeta": _fields(
        (1, "name", "s"),
        (2, "generateName", "s"),
        (3, "namespace", "s"),
        (4, "selfLink", "s"),
        (5, "uid", "s"),
        (6, "resourceVersion", "s"),
        (7, "generation", "i"),
        (8, "creationTimestamp", "t"),
        (9, "deletionTimestamp", "t"),
        (10, "deletionGracePeriodSeconds", "i*"),
        (11, "labels", "ms"),
        (12, "annotations", "ms"),
        (13, "ownerReferences", "rm", "OwnerReference"),
        (14, "finalizers", "rs"),
        (17, "managedFields", "rm", "ManagedFieldsEntry"),
    ),
    "OwnerReference": _fields(
        (1, "kind", "s"),
        (3, "name", "s"),
        (4, "uid", "s"),
        (5, "apiVersion", "s"),
        (6, "controller", "b*"),
        (7, "blockOwnerDeletion", "b*"),
    ),
    "ManagedFieldsEntry": _fields(
        (1, "manager", "s"),
        (2, "operation", "s"),
        (3, "apiVersion", "s"),
        (4, "time", "t"),
        (6, "fieldsType", "s"),
        (7, "fieldsV1", "f"),
        (8, "subresource", "s"),
    ),
    "LabelSelector": _fields(
        (1, "matchLabels", "ms"), (2, "matchExpressions", "rm", "LabelSelectorRequirement")
    ),
    "LabelSelectorRequirement": _fields((1, "key", "s"), (2, "operator", "s"), (3, "values", "rs")),
    # core/v1
    "ConfigMap": _fields(
        (1, _META, "m", "ObjectMeta"), (2, "data", "ms"), (3, "binaryData", "my"), (4, "immutable", "b*")
    ),
    "Secret": _fields(
        (1, _META, "m", "ObjectMeta"),
        (2, "data", "my"),
        (3, "type", "s"),
        (4, "stringData", "ms"),
        (5, "immutable", "b*"),
    ),
    "Namespace": _fields(
        (1, _META, "m", "ObjectMeta"),
        (2, "spec", "m", "NamespaceSpec"),
        (3, "status", "m", "NamespaceStatus"),
    ),
    "NamespaceSpec": _fields((1, "finalizers", "rs")),
    "NamespaceStatus": _fields((1, "phase", "s")),
    "ServiceAccount": _fields(
        (1, _META, "m", "ObjectMeta"),
        (2, "secrets", "rm", "ObjectReference"),
        (3, "imagePullSecrets", "rm", "LocalObjectReference"),
        (4, "automountServiceAccountToken", "b*"),
    ),
    "ObjectReference": _fields(
        (1, "kind", "s"),
        (2, "namespace", "s"),
        (3, "name", "s"),
        (4, "uid", "s"),
        (5, "apiVersion", "s"),
        (6, "resourceVersion", "s"),
        (7, "fieldPath", "s"),
    ),
    "LocalObjectReference": _fields((1, "name", "s")),
    "Service": _fields(
        (1, _META, "m", "ObjectMeta"), (2, "spec", "m", "ServiceSpec"), (3, "status", "m", "Status")
    ),
    "ServiceSpec": _fields(
        (1, "ports", "rm", "ServicePort"),
        (2, "selector", "ms"),
        (3, "clusterIP", "s"),
        (4, "type", "s"),
        (5, "externalIPs", "rs"),
        (7, "sessionAffinity", "s"),
        (8, "loadBalancerIP", "s"),
        (9, "loadBalancerSourceRanges", "rs"),
        (10, "externalName", "s"),
        (11, "externalTrafficPolicy", "s"),
        (12, "healthCheckNodePort", "i"),
        (13, "publishNotReadyAddresses", "b"),
    ),
    "ServicePort": _fields(
        (1, "name", "s"),
        (2, "protocol", "s"),
        (3, "port", "i"),
        (4, "targetPort", "is"),
        (5, "nodePort", "i"),
        (6, "appProtocol", "s*"),
    ),
    "ResourceQuota": _fields(
        (1, _META, "m", "ObjectMeta"), (2, "spec", "m", "ResourceQuotaSpec"), (3, "status", "m", "Status")
    ),
    "ResourceQuotaSpec": _fields((1, "hard", "mq"), (2, "scopes", "rs")),
    "PodTemplateSpec": _fields((1, _META, "m", "ObjectMeta"), (2, "spec", "m", "PodSpec")),
    "PodSpec": _fields(
        (2, "containers", "rm", "Container"),
        (3, "restartPolicy", "s"),
        (4, "terminationGracePeriodSeconds", "i*"),
        (5, "activeDeadlineSeconds", "i*"),
        (6, "dnsPolicy", "s"),
        (7, "nodeSelector", "ms"),
        (8, "serviceAccountName", "s"),
        (9, "serviceAccount", "s"),
        (10, "nodeName", "s"),
        (11, "hostNetwork", "b"),
        (12, "hostPID", "b"),
        (13, "hostIPC", "b"),
        (15, "imagePullSecrets", "rm", "LocalObjectReference"),
        (16, "hostname", "s"),
        (17, "subdomain", "s"),
        (19, "schedulerName", "s"),
        (20, "initContainers", "rm", "Container"),
        (21, "automountServiceAccountToken", "b*"),
        (24, "priorityClassName", "s"),
        (25, "priority", "i*"),
    ),
    "Container": _fields(
        (1, "name", "s"),
        (2, "image", "s"),
        (3, "command", "rs"),
        (4, "args", "rs"),
        (5, "workingDir", "s"),
        (6, "ports", "rm", "ContainerPort"),
        (7, "env", "rm", "EnvVar"),
        (8, "resources", "m", "ResourceRequirements"),
        (9, "volumeMounts", "rm", "VolumeMount"),
        (13, "terminationMessagePath", "s"),
        (14, "imagePullPolicy", "s"),
        (16, "stdin", "b"),
        (17, "stdinOnce", "b"),
        (18, "tty", "b"),
        (20, "terminationMessagePolicy", "s"),
    ),
    "ContainerPort": _fields(
        (1, "name", "s"),
        (2, "hostPort", "i"),
        (3, "containerPort", "i"),
        (4, "protocol", "s"),
        (5, "hostIP", "s"),
    ),
    "EnvVar": _fields((1, "name", "s"), (2, "value", "s")),
    "VolumeMount": _fields(
        (1, "name", "s"),
        (2, "readOnly", "b"),
        (3, "mountPath", "s"),
        (4, "subPath", "s"),
        (6, "subPathExpr", "s"),
    ),
    "ResourceRequirements": _fields((1, "limits", "mq"), (2, "requests", "mq")),
    # apps/v1
    "Deployment": _fields(
        (1, _META, "m", "ObjectMeta"), (2, "spec", "m", "DeploymentSpec"), (3, "status", "m", "Status")
    ),
    "DeploymentSpec": _fields(
        (1, "replicas", "i*"),
        (2, "selector", "m", "LabelSelector"),
        (3, "template", "m", "PodTemplateSpec"),
        (4, "strategy", "m", "DeploymentStrategy"),
        (5, "minReadySeconds", "i"),
        (6, "revisionHistoryLimit", "i*"),
        (7, "paused", "b"),
        (9, "progressDeadlineSeconds", "i*"),
    ),
    "DeploymentStrategy": _fields((1, "type", "s"), (2, "rollingUpdate", "m", "RollingUpdateDeployment")),
    "RollingUpdateDeployment": _fields((1, "maxUnavailable", "is*"), (2, "maxSurge", "is*")),
    # batch/v1
    "Job": _fields((1, _META, "m", "ObjectMeta"), (2, "spec", "m", "JobSpec"), (3, "status", "m", "Status")),
    "JobSpec": _fields(
        (1, "parallelism", "i*"),
        (2, "completions", "i*"),
        (3, "activeDeadlineSeconds", "i*"),
        (4, "selector", "m", "LabelSelector"),
        (5, "manualSelector", "b*"),
        (6, "template", "m", "PodTemplateSpec"),
        (7, "backoffLimit", "i*"),
        (8, "ttlSecondsAfterFinished", "i*"),
        (9, "completionMode", "s*"),
        (10, "suspend", "b*"),
    ),
    "CronJob": _fields(
        (1, _META, "m", "ObjectMeta"), (2, "spec", "m", "CronJobSpec"), (3, "status", "m", "Status")
    ),
    "CronJobSpec": _fields(
        (1, "schedule", "s"),
        (2, "startingDeadlineSeconds", "i*"),
        (3, "concurrencyPolicy", "s"),
        (4, "suspend", "b*"),
        (5, "jobTemplate", "m", "JobTemplateSpec"),
        (6, "successfulJobsHistoryLimit", "i*"),
        (7, "failedJobsHistoryLimit", "i*"),
        (8, "timeZone", "s*"),
    ),
    "JobTemplateSpec": _fields((1, _META, "m", "ObjectMeta"), (2, "spec", "m", "JobSpec")),
    # rbac.authorization.k8s.io/v1
    "Role": _fields((1, _META, "m", "ObjectMeta"), (2, "rules", "rm", "PolicyRule")),
    "ClusterRole": _fields(
        (1, _META, "m", "ObjectMeta"),
        (2, "rules", "rm", "PolicyRule"),
        (3, "aggregationRule", "m", "AggregationRule"),
    ),
    "AggregationRule": _fields((1, "clusterRoleSelectors", "rm", "LabelSelector")),
    "PolicyRule": _fields(
        (1, "verbs", "rs"),
        (2, "apiGroups", "rs"),
        (3, "resources", "rs"),
        (4, "resourceNames", "rs"),
        (5, "nonResourceURLs", "rs"),
    ),
    "RoleBinding": _fields(
        (1, _META, "m", "ObjectMeta"), (2, "subjects", "rm", "Subject"), (3, "roleRef", "m", "RoleRef")
    ),
    "Subject": _fields((1, "kind", "s"), (2, "apiGroup", "s"), (3, "name", "s"), (4, "namespace", "s")),
    "RoleRef": _fields((1, "apiGroup", "s"), (2, "kind", "s"), (3, "name", "s")),
    # policy/v1
    "PodDisruptionBudget": _fields(
        (1, _META, "m", "ObjectMeta"),
        (2, "spec", "m", "PodDisruptionBudgetSpec"),
        (3, "status", "m", "Status"),
    ),
    "PodDisruptionBudgetSpec": _fields(
        (1, "minAvailable", "is*"),
        (2, "selector", "m", "LabelSelector"),
        (3, "maxUnavailable", "is*"),
        (4, "unhealthyPodEvictionPolicy", "s*"),
    ),
    # scheduling.k8s.io/v1
    "PriorityClass": _fields(
        (1, _META, "m", "ObjectMeta"),
        (2, "value", "i*"),  # not omitempty in Go: 0 is written
        (3, "globalDefault", "b"),
        (4, "description", "s"),
        (5, "preemptionPolicy", "s*"),
    ),
    # networking.k8s.io/v1
    "Ingress": _fields(
        (1, _META, "m", "ObjectMeta"), (2, "spec", "m", "IngressSpec"), (3, "status", "m", "Status")
    ),
    "IngressSpec": _fields(
        (1, "defaultBackend", "m", "IngressBackend"),
        (2, "tls", "rm", "IngressTLS"),
        (3, "rules", "rm", "IngressRule"),
        (4, "ingressClassName", "s*"),
    ),
    "IngressTLS": _fields((1, "hosts", "rs"), (2, "secretName", "s")),
    "IngressRule": _fields((1, "host", "s"), (2, "", "m", "^IngressRuleValue")),
    "IngressRuleValue": _fields((1, "http", "m", "HTTPIngressRuleValue")),
    "HTTPIngressRuleValue": _fields((1, "paths", "rm", "HTTPIngressPath")),
    "HTTPIngressPath": _fields(
        (1, "path", "s"), (2, "backend", "m", "IngressBackend"), (3, "pathType", "s*")
    ),
    "IngressBackend": _fields((4, "service", "m", "IngressServiceBackend")),
    "IngressServiceBackend": _fields((1, "name", "s"), (2, "port", "m", "ServiceBackendPort")),
    "ServiceBackendPort": _fields((1, "name", "s"), (2, "number", "i")),
    # A status kubectl sends empty: every field it knows is zero, anything else is refused.
    "Status": {},
}

KINDS: dict[tuple[str, str], str] = {
    ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Secret"): "Secret",
    ("v1", "Namespace"): "Namespace",
    ("v1", "ServiceAccount"): "ServiceAccount",
    ("v1", "Service"): "Service",
    ("v1", "ResourceQuota"): "ResourceQuota",
    ("apps/v1", "Deployment"): "Deployment",
    ("batch/v1", "Job"): "Job",
    ("batch/v1", "CronJob"): "CronJob",
    ("rbac.authorization.k8s.io/v1", "Role"): "Role",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "ClusterRole",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "RoleBinding",
    ("policy/v1", "PodDisruptionBudget"): "PodDisruptionBudget",
    ("scheduling.k8s.io/v1", "PriorityClass"): "PriorityClass",
    ("networking.k8s.io/v1", "Ingress"): "Ingress",
}


class _Unsupported(Exception):
    pass


class _Malformed(Exception):
    pass


def _varint(data: bytes, i: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if i >= len(data) or shift > 63:
            raise _Malformed("truncated varint")
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, i


def _wire_fields(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) for each field of a message, in order."""
    out: list[tuple[int, int, int | bytes]] = []
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 2:
            length, i = _varint(data, i)
            if i + length > len(data):
                raise _Malformed("truncated field")
            value = data[i : i + length]
            i += length
        elif wire == 1:
            value = data[i : i + 8]
            i += 8
        elif wire == 5:
            value = data[i : i + 4]
            i += 4
        else:
            raise _Malformed(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _is_zero(value: int | bytes) -> bool:
    return value == 0 or value == b""


def _text(value: int | bytes) -> str:
    if not isinstance(value, bytes):
        raise _Malformed("expected bytes")
    return value.decode("utf-8")


def _map_entry(value: int | bytes) -> tuple[str, int | bytes]:
    if not isinstance(value, bytes):
        raise _Malformed("expected a map entry")
    key = ""
    item: int | bytes = b""
    for number, _wire, part in _wire_fields(value):
        if number == 1:
            key = _text(part)
        elif number == 2:
            item = part
    return key, item


def _time(value: int | bytes) -> str | None:
    if not isinstance(value, bytes):
        raise _Malformed("expected a Time")
    seconds = 0
    for number, _wire, part in _wire_fields(value):
        if number == 1 and isinstance(part, int):
            seconds = _signed(part)
    if seconds == 0:
        return None  # Go's zero time: omitted, as JSON would send null
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int_or_string(value: int | bytes) -> int | str:
    if not isinstance(value, bytes):
        raise _Malformed("expected an IntOrString")
    kind, int_val, str_val = 0, 0, ""
    for number, _wire, part in _wire_fields(value):
        if number == 1 and isinstance(part, int):
            kind = part
        elif number == 2 and isinstance(part, int):
            int_val = _signed(part) & 0xFFFFFFFF
            int_val = int_val - (1 << 32) if int_val >= 1 << 31 else int_val
        elif number == 3:
            str_val = _text(part)
    return str_val if kind == 1 else int_val


def _quantity(value: int | bytes) -> str:
    if not isinstance(value, bytes):
        raise _Malformed("expected a Quantity")
    for number, _wire, part in _wire_fields(value):
        if number == 1:
            return _text(part)
    return "0"


def _decode(data: bytes, message: str) -> dict[str, Any]:
    desc = _MESSAGES[message]
    out: dict[str, Any] = {}
    for number, _wire, value in _wire_fields(data):
        spec = desc.get(number)
        if spec is None:
            if _is_zero(value):
                continue
            raise _Unsupported(f"{message} field {number}")
        name, kind, sub = spec
        pointer = kind.endswith("*")
        kind = kind.rstrip("*")
        if kind == "s":
            text = _text(value)
            if text or pointer:
                out[name] = text
        elif kind == "i":
            if not isinstance(value, int):
                raise _Malformed(f"{message}.{name}: expected an integer")
            if value or pointer:
                out[name] = _signed(value)
        elif kind == "b":
            if value or pointer:
                out[name] = bool(value)
        elif kind == "y":
            if not isinstance(value, bytes):
                raise _Malformed(f"{message}.{name}: expected bytes")
            out[name] = base64.b64encode(value).decode()
        elif kind == "m":
            if not isinstance(value, bytes):
                raise _Malformed(f"{message}.{name}: expected a message")
            if sub.startswith("^"):
                out.update(_decode(value, sub[1:]))
            else:
                out[name] = _decode(value, sub)
        elif kind == "rm":
            if not isinstance(value, bytes):
                raise _Malformed(f"{message}.{name}: expected a message")
            out.setdefault(name, []).append(_decode(value, sub))
        elif kind == "rs":
            out.setdefault(name, []).append(_text(value))
        elif kind in ("ms", "my", "mq"):
            key, item = _map_entry(value)
            entries = out.setdefault(name, {})
            if kind == "ms":
                entries[key] = _text(item) if item != b"" else ""
            elif kind == "my":
                entries[key] = base64.b64encode(item if isinstance(item, bytes) else b"").decode()
            else:
                entries[key] = _quantity(item if isinstance(item, bytes) else b"")
        elif kind == "is":
            out[name] = _int_or_string(value)
        elif kind == "t":
            stamp = _time(value)
            if stamp is not None:
                out[name] = stamp
        elif kind == "f":
            if not isinstance(value, bytes):
                raise _Malformed(f"{message}.{name}: expected FieldsV1")
            raw = b""
            for inner_number, _w, inner in _wire_fields(value):
                if inner_number == 1 and isinstance(inner, bytes):
                    raw = inner
            out[name] = json.loads(raw) if raw else {}
    return out


def _unsupported(detail: str) -> errors.ApiError:
    err = errors.unsupported_media_type(MEDIA_TYPE, JSON_MEDIA_TYPES)
    err.internal_detail = f"protobuf body not decodable: {detail}"
    return err


def decode_object(body: bytes, *, kind: str = "", version: str = "") -> dict[str, Any]:
    """The JSON object a protobuf request body carries (apiVersion and kind from its TypeMeta).

    Raises ApiError 400 for a body that is not kube's protobuf envelope (kube's wording; pass the kind and
    version the URL addresses to get kube's full `X in version "v" cannot be handled as a X: ...`), and 415
    (asking for JSON) for a kind or field this decoder does not know."""

    def bad(detail: str) -> errors.ApiError:
        if kind:
            detail = f'{kind} in version "{version}" cannot be handled as a {kind}: {detail}'
        return errors.bad_request(detail)

    if not body:
        raise bad("empty data")
    if not body.startswith(MAGIC):
        prefix = "[" + " ".join(str(b) for b in MAGIC) + "]"  # Go's %v of a byte slice
        raise bad(f"provided data does not appear to be a protobuf message, expected prefix {prefix}")
    if len(body) == len(MAGIC):
        raise bad("empty body")
    try:
        api_version = type_kind = ""
        raw = b""
        for number, _wire, value in _wire_fields(body[len(MAGIC) :]):
            if number == 1 and isinstance(value, bytes):
                for inner_number, _w, inner in _wire_fields(value):
                    if inner_number == 1:
                        api_version = _text(inner)
                    elif inner_number == 2:
                        type_kind = _text(inner)
            elif number == 2 and isinstance(value, bytes):
                raw = value
            elif number in (3, 4) and not _is_zero(value):
                # contentEncoding / contentType: kube never sets them on request bodies.
                raise _Unsupported("runtime.Unknown content encoding")
        message = KINDS.get((api_version, type_kind))
        if message is None:
            raise _Unsupported(f"kind {api_version}/{type_kind}")
        obj = _decode(raw, message)
    except _Unsupported as exc:
        raise _unsupported(str(exc)) from None
    except (_Malformed, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad(f"proto: cannot parse invalid wire-format data: {exc}") from None
    return {"apiVersion": api_version, "kind": type_kind, **obj}


# --- encoding (for the few protobuf documents the server itself serves) ---


def _encode_varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative numbers are sign-extended to 64 bits, as protobuf does
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_fields(fields: list[tuple[int, int | bool | str | bytes]]) -> bytes:
    """A protobuf message from (field number, value) pairs: ints and bools as varints, str and bytes (an
    already encoded sub-message included) length-delimited."""
    out = bytearray()
    for number, value in fields:
        if isinstance(value, bool | int):
            out += _encode_varint(number << 3) + _encode_varint(int(value))
        else:
            data = value.encode() if isinstance(value, str) else value
            out += _encode_varint(number << 3 | 2) + _encode_varint(len(data)) + data
    return bytes(out)
