"""Content negotiation: decoding request bodies and choosing the response form from Accept.

Responses are JSON (or YAML): a client asking for protobuf gets JSON, as kube-apiserver does for types it
cannot encode in protobuf (custom resources). Protobuf request bodies are decoded for the kinds kubectl's
generators send (protobuf.py).
"""

from __future__ import annotations

import json
from typing import Any, Literal

import attrs
import yaml

from eno.apiserver import errors, protobuf

MAX_BODY_BYTES = 3 * 1024 * 1024

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

BODY_TYPES = (JSON, YAML, PROTOBUF)
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)

Form = Literal["object", "table", "metadata"]

# libyaml's loader when PyYAML was built with it (about ten times faster), else the pure-Python one.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@attrs.frozen
class MediaRange:
    type: str
    params: dict[str, str] = attrs.field(eq=False)


def parse_media_ranges(header: str) -> list[MediaRange]:
    out: list[MediaRange] = []
    for item in header.split(","):
        pieces = [p.strip() for p in item.split(";")]
        if not pieces[0]:
            continue
        params: dict[str, str] = {}
        for p in pieces[1:]:
            if "=" in p:
                k, v = p.split("=", 1)
                params[k.strip().lower()] = v.strip().strip('"')
        out.append(MediaRange(pieces[0].lower(), params))
    return out


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


@attrs.frozen
class Output:
    form: Form = "object"
    encoding: Literal["json", "yaml"] = "json"


_ACCEPTED = (
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf;stream=watch",
)


def negotiate(accept: str | None) -> Output:
    """The response form for an Accept header: plain object, meta.k8s.io Table or PartialObjectMetadata."""
    if not accept:
        return Output()
    ranges = parse_media_ranges(accept)
    if not ranges:
        return Output()
    for r in ranges:
        if r.type not in (JSON, YAML, PROTOBUF, "*/*", "application/*"):
            continue
        encoding: Literal["json", "yaml"] = "yaml" if r.type == YAML else "json"
        as_ = r.params.get("as")
        if as_ is None:
            return Output("object", encoding)
        group = r.params.get("g", "")
        if group != "meta.k8s.io":
            continue
        if as_ == "Table":
            return Output("table", encoding)
        if as_ in ("PartialObjectMetadata", "PartialObjectMetadataList"):
            return Output("metadata", encoding)
    raise errors.not_acceptable(_ACCEPTED)


def decode_object(content_type: str | None, body: bytes) -> Any:
    """A create/update body: JSON or YAML; protobuf and anything else is 415."""
    mt = media_type(content_type or JSON)
    if mt == PROTOBUF:
        # kubectl's generators (create configmap|secret|namespace|...) send typed objects as protobuf.
        if len(body) > MAX_BODY_BYTES:
            raise errors.request_entity_too_large(MAX_BODY_BYTES)
        return protobuf.decode_object(body)
    if mt not in (JSON, YAML, "*/*"):
        raise errors.unsupported_media_type(mt, (JSON, YAML, PROTOBUF))
    return decode_document(mt, body)


def decode_document(mt: str, body: bytes) -> Any:
    if len(body) > MAX_BODY_BYTES:
        raise errors.request_entity_too_large(MAX_BODY_BYTES)
    if mt in (YAML, APPLY_PATCH):
        if body.lstrip()[:1] == b"{":
            # JSON is YAML; most clients (kubectl included) send apply configurations as JSON.
            try:
                return json.loads(body)
            except ValueError:
                pass
        try:
            return yaml.load(body.decode("utf-8"), Loader=_YAML_LOADER)
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise errors.bad_request(f"error converting YAML to JSON: {_one_line(err)}") from err
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise errors.bad_request(f"couldn't get version/kind; json parse error: {err}") from err


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())


def encode(obj: Any, encoding: Literal["json", "yaml"] = "json") -> tuple[bytes, str]:
    if encoding == "yaml":
        return yaml.safe_dump(obj, sort_keys=False).encode(), YAML
    return json.dumps(obj, separators=(",", ":")).encode(), JSON
