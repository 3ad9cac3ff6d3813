"""The base of Eno's top-level kinds: type meta, plain-dict `metadata`, and the CRD facts of the kind."""

# prop() returns attrs.field(...); ruff takes it for a call in a dataclass default.
# ruff: noqa: RUF009

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

import attrs

from eno.api.v1.constants import API_VERSION
from eno.api.v1.model import FREE_FORM, Model, prop


@attrs.frozen
class PrinterColumn:
    """One `additionalPrinterColumns` entry of the kind's CRD."""

    name: str
    type: str
    json_path: str

    def to_dict(self) -> dict[str, str]:
        return {"jsonPath": self.json_path, "name": self.name, "type": self.type}


@attrs.frozen
class Kind(Model):
    """A top-level object of `eno.azure.io/v1`.

    `metadata` stays a plain dict (ObjectMeta is the API server's business); the helpers below read the
    parts Eno uses. Treat it as read-only and change it with `with_metadata`/`with_annotation`/`with_label`.
    Subclasses add `spec` and `status`.
    """

    api_version: ClassVar[str] = API_VERSION
    kind: ClassVar[str]
    plural: ClassVar[str]
    singular: ClassVar[str]
    list_kind: ClassVar[str]
    scope: ClassVar[Literal["Namespaced", "Cluster"]] = "Namespaced"
    printer_columns: ClassVar[tuple[PrinterColumn, ...]] = ()
    description: ClassVar[str] = ""  # the CRD schema's top-level description
    # Written from the class, never stored: see to_dict.
    wire_keys: ClassVar[tuple[str, ...]] = ("apiVersion", "kind")

    metadata: dict[str, Any] = prop("metadata", FREE_FORM, always=True)

    def to_dict(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, **super().to_dict()}

    # --- metadata accessors (read-only views; use with_metadata to change) ---
    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or "")

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "")

    @property
    def uid(self) -> str:
        return str(self.metadata.get("uid") or "")

    @property
    def generation(self) -> int:
        value = self.metadata.get("generation")
        return value if isinstance(value, int) else 0

    @property
    def resource_version(self) -> str:
        return str(self.metadata.get("resourceVersion") or "")

    @property
    def labels(self) -> dict[str, str]:
        value = self.metadata.get("labels")
        return dict(value) if isinstance(value, dict) else {}

    @property
    def annotations(self) -> dict[str, str]:
        value = self.metadata.get("annotations")
        return dict(value) if isinstance(value, dict) else {}

    @property
    def finalizers(self) -> tuple[str, ...]:
        value = self.metadata.get("finalizers")
        return tuple(value) if isinstance(value, list) else ()

    @property
    def deletion_timestamp(self) -> str | None:
        value = self.metadata.get("deletionTimestamp")
        return value if isinstance(value, str) and value else None

    @property
    def deleting(self) -> bool:
        return self.deletion_timestamp is not None

    def with_metadata(self, **changes: Any) -> Self:
        """A copy with top-level metadata keys replaced (a value of None removes the key)."""
        metadata = dict(self.metadata)
        for key, value in changes.items():
            if value is None:
                metadata.pop(key, None)
            else:
                metadata[key] = value
        return attrs.evolve(self, metadata=metadata)

    def with_annotation(self, key: str, value: str | None) -> Self:
        """A copy with annotation `key` set to `value` (None removes it)."""
        return self.with_metadata(annotations=_set_key(self.annotations, key, value))

    def with_label(self, key: str, value: str | None) -> Self:
        """A copy with label `key` set to `value` (None removes it)."""
        return self.with_metadata(labels=_set_key(self.labels, key, value))


def _set_key(mapping: dict[str, str], key: str, value: str | None) -> dict[str, str] | None:
    if value is None:
        mapping.pop(key, None)
    else:
        mapping[key] = value
    return mapping or None
