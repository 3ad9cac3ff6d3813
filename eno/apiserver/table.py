"""Server-side printing: meta.k8s.io/v1 Table objects, as kube-apiserver renders them for kubectl.

- Custom resources: Name, then the CRD version's additionalPrinterColumns (JSONPath, typed cells, `date`
  columns as ages); a CRD without columns gets Name + Age, as apiextensions-apiserver defaults them.
- Built-ins: the columns of kube's printers for the kinds we serve (printers.py); any other kind gets
  kube's default convertor (Name, Created At).
- Ages are kubectl's `duration.HumanDuration` (`5s`, `3m2s`, `5h`, `2d3h`, `2y`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from eno.apiserver import errors, jsonpath

if TYPE_CHECKING:
    from eno.apiserver.registry import ResourceInfo

Obj = Mapping[str, Any]
Cell = Callable[[Obj, datetime], Any]

NAME_DESCRIPTION = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources "
    "may allow a client to request the generation of an appropriate name automatically. Name is primarily "
    "intended for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
CREATION_TIMESTAMP_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this "
    "value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for "
    "lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
    "#metadata"
)


@attrs.frozen
class PrinterColumn:
    name: str
    type: str = "string"
    json_path: str = ""
    format: str = ""
    description: str = ""
    priority: int = 0
    # Built-in printers compute cells in code; CRD columns use json_path.
    compute: Cell | None = attrs.field(default=None, eq=False, repr=False)

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }

    def cell(self, obj: Obj, now: datetime) -> Any:
        if self.compute is not None:
            return self.compute(obj, now)
        return json_path_cell(obj, self.json_path, self.type, now)


# --- ages and times ---


def human_duration(seconds: float) -> str:
    """kubectl's duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if days == 0 else f"{years}y{days}d"
    return f"{hours // 24 // 365}y"


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def age(value: Any, now: datetime) -> str:
    """An age cell: `<unknown>` for a missing timestamp, `<invalid>` for an unparsable one."""
    if value is None or value == "":
        return "<unknown>"
    then = parse_time(value)
    if then is None:
        return "<invalid>"
    return human_duration((now - then).total_seconds())


def meta_of(obj: Obj) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def name_of(obj: Obj, _now: datetime) -> Any:
    return meta_of(obj).get("name", "")


def _age(obj: Obj, now: datetime) -> Any:
    return age(meta_of(obj).get("creationTimestamp"), now)


def created_at(obj: Obj, _now: datetime) -> Any:
    then = parse_time(meta_of(obj).get("creationTimestamp"))
    if then is None:
        return "0001-01-01T00:00:00Z"
    return then.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


NAME_COLUMN = PrinterColumn("Name", "string", format="name", description=NAME_DESCRIPTION, compute=name_of)
AGE_COLUMN = PrinterColumn("Age", "string", description=CREATION_TIMESTAMP_DESCRIPTION, compute=_age)
CREATED_AT_COLUMN = PrinterColumn(
    "Created At", "date", description=CREATION_TIMESTAMP_DESCRIPTION, compute=created_at
)


# --- JSONPath cells (CRD columns) ---


def go_float(value: float) -> str:
    """Go's %v for a float64 (strconv 'g', shortest): 1.5, 3, 100000, 1e+06, 1.2345678e+07, 1e-05."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    parts = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(str(d) for d in parts.digits)
    point = len(digits) + int(parts.exponent)  # where the decimal point sits relative to the digits
    exp = point - 1
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'+' if exp >= 0 else '-'}{abs(exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def go_print(value: Any) -> str:
    """How kube's jsonpath prints one result: maps and lists as compact JSON, scalars as Go's fmt does."""
    if isinstance(value, Mapping | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    return str(value)


def json_path_cell(obj: Obj, path: str, column_type: str, now: datetime) -> Any:
    """A CRD printer column cell, as apiextensions' tableconvertor computes it (first result only)."""
    try:
        results = jsonpath.find(obj, path)
    except jsonpath.JSONPathError:
        return None
    if not results or results[0] is None:
        return None
    value = results[0]
    if column_type == "string":
        return go_print(value)
    if column_type == "integer":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
        return None
    if column_type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)
    if column_type == "boolean":
        return value if isinstance(value, bool) else None
    if column_type == "date":
        return age(value, now) if isinstance(value, str) else None
    return None


def columns_from_crd(raw_columns: Sequence[Mapping[str, Any]]) -> list[PrinterColumn]:
    """Name, then the CRD's additionalPrinterColumns; Name + Age when it defines none."""
    if not raw_columns:
        raw_columns = [
            {
                "name": "Age",
                "type": "date",
                "jsonPath": ".metadata.creationTimestamp",
                "description": CREATION_TIMESTAMP_DESCRIPTION,
            }
        ]
    columns = [NAME_COLUMN]
    for raw in raw_columns:
        columns.append(
            PrinterColumn(
                name=str(raw.get("name", "")),
                type=str(raw.get("type", "string")),
                json_path=str(raw.get("jsonPath", "")),
                format=str(raw.get("format", "")),
                description=str(raw.get("description", "")),
                priority=int(raw.get("priority", 0) or 0),
            )
        )
    return columns


def crd_columns(crd_version: Mapping[str, Any]) -> list[PrinterColumn]:
    """Columns for one entry of a CRD's spec.versions."""
    return columns_from_crd(crd_version.get("additionalPrinterColumns") or [])


def default_columns(kind: str) -> list[PrinterColumn]:
    """Columns kube's printer uses for a built-in kind; kube's default convertor (Name, Created At) else."""
    # Imported here: printers builds its columns from this module's primitives.
    from eno.apiserver.printers import BUILTIN_COLUMNS

    return list(BUILTIN_COLUMNS.get(kind, [NAME_COLUMN, CREATED_AT_COLUMN]))


# --- tables ---


def _row_object(obj: Obj, include_object: str) -> dict[str, Any] | None:
    if include_object == "Object":
        return dict(obj)
    if include_object == "Metadata":
        return {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": dict(meta_of(obj)),
        }
    return None


def render_table(
    objs: Sequence[Obj],
    columns: Sequence[PrinterColumn],
    now: datetime,
    include_object: str = "Metadata",
    column_definitions: bool = True,
) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table; `include_object` is the request's includeObject (None|Metadata|Object)."""
    rows = []
    for obj in objs:
        row: dict[str, Any] = {"cells": [column.cell(obj, now) for column in columns]}
        row_object = _row_object(obj, include_object)
        if row_object is not None:
            row["object"] = row_object
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": [c.definition() for c in columns] if column_definitions else [],
        "rows": rows,
    }


def columns_for(info: ResourceInfo) -> list[PrinterColumn]:
    if info.builtin:
        return default_columns(info.kind)
    return columns_from_crd(info.printer_columns)


def render_for_resource(
    info: ResourceInfo, objs: Sequence[Obj], include_object: str, column_definitions: bool
) -> dict[str, Any]:
    """The server's TableRenderer (output.TableRenderer): columns from the resource, now = wall clock."""
    return render_table(objs, columns_for(info), datetime.now(UTC), include_object, column_definitions)


# --- CRD printer column validation (for CRD creation) ---

PRINTER_COLUMN_TYPES = ("boolean", "date", "integer", "number", "string")
PRINTER_COLUMN_FORMATS = ("byte", "date", "date-time", "double", "float", "int32", "int64", "password")


def printer_column_errors(columns: Any, path: str) -> list[dict[str, Any]]:
    """What kube's CRD validation says about additionalPrinterColumns (`path` is e.g.
    `spec.versions[0].additionalPrinterColumns`)."""
    causes: list[dict[str, Any]] = []
    if not isinstance(columns, list):
        return causes
    for i, column in enumerate(columns):
        here = f"{path}[{i}]"
        if not isinstance(column, Mapping):
            continue
        if not column.get("name"):
            causes.append(errors.required(f"{here}.name"))
        kind = column.get("type") or ""
        if not kind:
            causes.append(errors.required(f"{here}.type"))
        elif kind not in PRINTER_COLUMN_TYPES:
            causes.append(errors.not_supported(f"{here}.type", kind, PRINTER_COLUMN_TYPES))
        fmt = column.get("format") or ""
        if fmt and fmt not in PRINTER_COLUMN_FORMATS:
            causes.append(errors.not_supported(f"{here}.format", fmt, PRINTER_COLUMN_FORMATS))
        json_path = column.get("jsonPath")
        if json_path is None or json_path == "":
            causes.append(errors.required(f"{here}.jsonPath"))
        elif not str(json_path).startswith("."):
            causes.append(
                errors.invalid_value(
                    f"{here}.jsonPath", json_path, "must be a simple json path starting with ."
                )
            )
        else:
            try:
                jsonpath.parse(str(json_path))
            except jsonpath.JSONPathError as exc:
                causes.append(errors.invalid_value(f"{here}.jsonPath", json_path, f"invalid JSONPath: {exc}"))
    return causes
