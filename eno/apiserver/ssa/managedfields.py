"""managedFields entries: decoding from and encoding to an object's metadata, in kube's order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from eno.apiserver.ssa.fieldpath import FieldSet, from_fields_v1, to_fields_v1

__all__ = ["APPLY", "UPDATE", "ManagedFieldsEntry", "decode_managed_fields", "encode_managed_fields"]

APPLY = "Apply"
UPDATE = "Update"


@attrs.frozen
class ManagedFieldsEntry:
    manager: str
    operation: str
    api_version: str
    fields: FieldSet
    time: str | None = None
    subresource: str = ""
    fields_type: str = "FieldsV1"

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """kube's manager identifier: appliers are one entry whatever the apiVersion they used."""
        version = "" if self.operation == APPLY else self.api_version
        return (self.manager, self.operation, version, self.subresource)

    def describe(self) -> str:
        """The manager as kube's conflict messages print it."""
        text = f'"{self.manager}"'
        if self.subresource:
            text += f' with subresource "{self.subresource}"'
        if self.operation == UPDATE:
            text += f" using {self.api_version}"
        return text

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"manager": self.manager, "operation": self.operation}
        if self.api_version:
            out["apiVersion"] = self.api_version
        if self.time is not None:
            out["time"] = self.time
        out["fieldsType"] = self.fields_type
        out["fieldsV1"] = to_fields_v1(self.fields)
        if self.subresource:
            out["subresource"] = self.subresource
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ManagedFieldsEntry:
        """Raises ValueError when the entry cannot be decoded."""
        if not isinstance(raw, Mapping):
            raise ValueError("managedFields entry must be an object")
        fields_type = raw.get("fieldsType") or "FieldsV1"
        if fields_type != "FieldsV1":
            raise ValueError(f"unsupported fieldsType {fields_type!r}")
        return cls(
            manager=str(raw.get("manager") or ""),
            operation=str(raw.get("operation") or ""),
            api_version=str(raw.get("apiVersion") or ""),
            fields=from_fields_v1(raw.get("fieldsV1")),
            time=raw.get("time"),
            subresource=str(raw.get("subresource") or ""),
        )


def decode_managed_fields(obj: Mapping[str, Any] | None) -> list[ManagedFieldsEntry] | None:
    """The object's entries; None when it has none or they cannot be decoded (kube then ignores them)."""
    if not obj:
        return None
    raw = (obj.get("metadata") or {}).get("managedFields")
    if not raw or not isinstance(raw, list):
        return None
    try:
        return [ManagedFieldsEntry.from_json(e) for e in raw]
    except (ValueError, TypeError):
        return None


def _order(entry: ManagedFieldsEntry) -> tuple[str, str, str, str, str]:
    # kube's sortEncodedManagedFields: Apply before Update, then time, manager, apiVersion, subresource.
    return (entry.operation, entry.time or "", entry.manager, entry.api_version, entry.subresource)


def encode_managed_fields(entries: Iterable[ManagedFieldsEntry]) -> list[dict[str, Any]]:
    """Entries with fields, in kube's order, as JSON."""
    return [e.to_json() for e in sorted((e for e in entries if e.fields), key=_order)]
