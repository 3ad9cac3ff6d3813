"""Server-side apply and managedFields bookkeeping, as kube-apiserver's field manager does it.

`apply` merges an applied configuration into the live object for one manager: the manager's applied set
is every leaf (and list item) of its configuration; values another manager owns and this apply changes are
conflicts unless forced (force moves them to the applier); equal values are shared; fields the manager
applied last time and no longer applies are removed unless another manager owns them. `record_update`
records a non-apply write: what changed becomes the writer's Update entry and leaves everyone else's.

Objects are plain JSON dicts; inputs are never mutated.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from eno.apiserver import errors
from eno.apiserver.ssa.fieldpath import (
    FieldSet,
    Path,
    PathElement,
    item_key,
    item_value,
    path_string,
)
from eno.apiserver.ssa.listtypes import ATOMIC, ListType, ListTypeResolver
from eno.apiserver.ssa.managedfields import (
    APPLY,
    UPDATE,
    ManagedFieldsEntry,
    decode_managed_fields,
    encode_managed_fields,
)

__all__ = [
    "BEFORE_FIRST_APPLY",
    "ApplyConflict",
    "Conflict",
    "FieldSetError",
    "apply",
    "compare",
    "field_set",
    "record_update",
]

BEFORE_FIRST_APPLY = "before-first-apply"

# Paths kube never records in managedFields (its stripMeta manager): exact paths, not subtrees.
_STRIPPED: FieldSet = frozenset(
    (("f", "metadata"), ("f", name))
    for name in (
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    )
) | frozenset({(("f", "apiVersion"),), (("f", "kind"),), (("f", "metadata"),)})


class FieldSetError(ValueError):
    """A list of type map or set whose items cannot be told apart (missing or duplicate keys)."""


@attrs.frozen
class Conflict:
    manager: str  # the other manager's name
    description: str  # as kube prints it: `"mgr"` or `"mgr" using apps/v1`
    path: Path

    @property
    def field(self) -> str:
        return path_string(self.path)


class ApplyConflict(errors.ApiError):
    """409 Conflict naming each (manager, field) an apply would take without force."""

    def __init__(self, conflicts: Iterable[Conflict]) -> None:
        self.conflicts = sorted(conflicts, key=lambda c: (c.description, _path_order(c.path)))
        causes = [
            {"reason": "FieldManagerConflict", "message": f"conflict with {c.description}", "field": c.field}
            for c in self.conflicts
        ]
        super().__init__(409, "Conflict", _conflict_message(self.conflicts), {"causes": causes})


def _path_order(path: Path) -> tuple[tuple[int, str], ...]:
    return tuple(({"f": 0, "k": 1, "v": 2, "i": 3}[k], str(p)) for k, p in path)


def _conflict_message(conflicts: list[Conflict]) -> str:
    if len(conflicts) == 1:
        c = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {c.description}: {c.field}"
    lines: list[str] = []
    for description in sorted({c.description for c in conflicts}):
        lines.append(f"conflicts with {description}:")
        lines.extend(f"- {c.field}" for c in conflicts if c.description == description)
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


# -- field sets -------------------------------------------------------------------------------------


def _resolve(resolver: ListTypeResolver, path: Path) -> ListType | None:
    return resolver(path) if path else None


def _atomic_map(resolver: ListTypeResolver, path: Path) -> bool:
    rule = _resolve(resolver, path)
    return rule is not None and rule.kind == "atomic"


def _list_rule(resolver: ListTypeResolver, path: Path) -> ListType:
    rule = _resolve(resolver, path)
    return rule if rule is not None and rule.kind in ("map", "set") else ATOMIC


def _list_elements(items: list[Any], rule: ListType, path: Path, strict: bool) -> list[PathElement] | None:
    """Each item's path element; None (or FieldSetError when strict) when items cannot be keyed."""
    out: list[PathElement] = []
    seen: set[PathElement] = set()
    for item in items:
        if rule.kind == "map":
            if not isinstance(item, Mapping):
                return _fail(strict, f"{path_string(path)}: expected map items in an associative list")
            keys: dict[str, Any] = {}
            for key in rule.keys:
                if item.get(key) is not None:
                    keys[key] = item[key]
                    continue
                has_default, default = rule.default_for(key)
                if not has_default:
                    return _fail(
                        strict,
                        f"{path_string(path)}: associative list with keys has an element that omits key "
                        f'field "{key}" (and doesn\'t have default value)',
                    )
                keys[key] = default
            pe = item_key(keys)
        else:
            if isinstance(item, Mapping | list):
                return _fail(strict, f"{path_string(path)}: expected scalar items in a set")
            pe = item_value(item)
        if pe in seen:
            return _fail(strict, f"{path_string(path)}: duplicate entries for key {path_string((pe,))}")
        seen.add(pe)
        out.append(pe)
    return out


def _fail(strict: bool, message: str) -> list[PathElement] | None:
    if strict:
        raise FieldSetError(message)
    return None


def field_set(obj: Any, list_types: ListTypeResolver, *, strict: bool = False) -> FieldSet:
    """Every leaf and list item of `obj`, less the metadata kube never tracks.

    With strict, unkeyable associative lists raise FieldSetError (as for an applied configuration);
    otherwise such a list counts as one atomic leaf (as kube tolerates in live objects).
    """
    out: set[Path] = set()
    _leaves(obj, (), list_types, strict, out)
    return frozenset(out - _STRIPPED)


def _leaves(value: Any, path: Path, resolver: ListTypeResolver, strict: bool, out: set[Path]) -> None:
    if isinstance(value, Mapping):
        if _atomic_map(resolver, path):
            out.add(path)
            return
        for key, child in value.items():
            _leaves(child, (*path, ("f", key)), resolver, strict, out)
        return
    if isinstance(value, list):
        rule = _list_rule(resolver, path)
        elements = _list_elements(value, rule, path, strict) if rule.kind != "atomic" else None
        if elements is None:
            out.add(path)
            return
        for pe, item in zip(elements, value, strict=True):
            item_path = (*path, pe)
            out.add(item_path)
            if rule.kind == "map":
                for key, child in item.items():
                    _leaves(child, (*item_path, ("f", key)), resolver, strict, out)
        return
    if path:
        out.add(path)


# -- comparison -------------------------------------------------------------------------------------


def _value_equal(a: Any, b: Any) -> bool:
    """JSON equality; numbers compare by value (1 == 1.0) but booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_value_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_value_equal(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is not type(b):
        return False
    return bool(a == b)


@attrs.frozen
class Comparison:
    added: FieldSet
    modified: FieldSet
    removed: FieldSet


def compare(old: Any, new: Any, list_types: ListTypeResolver) -> Comparison:
    """Paths added, modified and removed from old to new (an added map or list counts itself too)."""
    added: set[Path] = set()
    modified: set[Path] = set()
    removed: set[Path] = set()
    _compare(old, new, (), list_types, added, modified, removed)
    return Comparison(
        frozenset(added - _STRIPPED), frozenset(modified - _STRIPPED), frozenset(removed - _STRIPPED)
    )


def _compare(
    old: Any,
    new: Any,
    path: Path,
    resolver: ListTypeResolver,
    added: set[Path],
    modified: set[Path],
    removed: set[Path],
) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping) and not _atomic_map(resolver, path):
        _compare_maps(old, new, path, resolver, added, modified, removed)
        return
    if isinstance(old, list) and isinstance(new, list):
        rule = _list_rule(resolver, path)
        if rule.kind != "atomic":
            old_pes = _list_elements(old, rule, path, False)
            new_pes = _list_elements(new, rule, path, False)
            if old_pes is not None and new_pes is not None:
                old_items = dict(zip(old_pes, old, strict=True))
                new_items = dict(zip(new_pes, new, strict=True))
                for pe, item in old_items.items():
                    if pe not in new_items:
                        _subtree((*path, pe), item, rule, resolver, removed)
                for pe, item in new_items.items():
                    if pe not in old_items:
                        _subtree((*path, pe), item, rule, resolver, added)
                    elif rule.kind == "map":
                        _compare_maps(old_items[pe], item, (*path, pe), resolver, added, modified, removed)
                return
    if not _value_equal(old, new):
        modified.add(path)


def _compare_maps(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    path: Path,
    resolver: ListTypeResolver,
    added: set[Path],
    modified: set[Path],
    removed: set[Path],
) -> None:
    for key, value in old.items():
        if key not in new:
            _subtree_value((*path, ("f", key)), value, resolver, removed)
    for key, value in new.items():
        child = (*path, ("f", key))
        if key not in old:
            _subtree_value(child, value, resolver, added)
        else:
            _compare(old[key], value, child, resolver, added, modified, removed)


def _subtree_value(path: Path, value: Any, resolver: ListTypeResolver, out: set[Path]) -> None:
    """A value that appeared or vanished: its own path, every map and list inside, and all leaves."""
    out.add(path)
    if isinstance(value, Mapping):
        if not _atomic_map(resolver, path):
            for key, child in value.items():
                _subtree_value((*path, ("f", key)), child, resolver, out)
    elif isinstance(value, list):
        rule = _list_rule(resolver, path)
        elements = _list_elements(value, rule, path, False) if rule.kind != "atomic" else None
        for pe, item in zip(elements or (), value, strict=False):
            _subtree((*path, pe), item, rule, resolver, out)


def _subtree(path: Path, item: Any, rule: ListType, resolver: ListTypeResolver, out: set[Path]) -> None:
    out.add(path)
    if rule.kind == "map" and isinstance(item, Mapping):
        for key, child in item.items():
            _subtree_value((*path, ("f", key)), child, resolver, out)


# -- merge and prune --------------------------------------------------------------------------------


def _merge(live: Any, config: Any, path: Path, resolver: ListTypeResolver) -> Any:
    """Config merged into live (both already private copies): maps by key, lists by their type."""
    if isinstance(config, Mapping):
        if _atomic_map(resolver, path):
            return config
        out = dict(live) if isinstance(live, Mapping) else {}
        for key, value in config.items():
            if value is None:
                # An applied null owns the field and leaves it unset, as a typed object would.
                out.pop(key, None)
                continue
            out[key] = _merge(out.get(key), value, (*path, ("f", key)), resolver)
        return out
    if isinstance(config, list):
        rule = _list_rule(resolver, path)
        if rule.kind == "atomic":
            return config
        config_pes = _list_elements(config, rule, path, True)
        assert config_pes is not None
        live_pes = _list_elements(live, rule, path, False) if isinstance(live, list) else None
        if live_pes is None:
            live, live_pes = [], []
        return _merge_list(live, live_pes, config, config_pes, path, rule, resolver)
    return config


def _merge_list(
    live: list[Any],
    live_pes: list[PathElement],
    config: list[Any],
    config_pes: list[PathElement],
    path: Path,
    rule: ListType,
    resolver: ListTypeResolver,
) -> list[Any]:
    # structured-merge-diff's walk: live-only items keep their place, applied items follow config order.
    live_items = dict(zip(live_pes, live, strict=True))
    applied = set(config_pes)
    done: set[PathElement] = set()
    out: list[Any] = []
    li = ci = 0
    while li < len(live) or ci < len(config):
        if li < len(live) and ci < len(config) and live_pes[li] == config_pes[ci]:
            pe = config_pes[ci]
            out.append(_merge_item(live[li], config[ci], (*path, pe), rule, resolver))
            done.add(pe)
            li += 1
            ci += 1
            continue
        if li < len(live):
            pe = live_pes[li]
            if pe not in applied:
                out.append(live[li])
                li += 1
                continue
            if pe in done:
                li += 1
                continue
        pe = config_pes[ci]
        out.append(_merge_item(live_items.get(pe), config[ci], (*path, pe), rule, resolver))
        done.add(pe)
        ci += 1
    return out


def _merge_item(live: Any, config: Any, path: Path, rule: ListType, resolver: ListTypeResolver) -> Any:
    if rule.kind != "map":
        return config
    return _merge(live if live is not None else {}, config, path, resolver)


def _prefixes(paths: Iterable[Path]) -> set[Path]:
    out: set[Path] = set()
    for path in paths:
        for i in range(1, len(path) + 1):
            out.add(path[:i])
    return out


def _prune(obj: dict[str, Any], stale: Iterable[Path], keep: FieldSet, resolver: ListTypeResolver) -> None:
    """Remove stale paths in place, unless something at or below them is still owned."""
    kept = _prefixes(keep)
    # Ancestors first: a list item must go before the key fields that identify it.
    for path in sorted(stale, key=len):
        if path not in kept:
            _remove(obj, path, resolver, kept)


def _child_index(container: Any, pe: PathElement, path: Path, resolver: ListTypeResolver) -> Any:
    kind, payload = pe
    if kind == "f":
        return payload if isinstance(container, dict) and payload in container else None
    if not isinstance(container, list):
        return None
    if kind == "i":
        return payload if 0 <= payload < len(container) else None
    rule = _list_rule(resolver, path)
    elements = _list_elements(container, rule, path, False) if rule.kind != "atomic" else None
    if elements is None:
        return None
    for i, element in enumerate(elements):
        if element == pe:
            return i
    return None


def _remove(obj: dict[str, Any], path: Path, resolver: ListTypeResolver, kept: set[Path]) -> None:
    chain: list[tuple[Any, Any]] = []  # (container, index) from the root down
    node: Any = obj
    for depth, pe in enumerate(path):
        index = _child_index(node, pe, path[:depth], resolver)
        if index is None:
            return
        chain.append((node, index))
        node = node[index]
    # Remove the node, then any container this emptied that nobody owns anything under.
    for depth in range(len(chain) - 1, -1, -1):
        container, index = chain[depth]
        del container[index]
        if depth == 0 or container or path[:depth] in kept:
            return


# -- managedFields plumbing -------------------------------------------------------------------------


def _without_managed_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(obj))
    metadata = out.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
    return out


def _with_managed_fields(obj: dict[str, Any], entries: Iterable[ManagedFieldsEntry]) -> dict[str, Any]:
    encoded = encode_managed_fields(entries)
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        if not encoded:
            return obj
        metadata = obj["metadata"] = {}
    metadata.pop("managedFields", None)
    if encoded:
        metadata["managedFields"] = encoded
    return obj


def _typed_object_error(err: FieldSetError) -> errors.ApiError:
    # kube answers these with a bare 500 whose message is the typed-conversion error.
    return errors.ApiError(500, "", f"failed to create typed patch object: {err}")


# -- the two operations -----------------------------------------------------------------------------


def apply(
    live: Mapping[str, Any] | None,
    config: Mapping[str, Any],
    manager: str,
    *,
    force: bool,
    list_types: ListTypeResolver,
    api_version: str,
    now: str,
    subresource: str | None = None,
) -> dict[str, Any]:
    """Server-side apply of `config` by `manager` onto `live` (None creates): the new object with
    managedFields. Raises ApplyConflict (409) or ApiError (400 for a config carrying managedFields, 500 for
    unkeyable lists). Restricting the config to `status` (or dropping it) per endpoint is the caller's job.
    """
    if not manager:
        raise errors.bad_request("fieldManager must be set for apply requests")
    if not isinstance(config, Mapping):
        raise errors.bad_request("the applied configuration must be an object")
    metadata = config.get("metadata")
    if isinstance(metadata, Mapping) and metadata.get("managedFields") is not None:
        raise errors.bad_request("metadata.managedFields must be nil")
    try:
        applied = field_set(config, list_types, strict=True)
    except FieldSetError as err:
        raise _typed_object_error(err) from err

    base = _without_managed_fields(live) if live is not None else {}
    entries = decode_managed_fields(live) if live is not None else []
    if entries is None:
        # An object nobody is recorded as managing: its current fields belong to "before-first-apply",
        # so this apply neither silently takes nor prunes them.
        owner = ManagedFieldsEntry(
            BEFORE_FIRST_APPLY,
            UPDATE,
            str(base.get("apiVersion") or api_version),
            field_set(base, list_types),
            now,
        )
        entries = [owner]
    identity = (manager, APPLY, "", subresource or "")
    previous = next((e for e in entries if e.identity == identity), None)
    others = [e for e in entries if e.identity != identity]

    merged = _merge(copy.deepcopy(base), copy.deepcopy(dict(config)), (), list_types)
    if previous is not None:
        keep = applied.union(*(e.fields for e in others))
        stale = previous.fields - keep
        if stale:
            _prune(merged, stale, keep, list_types)

    diff = compare(base, merged, list_types)
    changed = diff.added | diff.modified
    conflicts: list[Conflict] = []
    remaining: list[ManagedFieldsEntry] = []
    for entry in others:
        taken = entry.fields & changed
        conflicts.extend(Conflict(entry.manager, entry.describe(), p) for p in taken)
        fields = entry.fields - taken - diff.removed
        remaining.append(entry if fields == entry.fields else attrs.evolve(entry, fields=fields))
    if conflicts and not force:
        raise ApplyConflict(conflicts)

    unchanged = previous is not None and previous.fields == applied and not (changed or diff.removed)
    time = previous.time if unchanged and previous is not None else now
    mine = ManagedFieldsEntry(manager, APPLY, api_version, applied, time, subresource or "")
    return _with_managed_fields(merged, [*remaining, mine])


def record_update(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    manager: str,
    *,
    list_types: ListTypeResolver,
    api_version: str,
    now: str,
    subresource: str | None = None,
) -> dict[str, Any]:
    """Record a non-apply write (create, update, non-apply patch) of `new` over `old` by `manager`.

    The paths that changed join the manager's Update entry and leave every other entry. managedFields sent
    in `new` replace the recorded ones when non-empty (kube lets clients rewrite them; `[{}]` clears them);
    an empty or absent list keeps `old`'s. Writes to a subresource always keep `old`'s.
    """
    requested = None if subresource else decode_managed_fields(new)
    entries = requested if requested is not None else (decode_managed_fields(old) or [])
    base = _without_managed_fields(old) if old is not None else {}
    result = _without_managed_fields(new)

    diff = compare(base, result, list_types)
    changed = diff.added | diff.modified
    identity = (manager, UPDATE, api_version, subresource or "")
    previous = next((e for e in entries if e.identity == identity), None)
    remaining: list[ManagedFieldsEntry] = []
    for entry in entries:
        if entry.identity == identity:
            continue
        fields = entry.fields - changed - diff.removed
        remaining.append(entry if fields == entry.fields else attrs.evolve(entry, fields=fields))
    before = previous.fields if previous is not None else frozenset()
    fields = (before | changed) - diff.removed
    time = now if changed or previous is None else previous.time
    mine = ManagedFieldsEntry(manager, UPDATE, api_version, fields, time, subresource or "")
    return _with_managed_fields(result, [*remaining, mine])
