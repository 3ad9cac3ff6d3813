"""Declare a controller's watches the way controller-runtime's builder does: For, Owns, Watches.

    Builder(manager).for_(Composition).owns(RESOURCE_SLICE).complete(reconciler)

Every watch reads through the manager's shared cache, so a controller's watches and its reads share one
informer per kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from eno.runtime.controller import Controller
from eno.runtime.gvk import GVK, KubeObject, gvk_of_type
from eno.runtime.handler import EnqueueRequestForObject, EnqueueRequestForOwner, EventHandler
from eno.runtime.predicates import Predicate
from eno.runtime.ratelimiter import RateLimiter
from eno.runtime.reconcile import Reconciler, Request

if TYPE_CHECKING:
    from eno.runtime.manager import Manager

Kind = GVK | type[KubeObject]


def _gvk(kind: Kind) -> GVK:
    return kind if isinstance(kind, GVK) else gvk_of_type(kind)


@attrs.frozen
class _Watch:
    kind: GVK
    handler: EventHandler | _OwnedBy
    predicates: tuple[Predicate, ...]


class Builder:
    def __init__(self, manager: Manager) -> None:
        self._manager = manager
        self._for: _Watch | None = None
        self._owner_namespaced = True
        self._watches: list[_Watch] = []
        self._name: str | None = None
        self._log_name: str | None = None
        self._max_concurrent_reconciles = 1
        self._rate_limiter: RateLimiter[Request] | None = None
        self._needs_leader_election = True
        self._global_predicates: tuple[Predicate, ...] = ()

    def named(self, name: str, log_name: str | None = None) -> Builder:
        """The metric label (default: the primary kind, lower-cased) and the log name."""
        self._name = name
        self._log_name = log_name
        return self

    def for_(self, kind: Kind, *predicates: Predicate, namespaced: bool = True) -> Builder:
        """The primary kind: each of its objects is a request."""
        if self._for is not None:
            raise ValueError("for_() may only be called once")
        self._for = _Watch(_gvk(kind), EnqueueRequestForObject(), predicates)
        self._owner_namespaced = namespaced
        return self

    def owns(self, kind: Kind, *predicates: Predicate, only_controller: bool = True) -> Builder:
        """An owned kind: events map to the owning primary object through ownerReferences."""
        self._watches.append(_Watch(_gvk(kind), _OwnedBy(only_controller), predicates))
        return self

    def watches(self, kind: Kind, handler: EventHandler, *predicates: Predicate) -> Builder:
        """Any kind, mapped to requests by `handler` (e.g. EnqueueRequestsFromMapFunc)."""
        self._watches.append(_Watch(_gvk(kind), handler, predicates))
        return self

    def with_event_filter(self, *predicates: Predicate) -> Builder:
        """Predicates applied to every watch."""
        self._global_predicates += predicates
        return self

    def with_options(
        self,
        *,
        max_concurrent_reconciles: int | None = None,
        rate_limiter: RateLimiter[Request] | None = None,
        needs_leader_election: bool | None = None,
    ) -> Builder:
        if needs_leader_election is not None:
            self._needs_leader_election = needs_leader_election
        if max_concurrent_reconciles is not None:
            self._max_concurrent_reconciles = max_concurrent_reconciles
        if rate_limiter is not None:
            self._rate_limiter = rate_limiter
        return self

    def complete(self, reconciler: Reconciler) -> Controller:
        if self._for is None and not self._name:
            raise ValueError("a controller needs for_() or named()")
        name = self._name or (self._for.kind.kind.lower() if self._for else "")
        manager = self._manager
        controller = Controller(
            name,
            reconciler,
            max_concurrent_reconciles=self._max_concurrent_reconciles,
            rate_limiter=self._rate_limiter,
            registry=manager.registry,
            log_name=self._log_name,
            cache_sync_timeout=manager.cache_sync_timeout,
            needs_leader_election=self._needs_leader_election,
        )
        watches = [self._for] if self._for else []
        for watch in [*watches, *self._watches]:
            handler: EventHandler
            if isinstance(watch.handler, _OwnedBy):
                if self._for is None:
                    raise ValueError("owns() needs for_(): the owner is the primary kind")
                handler = EnqueueRequestForOwner(
                    self._for.kind.api_version,
                    self._for.kind.kind,
                    only_controller=watch.handler.only_controller,
                    owner_namespaced=self._owner_namespaced,
                )
            else:
                handler = watch.handler
            informer = manager.cache.informer_for(watch.kind)
            controller.watch(informer, handler, *self._global_predicates, *watch.predicates)
        manager.add_controller(controller)
        return controller


@attrs.frozen
class _OwnedBy:
    """An owns() watch; complete() turns it into EnqueueRequestForOwner once the owner kind is known."""

    only_controller: bool
