"""The synthesizer's inputs: the ResourceList Eno writes to stdin, looked up by ref key.

Each item carries the annotation `eno.azure.io/input-key` naming its ref; `functionConfig.optionalRefs`
lists the optional keys, which may be absent. Lookups fail with InputError, whose message is the one Go's
SDK reports (`error while reading input with key "K": input "K": input not found`), so users' alerts match.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar, overload

import attrs

from eno.api.v1 import constants as c
from eno.function.convert import DecodeError, decode

T = TypeVar("T")
Obj = dict[str, Any]
ENO_KEY = "eno_key"  # field metadata naming the ref key of an inputs-class field


class InputError(Exception):
    """An input is missing or does not fit its type: reported as an error result, not a traceback."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f'error while reading input with key "{key}": input "{key}": {problem}')
        self.key = key


class ProtocolError(Exception):
    """Stdin is not a ResourceList."""


@attrs.frozen
class Inputs:
    """The input objects by ref key (the first item with a key wins, as in Go's ReadInput)."""

    items: tuple[Obj, ...] = ()
    optional_refs: frozenset[str] = frozenset()

    @classmethod
    def from_resource_list(cls, doc: Mapping[str, Any]) -> Inputs:
        items = doc.get("items") or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ProtocolError("the input ResourceList's items must be a list of objects")
        config = doc.get("functionConfig")
        optional = config.get("optionalRefs") if isinstance(config, dict) else None
        keys = frozenset(str(k) for k in optional) if isinstance(optional, list) else frozenset()
        return cls(tuple(items), keys)

    @classmethod
    def parse(cls, text: str) -> Inputs:
        """Stdin's text; empty means no inputs (as Go's reader treats EOF)."""
        if not text.strip():
            return cls()
        try:
            doc = json.loads(text)
        except ValueError as err:
            raise ProtocolError(f"stdin is not JSON: {err}") from None
        if not isinstance(doc, dict) or doc.get("kind") != c.KRM_KIND:
            raise ProtocolError("stdin is not a KRM ResourceList")
        return cls.from_resource_list(doc)

    def keys(self) -> list[str]:
        """The ref keys present, in input order."""
        return list(dict.fromkeys(k for k in (input_key(i) for i in self.items) if k))

    def __contains__(self, key: object) -> bool:
        return any(input_key(i) == key for i in self.items)

    def __iter__(self) -> Iterator[Obj]:
        return iter(self.items)

    def is_optional(self, key: str) -> bool:
        return key in self.optional_refs

    def all(self) -> dict[str, Obj]:
        """Key to object; later duplicates win (Go's `reader.All()`)."""
        return {k: i for i in self.items if (k := input_key(i))}

    @overload
    def get(self, key: str) -> Obj: ...
    @overload
    def get(self, key: str, type_: type[T]) -> T: ...
    @overload
    def get(self, key: str, type_: typing.Callable[[Obj], T]) -> T: ...

    def get(self, key: str, type_: Any = None) -> Any:
        """The input with ref key `key`, as a dict or decoded into `type_`. Raises InputError."""
        item = next((i for i in self.items if input_key(i) == key), None)
        if item is None:
            raise InputError(key, "input not found")
        if type_ is None:
            return item
        try:
            return decode(item, type_)
        except DecodeError as err:
            raise InputError(key, str(err)) from None

    def optional(self, key: str, type_: Any = None) -> Any:
        """Like get, but None when the input is absent (use for optional refs)."""
        return self.get(key, type_) if key in self else None

    def bind(self, type_: type[T]) -> T:
        """An instance of an inputs class (dataclass or attrs) whose fields are filled by ref key.

        A field's key is `metadata["eno_key"]`, else its name. A missing input is an error unless its key is
        an optional ref or the field has a default, in which case the field keeps its default (None for
        an optional field without one)."""
        hints = typing.get_type_hints(type_)
        values: dict[str, Any] = {}
        for name, key, has_default in input_fields(type_):
            if key not in self:
                if has_default:
                    continue
                if self.is_optional(key):
                    values[name] = None
                    continue
            values[name] = self.get(key, hints.get(name, Any))
        return type_(**values)


def input_key(item: Mapping[str, Any]) -> str:
    metadata = item.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    key = annotations.get(c.ANNOTATION_INPUT_KEY) if isinstance(annotations, Mapping) else None
    return key if isinstance(key, str) else ""


def input_fields(type_: type) -> list[tuple[str, str, bool]]:
    """(field name, ref key, has default) of an inputs class."""
    if dataclasses.is_dataclass(type_):
        return [
            (
                f.name,
                str(f.metadata.get(ENO_KEY, f.name)),
                f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING,
            )
            for f in dataclasses.fields(type_)
            if f.init
        ]
    if attrs.has(type_):
        return [
            (a.alias or a.name, str(a.metadata.get(ENO_KEY, a.name)), a.default is not attrs.NOTHING)
            for a in attrs.fields(type_)
            if a.init
        ]
    raise TypeError(f"{type_.__name__} is not a dataclass or attrs class")


def key(name: str, **kwargs: Any) -> Any:
    """A dataclass field read from the input with ref key `name`: `config: ConfigMap = key("my-config")`."""
    metadata = {**kwargs.pop("metadata", {}), ENO_KEY: name}
    return dataclasses.field(metadata=metadata, **kwargs)
