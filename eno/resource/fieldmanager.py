"""Field-manager logic of the reconciler (spec reconciliation.md §8): pure functions over managedFields.

- `compare`: is a dry-run apply result equal to the live object (Eno's "in sync" test)?
- `merge_eno_managed_fields`: hand back to `eno` the fields it no longer wants that another manager now
  holds, so the next apply prunes them.
- `normalize_conflicting_managers`: the one-shot migration of legacy managers' fields into `eno`'s Apply
  entry (`--migrating-field-managers`, `--migrating-fields`).
Entries are the JSON dicts of `metadata.managedFields`; inputs are never mutated.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from eno.api.v1.constants import FIELD_MANAGER
from eno.api.v1.times import parse_time
from eno.resource.fieldsv1 import FieldPath, FieldSet, parse_fields_v1, to_fields_v1

Entry = Mapping[str, Any]
_APPLY = "Apply"
_IGNORED_METADATA = ("managedFields", "uid", "resourceVersion", "generation")


def _is_eno(entry: Entry) -> bool:
    return entry.get("manager") == FIELD_MANAGER


def _is_eno_apply(entry: Entry) -> bool:
    return _is_eno(entry) and entry.get("operation") == _APPLY


def _managed_fields(obj: Mapping[str, Any] | None) -> list[Entry]:
    metadata = obj.get("metadata") if obj is not None else None
    entries = metadata.get("managedFields") if isinstance(metadata, Mapping) else None
    return [e for e in entries if isinstance(e, Mapping)] if isinstance(entries, list | tuple) else []


def _without_bookkeeping(obj: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in obj.items() if k != "status"}
    metadata = out.get("metadata")
    if isinstance(metadata, Mapping):
        out["metadata"] = {k: v for k, v in metadata.items() if k not in _IGNORED_METADATA}
    return out


def compare(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """Whether `a` and `b` are the same as far as Eno cares: `eno`'s first managedFields entry owns the
    same fields in both, and the objects are equal without managedFields, uid, resourceVersion,
    generation and status."""
    if a is None or b is None:
        return a is None and b is None
    eno_a = next((e for e in _managed_fields(a) if _is_eno(e)), None)
    eno_b = next((e for e in _managed_fields(b) if _is_eno(e)), None)
    if (eno_a is None) != (eno_b is None):
        return False
    if eno_a is not None and eno_b is not None:
        fields_a, fields_b = eno_a.get("fieldsV1"), eno_b.get("fieldsV1")
        set_a, set_b = parse_fields_v1(fields_a), parse_fields_v1(fields_b)
        if (set_a, set_b) == (None, None):
            if fields_a != fields_b:
                return False
        elif set_a != set_b:
            return False
    return _without_bookkeeping(a) == _without_bookkeeping(b)


def _eno_apply_set(entries: Sequence[Entry]) -> FieldSet:
    """FieldsV1 of the first eno/Apply entry that parses; empty otherwise."""
    for entry in entries:
        if _is_eno_apply(entry):
            parsed = parse_fields_v1(entry.get("fieldsV1"))
            if parsed is not None:
                return parsed
    return frozenset()


def _with_fields(entry: Entry, paths: Iterable[FieldPath]) -> dict[str, Any]:
    new = dict(entry)
    new["fieldsV1"] = to_fields_v1(paths)
    return new


def merge_eno_managed_fields(
    previous: Sequence[Entry], current: Sequence[Entry], following: Sequence[Entry]
) -> tuple[list[dict[str, Any]] | None, bool]:
    """(merged entries, modified) or (None, False) when nothing needs to change.

    `previous`: managedFields of a dry-run apply of the previous manifest (with the new overrides) onto the
    live object; `current`: the live object's; `following`: the dry-run of the new desired state's.
    """
    prev_eno = _eno_apply_set(previous)
    if not prev_eno:
        return None, False
    next_eno = _eno_apply_set(following)
    current_eno = _eno_apply_set(current)
    if next_eno and not current_eno:
        handed_back = prev_eno
    else:
        others: set[FieldPath] = set()
        for entry in current:
            if not _is_eno(entry):
                others |= parse_fields_v1(entry.get("fieldsV1")) or frozenset()
        handed_back = (prev_eno - next_eno) & others
        if not handed_back:
            return None, False
    merged: list[dict[str, Any]] = []
    for entry in previous:
        fields = parse_fields_v1(entry.get("fieldsV1"))
        if fields is None:
            merged.append(copy.deepcopy(dict(entry)))
        elif _is_eno_apply(entry):
            merged.append(_with_fields(entry, fields | handed_back))
        else:
            merged.append(_with_fields(entry, fields - handed_back))
    return merged, True


@attrs.frozen
class Normalized:
    managed_fields: list[dict[str, Any]] | None  # the new entries; None when nothing changes
    modified: bool
    error: str | None = None


def _under(path: FieldPath, prefixes: Sequence[FieldPath]) -> bool:
    return any(path[: len(prefix)] == prefix for prefix in prefixes)


def _later(a: str | None, b: Any) -> str | None:
    if not isinstance(b, str) or not b:
        return a
    if a is None:
        return b
    try:
        return b if parse_time(b) > parse_time(a) else a
    except ValueError:
        return a


def normalize_conflicting_managers(
    entries: Sequence[Entry], managers: Iterable[str], field_prefixes: Iterable[str]
) -> Normalized:
    """Move the fields under `field_prefixes` (dot-separated field names: `spec`, `metadata.labels`) owned
    by the legacy `managers` into a single `eno` Apply entry, and merge several `eno` entries into one."""
    listed = {m for m in managers if m}
    prefixes = [tuple("f:" + part for part in p.split(".")) for p in field_prefixes if p]
    if not entries:
        return Normalized(None, False)
    legacy = any(
        entry.get("manager") in listed
        and any(_under(path, prefixes) for path in parse_fields_v1(entry.get("fieldsV1")) or ())
        for entry in entries
    )
    if not legacy and sum(1 for entry in entries if _is_eno(entry)) <= 1:
        return Normalized(None, False)

    moved: set[FieldPath] = set()
    latest: str | None = None
    for entry in entries:
        if _is_eno_apply(entry):
            moved |= {p for p in parse_fields_v1(entry.get("fieldsV1")) or () if _under(p, prefixes)}
            latest = _later(latest, entry.get("time"))
    out: list[dict[str, Any]] = []
    modified = False
    for entry in entries:
        if _is_eno_apply(entry):
            modified = True  # merged into the single entry appended below
            continue
        if entry.get("fieldsV1") is None or entry.get("manager") not in listed:
            out.append(copy.deepcopy(dict(entry)))
            continue
        modified = True
        fields = parse_fields_v1(entry.get("fieldsV1"))
        latest = _later(latest, entry.get("time"))
        if fields is None:
            continue  # unparseable legacy entry: dropped
        moved |= {p for p in fields if _under(p, prefixes)}
        kept = [p for p in fields if not _under(p, prefixes)]
        if kept:
            out.append(_with_fields(entry, kept))
    if moved:
        template = _template(entries)
        if template is None:
            return Normalized(None, False, "cannot synthesize eno managedFields entry: no apiVersion to copy")
        eno_entry: dict[str, Any] = {
            "manager": FIELD_MANAGER,
            "operation": _APPLY,
            "apiVersion": template["apiVersion"],
            "fieldsType": template.get("fieldsType") or "FieldsV1",
            "fieldsV1": to_fields_v1(moved),
        }
        if latest is not None:
            eno_entry["time"] = latest
        out.append(eno_entry)
    return Normalized(out, True) if modified else Normalized(None, False)


def _template(entries: Sequence[Entry]) -> Entry | None:
    with_version = [e for e in entries if e.get("apiVersion")]
    for candidates in (
        [e for e in with_version if _is_eno(e)],
        [e for e in with_version if not e.get("subresource")],
        with_version,
    ):
        if candidates:
            return candidates[0]
    return None
