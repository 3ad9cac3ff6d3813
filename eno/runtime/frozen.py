"""Deep-frozen JSON values, so objects handed out by the cache cannot be corrupted by a caller.

A `FrozenDict` is a `dict` subclass that refuses mutation, and lists become tuples: reads are zero-copy,
`json.dumps` and `isinstance(x, dict)` still work, and `copy.deepcopy` / `thaw` give back plain mutable
dicts and lists for a caller who wants to edit and write back. Keys are interned while freezing, which
keeps thousands of cached objects from each holding their own "metadata", "name", ... strings.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn, overload


class FrozenDict(dict[str, Any]):
    __slots__ = ()

    def _immutable(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("cached objects are read-only: copy.deepcopy() or thaw() one to edit it")

    __setitem__ = _immutable
    __delitem__ = _immutable
    __ior__ = _immutable
    clear = _immutable
    pop = _immutable
    popitem = _immutable
    setdefault = _immutable
    update = _immutable

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        result: dict[str, Any] = thaw(self)
        return result

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (dict(self),))


def _rebuild(data: dict[str, Any]) -> FrozenDict:
    result: FrozenDict = freeze(data)
    return result


EMPTY = FrozenDict()
_SCALARS = (str, int, float, bool, type(None))
_intern = sys.intern


def _leaf(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        # Short strings repeat across objects (apiVersion, kind, namespace, label values): share them.
        return _intern(value) if len(value) <= 24 else value
    if kind in _SCALARS:
        return value
    return freeze(value)


@overload
def freeze(value: dict[str, Any]) -> FrozenDict: ...
@overload
def freeze(value: Any) -> Any: ...
def freeze(value: Any) -> Any:
    """A deep-frozen copy of a JSON value (dicts -> FrozenDict, lists -> tuples); frozen parts are reused."""
    # Exact-type checks first: this runs for every object an informer ingests, and JSON gives plain types.
    kind = type(value)
    if kind is dict:
        if not value:
            # Empty maps are everywhere in managedFields (`"f:name": {}`): share one, as () is shared.
            return EMPTY
        return FrozenDict({_intern(k): _leaf(v) for k, v in value.items()})
    if kind is list:
        return tuple([_leaf(v) for v in value])
    if kind is FrozenDict:
        return value
    if isinstance(value, dict):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple([freeze(v) for v in value])
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable deep copy of a (possibly frozen) JSON value."""
    if isinstance(value, dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value
