"""Predicates filter watch events before they reach a controller's queue (controller-runtime's predicate).

A predicate answers per event type; an event is enqueued only if every predicate of its watch says yes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import attrs

from eno.runtime import objectmeta
from eno.runtime.objectmeta import Object


class Predicate(Protocol):
    def create(self, obj: Object) -> bool: ...

    def update(self, old: Object, new: Object) -> bool: ...

    def delete(self, obj: Object) -> bool: ...

    def generic(self, obj: Object) -> bool: ...


def _yes(*_: Object) -> bool:
    return True


@attrs.frozen
class Funcs:
    """A predicate from optional callables; a missing one lets its events through."""

    on_create: Callable[[Object], bool] = _yes
    on_update: Callable[[Object, Object], bool] = _yes
    on_delete: Callable[[Object], bool] = _yes
    on_generic: Callable[[Object], bool] = _yes

    def create(self, obj: Object) -> bool:
        return self.on_create(obj)

    def update(self, old: Object, new: Object) -> bool:
        return self.on_update(old, new)

    def delete(self, obj: Object) -> bool:
        return self.on_delete(obj)

    def generic(self, obj: Object) -> bool:
        return self.on_generic(obj)


def new_predicate_funcs(keep: Callable[[Object], bool]) -> Funcs:
    """Filter every event by one test on the object (the new object for updates)."""
    return Funcs(on_create=keep, on_update=lambda _old, new: keep(new), on_delete=keep, on_generic=keep)


def _changed(field: Callable[[Object], Any]) -> Funcs:
    return Funcs(on_update=lambda old, new: field(old) != field(new))


# Updates pass only when metadata.generation changed (spec changes; status-only writes are dropped).
GenerationChanged = _changed(objectmeta.generation)
# Updates pass only when the labels / annotations changed.
LabelsChanged = _changed(lambda obj: dict(objectmeta.labels(obj)))
AnnotationsChanged = _changed(lambda obj: dict(objectmeta.annotations(obj)))
# Updates pass only when the resourceVersion changed: drops resync's (obj, obj) updates.
ResourceVersionChanged = _changed(objectmeta.resource_version)


def label_selector(match_labels: Mapping[str, str]) -> Funcs:
    """Events for objects carrying every given label."""

    def keep(obj: Object) -> bool:
        labels = objectmeta.labels(obj)
        return all(labels.get(k) == v for k, v in match_labels.items())

    return new_predicate_funcs(keep)


def and_(*predicates: Predicate) -> Funcs:
    return Funcs(
        on_create=lambda obj: all(p.create(obj) for p in predicates),
        on_update=lambda old, new: all(p.update(old, new) for p in predicates),
        on_delete=lambda obj: all(p.delete(obj) for p in predicates),
        on_generic=lambda obj: all(p.generic(obj) for p in predicates),
    )


def or_(*predicates: Predicate) -> Funcs:
    return Funcs(
        on_create=lambda obj: any(p.create(obj) for p in predicates),
        on_update=lambda old, new: any(p.update(old, new) for p in predicates),
        on_delete=lambda obj: any(p.delete(obj) for p in predicates),
        on_generic=lambda obj: any(p.generic(obj) for p in predicates),
    )


def not_(predicate: Predicate) -> Funcs:
    return Funcs(
        on_create=lambda obj: not predicate.create(obj),
        on_update=lambda old, new: not predicate.update(old, new),
        on_delete=lambda obj: not predicate.delete(obj),
        on_generic=lambda obj: not predicate.generic(obj),
    )
