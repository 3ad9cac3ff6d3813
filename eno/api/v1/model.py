"""Declarative JSON fields for Eno's API types: one place that converts, and describes, every type.

Each attrs field of an API type carries a `JsonField` in its metadata (see `prop`): its JSON name, its JSON
type, and the schema facts the CRD needs (required, default, validations). From that single declaration
`Model.from_dict`/`Model.to_dict` convert to and from the API's JSON and `object_schema` derives the OpenAPI
schema, so the two cannot drift apart.

Round trips are lossless:
- keys this version does not know are kept in `unknown_fields` and written back;
- Go's `omitempty` is mirrored (a zero value is left out) except when the JSON we read spelled the zero value
  out, or left out a value Go always writes; such keys are remembered in `presence` and reproduced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, Protocol, Self

import attrs

_META_KEY: Final = "eno.json"


class DecodeError(ValueError):
    """The JSON does not have the shape the API type declares; `path` says where."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '<root>'}: {message}")
        self.path = path


class JsonType(Protocol):
    """How one JSON value maps to a Python value, and its OpenAPI schema."""

    def decode(self, raw: Any, path: str) -> Any: ...
    def encode(self, value: Any) -> Any: ...
    def schema(self) -> dict[str, Any]: ...
    def zero(self) -> Any: ...


@attrs.frozen
class Str:
    """A JSON string. `fmt` is the OpenAPI format (`date-time` for Kubernetes Time)."""

    max_length: int | None = None
    fmt: str | None = None

    def decode(self, raw: Any, path: str) -> str:
        if not isinstance(raw, str):
            raise DecodeError(path, f"expected a string, got {type(raw).__name__}")
        return raw

    def encode(self, value: Any) -> Any:
        return value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if self.fmt is not None:
            out["format"] = self.fmt
        if self.max_length is not None:
            out["maxLength"] = self.max_length
        return out

    def zero(self) -> str:
        return ""


TIME: Final = Str(fmt="date-time")  # metav1.Time: RFC 3339 text, kept verbatim (see times.py)
DURATION: Final = Str()  # Go duration text such as "10s", kept verbatim (see times.py)
STRING: Final = Str()


@attrs.frozen
class Int:
    """A JSON integer; `fmt` is `int32`/`int64` as Go's type says, or None for Go's plain `int`."""

    fmt: str | None = None

    def decode(self, raw: Any, path: str) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise DecodeError(path, f"expected an integer, got {type(raw).__name__}")
        if isinstance(raw, float):
            if not raw.is_integer():
                raise DecodeError(path, f"expected an integer, got {raw}")
            return int(raw)
        return raw

    def encode(self, value: Any) -> Any:
        return value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer"}
        if self.fmt is not None:
            out["format"] = self.fmt
        return out

    def zero(self) -> int:
        return 0


@attrs.frozen
class Bool:
    def decode(self, raw: Any, path: str) -> bool:
        if not isinstance(raw, bool):
            raise DecodeError(path, f"expected a boolean, got {type(raw).__name__}")
        return raw

    def encode(self, value: Any) -> Any:
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def zero(self) -> bool:
        return False


BOOL: Final = Bool()

# Kubernetes resource.Quantity as the API declares it.
_NUMBER: Final = r"(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
QUANTITY_PATTERN: Final = rf"^(\+|-)?{_NUMBER}(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?{_NUMBER}))?$"


@attrs.frozen
class Quantity:
    """A Kubernetes quantity: an integer or a string (`500m`, `1Gi`), kept as written."""

    def decode(self, raw: Any, path: str) -> int | str:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise DecodeError(path, f"expected a quantity (integer or string), got {type(raw).__name__}")
        return raw

    def encode(self, value: Any) -> Any:
        return value

    def schema(self) -> dict[str, Any]:
        return {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "pattern": QUANTITY_PATTERN,
            "x-kubernetes-int-or-string": True,
        }

    def zero(self) -> int | str:
        return ""


@attrs.frozen
class FreeForm:
    """An object whose content the API does not describe (`metadata`, manifests): kept as a plain dict."""

    def decode(self, raw: Any, path: str) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            raise DecodeError(path, f"expected an object, got {type(raw).__name__}")
        copied: dict[str, Any] = json_copy(raw)
        return copied

    def encode(self, value: Any) -> Any:
        return json_copy(value)

    def schema(self) -> dict[str, Any]:
        return {"type": "object"}

    def zero(self) -> dict[str, Any]:
        return {}


FREE_FORM: Final = FreeForm()


@attrs.frozen
class List:
    """A JSON array, held as a tuple so that frozen objects stay immutable."""

    item: JsonType
    max_items: int | None = None
    list_type: str | None = None  # x-kubernetes-list-type
    map_keys: tuple[str, ...] = ()  # x-kubernetes-list-map-keys

    def decode(self, raw: Any, path: str) -> tuple[Any, ...]:
        if not isinstance(raw, list | tuple):
            raise DecodeError(path, f"expected an array, got {type(raw).__name__}")
        return tuple(self.item.decode(v, f"{path}[{i}]") for i, v in enumerate(raw))

    def encode(self, value: Any) -> Any:
        return [self.item.encode(v) for v in value]

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.schema()}
        if self.max_items is not None:
            out["maxItems"] = self.max_items
        if self.list_type is not None:
            out["x-kubernetes-list-type"] = self.list_type
        if self.map_keys:
            out["x-kubernetes-list-map-keys"] = list(self.map_keys)
        return out

    def zero(self) -> tuple[Any, ...]:
        return ()


@attrs.frozen
class Map:
    """A JSON object with arbitrary keys and values of one type (Go's map[string]T)."""

    value: JsonType

    def decode(self, raw: Any, path: str) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            raise DecodeError(path, f"expected an object, got {type(raw).__name__}")
        return {str(k): self.value.decode(v, f"{path}.{k}") for k, v in raw.items()}

    def encode(self, value: Any) -> Any:
        return {k: self.value.encode(v) for k, v in value.items()}

    def schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": self.value.schema()}

    def zero(self) -> dict[str, Any]:
        return {}


STRING_MAP: Final = Map(STRING)


@attrs.frozen
class Obj:
    """A nested API type (a `Model` subclass)."""

    cls: type[Model]

    def decode(self, raw: Any, path: str) -> Model:
        return self.cls.decode(raw, path)

    def encode(self, value: Any) -> Any:
        return value.to_dict()

    def schema(self) -> dict[str, Any]:
        return object_schema(self.cls)

    def zero(self) -> Model:
        return self.cls()


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars): objects and their to_dict() never share containers,
    so a caller editing either cannot change the other."""
    if isinstance(value, Mapping):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_copy(v) for v in value]
    return value


@attrs.frozen
class Validation:
    """One `x-kubernetes-validations` entry: a CEL rule the API server enforces."""

    rule: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"message": self.message, "rule": self.rule}


@attrs.frozen
class JsonField:
    """What one attrs field is on the wire and in the schema."""

    name: str
    type: JsonType
    required: bool
    pointer: bool  # Go pointer: None in Python when absent
    always: bool  # Go writes the key even when the value is zero (no omitempty, or a struct value)
    default: Any  # schema default (JSON), or _NO_DEFAULT
    validations: tuple[Validation, ...]
    doc: str
    zero: Any  # the Python value that counts as "empty" for omitempty


_NO_DEFAULT: Final[Any] = object()


def prop(
    name: str,
    jtype: JsonType,
    *,
    required: bool = False,
    pointer: bool = False,
    always: bool | None = None,
    default: Any = _NO_DEFAULT,
    validations: tuple[Validation, ...] = (),
    doc: str = "",
) -> Any:
    """Declare an attrs field that is the JSON key `name` of type `jtype`.

    Python defaults are Go's zero values (None for pointers), so every type can be built empty and
    filled with `attrs.evolve`. `always` defaults to true for required keys and non-pointer structs,
    which Go's encoder writes even when empty.
    """
    if always is None:
        always = required or (isinstance(jtype, Obj) and not pointer)
    zero = None if pointer else jtype.zero()
    meta = JsonField(name, jtype, required, pointer, always, default, validations, doc, zero)
    if pointer:
        return attrs.field(default=None, kw_only=True, metadata={_META_KEY: meta})
    factory: Callable[[], Any] = jtype.zero
    return attrs.field(factory=factory, kw_only=True, metadata={_META_KEY: meta})


@attrs.frozen
class Model:
    """Base of every API type: generic, declaration-driven JSON conversion.

    `unknown_fields` holds keys this version does not know, so writing an object back never drops what
    another version of Eno wrote. `presence` records wire-only detail needed for exact round trips; it is
    not part of equality.
    """

    # Class-level schema facts (on the type, not on the field that holds it).
    schema_validations: ClassVar[tuple[Validation, ...]] = ()
    schema_map_type: ClassVar[str | None] = None  # x-kubernetes-map-type
    # Keys the class writes itself (apiVersion/kind of top-level types): known, never stored.
    wire_keys: ClassVar[tuple[str, ...]] = ()

    unknown_fields: dict[str, Any] = attrs.field(factory=dict, kw_only=True, repr=False)
    _presence: frozenset[str] = attrs.field(
        default=frozenset(), kw_only=True, eq=False, repr=False, alias="presence"
    )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from the API's JSON. Raises DecodeError when a known key has the wrong type."""
        return cls.decode(data, "")

    @classmethod
    def decode(cls, data: Any, path: str) -> Self:
        if not isinstance(data, Mapping):
            raise DecodeError(path, f"expected an object, got {type(data).__name__}")
        kwargs: dict[str, Any] = {}
        presence: set[str] = set()
        known = _known_keys(cls)
        for attr_name, jf in _json_fields(cls):
            if jf.name not in data:
                if jf.always:
                    presence.add(jf.name)  # Go would have written it; remember it was absent
                continue
            raw = data[jf.name]
            sub = f"{path}.{jf.name}" if path else jf.name
            if raw is None:
                if jf.pointer:
                    presence.add(jf.name)  # an explicit null
                continue
            value = jf.type.decode(raw, sub)
            if not jf.always and value == jf.zero:
                presence.add(jf.name)  # omitempty would drop it; it was spelled out
            kwargs[attr_name] = value
        unknown = {k: json_copy(v) for k, v in data.items() if k not in known}
        return cls(**kwargs, unknown_fields=unknown, presence=frozenset(presence))

    def to_dict(self) -> dict[str, Any]:
        """The API's JSON for this object."""
        out: dict[str, Any] = {}
        for attr_name, jf in _json_fields(type(self)):
            value = getattr(self, attr_name)
            if value == jf.zero and jf.always == (jf.name in self._presence):
                continue
            out[jf.name] = None if value is None else jf.type.encode(value)
        for key, value in self.unknown_fields.items():
            out.setdefault(key, json_copy(value))
        return out


def json_fields(cls: type[Model]) -> tuple[tuple[str, JsonField], ...]:
    """(attribute name, JsonField) of every JSON-backed field of `cls`, in declaration order."""
    return _json_fields(cls)


# Per-class caches: the declarations never change after class creation.
_FIELDS: dict[type, tuple[tuple[str, JsonField], ...]] = {}
_KNOWN: dict[type, frozenset[str]] = {}


def _json_fields(cls: type[Model]) -> tuple[tuple[str, JsonField], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        found = tuple((a.name, a.metadata[_META_KEY]) for a in attrs.fields(cls) if _META_KEY in a.metadata)
        _FIELDS[cls] = found
    return found


def _known_keys(cls: type[Model]) -> frozenset[str]:
    found = _KNOWN.get(cls)
    if found is None:
        names = frozenset(jf.name for _, jf in _json_fields(cls))
        found = names | frozenset(cls.wire_keys)
        _KNOWN[cls] = found
    return found


def object_schema(cls: type[Model]) -> dict[str, Any]:
    """The OpenAPI v3 schema of `cls`, derived from its field declarations."""
    props: dict[str, Any] = {}
    required: list[str] = []
    for _, jf in _json_fields(cls):
        schema = jf.type.schema()
        if jf.default is not _NO_DEFAULT:
            schema["default"] = jf.default
        if jf.validations:
            schema["x-kubernetes-validations"] = [
                *schema.get("x-kubernetes-validations", []),
                *(v.to_dict() for v in jf.validations),
            ]
        if jf.doc:
            schema["description"] = jf.doc
        props[jf.name] = schema
        if jf.required:
            required.append(jf.name)
    out: dict[str, Any] = {"type": "object"}
    if props:
        out["properties"] = props
    if required:
        out["required"] = sorted(required)
    if cls.schema_validations:
        out["x-kubernetes-validations"] = [v.to_dict() for v in cls.schema_validations]
    if cls.schema_map_type is not None:
        out["x-kubernetes-map-type"] = cls.schema_map_type
    return out
