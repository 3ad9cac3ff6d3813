"""Event handlers turn a watch event into the requests to reconcile (controller-runtime's handler).

They are pure: given the event's object(s), return the set of requests. The controller enqueues them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

import attrs

from eno.runtime import objectmeta
from eno.runtime.objectmeta import Object
from eno.runtime.reconcile import Request


class EventHandler(Protocol):
    def create(self, obj: Object) -> set[Request]: ...

    def update(self, old: Object, new: Object) -> set[Request]: ...

    def delete(self, obj: Object) -> set[Request]: ...

    def generic(self, obj: Object) -> set[Request]: ...


def request_for(obj: Object) -> Request:
    return Request(objectmeta.namespace(obj), objectmeta.name(obj))


class _ByMapping:
    """A handler applying one mapping to each object of an event (both old and new on updates)."""

    def map(self, obj: Object) -> set[Request]:
        raise NotImplementedError

    def create(self, obj: Object) -> set[Request]:
        return self.map(obj)

    def update(self, old: Object, new: Object) -> set[Request]:
        return self.map(old) | self.map(new)

    def delete(self, obj: Object) -> set[Request]:
        return self.map(obj)

    def generic(self, obj: Object) -> set[Request]:
        return self.map(obj)


class EnqueueRequestForObject(_ByMapping):
    """The object itself (a controller's primary kind)."""

    def map(self, obj: Object) -> set[Request]:
        return {request_for(obj)} if objectmeta.name(obj) else set()

    def update(self, old: Object, new: Object) -> set[Request]:
        return self.map(new)


@attrs.frozen
class EnqueueRequestForOwner(_ByMapping):
    """The object's owners of one kind, found through its ownerReferences (an owned kind).

    Owners match by API group and kind; the version is ignored, as controller-runtime does. With
    `only_controller` only the reference marked `controller: true` counts. A namespaced owner lives in the
    object's namespace; a cluster-scoped owner gets an empty namespace.
    """

    owner_api_version: str
    owner_kind: str
    only_controller: bool = True
    owner_namespaced: bool = True

    def map(self, obj: Object) -> set[Request]:
        group = objectmeta.api_group(self.owner_api_version)
        namespace = objectmeta.namespace(obj) if self.owner_namespaced else ""
        requests = set()
        for ref in objectmeta.owner_references(obj):
            if self.only_controller and not ref.get("controller"):
                continue
            if ref.get("kind") != self.owner_kind:
                continue
            if objectmeta.api_group(str(ref.get("apiVersion", ""))) != group:
                continue
            if ref.get("name"):
                requests.add(Request(namespace, str(ref["name"])))
        return requests


class EnqueueRequestsFromMapFunc(_ByMapping):
    """Any requests a function derives from the object (a mapped kind)."""

    def __init__(self, fn: Callable[[Object], Iterable[Request]]) -> None:
        self._fn = fn

    def map(self, obj: Object) -> set[Request]:
        return set(self._fn(obj))
