"""The legacy `Input` type (§6.1): Eno declares it but no code path uses it; kept for completeness."""

# prop() returns attrs.field(...); ruff takes it for a call in a dataclass default.
# ruff: noqa: RUF009

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from eno.api.v1 import constants as c
from eno.api.v1.model import STRING, Model, Obj, prop


@attrs.frozen
class InputResource(Model):
    name: str = prop("name", STRING, required=True)
    namespace: str = prop("namespace", STRING)
    kind: str = prop("kind", STRING, required=True)
    group: str = prop("group", STRING, required=True)


@attrs.frozen
class Input(Model):
    api_version: ClassVar[str] = c.API_VERSION
    kind: ClassVar[str] = "Input"
    wire_keys: ClassVar[tuple[str, ...]] = ("apiVersion", "kind")

    key: str = prop("key", STRING, required=True)
    resource: InputResource = prop("resource", Obj(InputResource), required=True)

    def to_dict(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, **super().to_dict()}
