"""The KRM function ResourceList (`config.kubernetes.io/v1`): the synthesizer's stdin and stdout (§6.3)."""

# prop() returns attrs.field(...); ruff takes it for a call in a dataclass default.
# ruff: noqa: RUF009

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from eno.api.v1 import constants as c
from eno.api.v1.model import FREE_FORM, STRING, STRING_MAP, Int, List, Model, Obj, prop


@attrs.frozen
class ResultFile(Model):
    path: str = prop("path", STRING, required=True)
    index: int = prop("index", Int())


@attrs.frozen
class ResultResourceRef(Model):
    api_version: str = prop("apiVersion", STRING)
    kind: str = prop("kind", STRING)
    name: str = prop("name", STRING, required=True)
    namespace: str = prop("namespace", STRING)


@attrs.frozen
class KrmResult(Model):
    """A KRM result. Only severity exactly "error" fails a synthesis (the swagger default does not apply).

    The swagger's `field` member is not modelled, as in Eno's Go type; it survives in `unknown_fields`.
    """

    message: str = prop("message", STRING, required=True)
    severity: str = prop("severity", STRING)
    tags: dict[str, str] = prop("tags", STRING_MAP)
    file: ResultFile | None = prop("file", Obj(ResultFile), pointer=True)
    resource_ref: ResultResourceRef | None = prop("resourceRef", Obj(ResultResourceRef), pointer=True)

    @property
    def is_error(self) -> bool:
        return self.severity == c.RESULT_SEVERITY_ERROR


@attrs.frozen
class ResourceList(Model):
    """Input: the bound objects plus functionConfig. Output: the desired objects plus results.

    Items stay plain dicts: they are arbitrary Kubernetes objects.
    """

    api_version: ClassVar[str] = c.KRM_API_VERSION
    kind: ClassVar[str] = c.KRM_KIND
    wire_keys: ClassVar[tuple[str, ...]] = ("apiVersion", "kind")

    items: tuple[dict[str, Any], ...] = prop("items", List(FREE_FORM), required=True)
    function_config: dict[str, Any] | None = prop("functionConfig", FREE_FORM, pointer=True)
    results: tuple[KrmResult, ...] = prop("results", List(Obj(KrmResult)))

    def to_dict(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, **super().to_dict()}

    @property
    def failed(self) -> bool:
        """Some result is an error."""
        return any(r.is_error for r in self.results)


def function_config(optional_refs: list[str]) -> dict[str, Any]:
    """The functionConfig Eno sends: a ConfigMap-shaped object with a top-level `optionalRefs`."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "optionalRefs": list(optional_refs)}
