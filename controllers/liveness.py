"""Namespace liveness (spec controllers.md §6, Eno's `--namespace-cleanup`).

A force-finalized namespace (`PUT /api/v1/namespaces/<ns>/finalize`) can leave Eno objects behind whose
finalizers can never be removed: writes into a missing namespace fail. This controller briefly recreates
such a namespace, annotated `eno.azure.io/recreation-reason: OrphanedResources`, deletes it again at once
(its own finalizer keeps it Terminating), and deletes what is left in it, so cleanup can complete.

Where Eno sleeps 0.5 s between its `checks` looks at the cache inside one reconcile, this one requeues
after 0.5 s and counts the looks per namespace: a reconcile never sleeps here.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import attrs
import structlog

from eno.api.v1 import Composition, ResourceSlice, Symphony
from eno.api.v1.constants import ANNOTATION_RECREATION_REASON, RECREATION_REASON_ORPHANED_RESOURCES
from eno.api.v1.times import parse_time
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.controller import Controller
from eno.runtime.errors import NotFound
from eno.runtime.gvk import GVK
from eno.runtime.handler import EnqueueRequestsFromMapFunc
from eno.runtime.manager import Manager
from eno.runtime.objectmeta import Object
from eno.runtime.reconcile import Request, Result

NAMESPACE = GVK("", "v1", "Namespace")
KINDS: Final = (Symphony, Composition, ResourceSlice)
CONTROLLER_NAME = "namespace"
LOG_NAME = "namespaceLivenessController"
CHECK_INTERVAL: Final = 0.5


@attrs.frozen
class Options:
    """`--namespace-cleanup` (enabled), `checks` (5 in Eno) and `--ns-creation-grace-period` (1s)."""

    namespace_cleanup: bool = True
    checks: int = 5
    creation_grace_period: float = 1.0


class NamespaceLivenessReconciler:
    def __init__(self, cache: Cache, client: Client, options: Options) -> None:
        self.cache = cache
        self.client = client
        self.options = options
        self._looks: dict[str, int] = {}

    async def reconcile(self, request: Request) -> Result:
        name = request.name
        log = structlog.get_logger(__name__).bind(namespace=name, controller=LOG_NAME)
        try:
            ns = await self.cache.get(NAMESPACE, name)
        except NotFound:
            ns = None
        if ns is not None:
            self._looks.pop(name, None)
            annotations = (ns.get("metadata") or {}).get("annotations") or {}
            if annotations.get(ANNOTATION_RECREATION_REASON) != RECREATION_REASON_ORPHANED_RESOURCES:
                return Result()
            if (ns.get("metadata") or {}).get("deletionTimestamp"):
                await self._delete_all(name)
                return Result()
            await self.client.delete(NAMESPACE, name)
            log.info("deleted_recreated_namespace")
            return Result()

        found = False
        now = dt.datetime.now(dt.UTC)
        for kind in KINDS:
            items = await self.cache.list(kind, namespace=name)
            if not items:
                continue
            created = [t for i in items if (t := _created(i.metadata.get("creationTimestamp"))) is not None]
            if created:
                newest = max(created)
                age = (now - newest).total_seconds()
                if age < self.options.creation_grace_period:
                    return Result(requeue_after=max(age, 0.1))  # too new: Eno waits the object's age
            found = True
        if not found:
            self._looks.pop(name, None)
            return Result()
        looks = self._looks.get(name, 0) + 1
        if looks < self.options.checks:
            self._looks[name] = looks
            return Result(requeue_after=CHECK_INTERVAL)  # let the informers catch up before acting
        self._looks.pop(name, None)
        await self.client.create(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": name,
                    "annotations": {ANNOTATION_RECREATION_REASON: RECREATION_REASON_ORPHANED_RESOURCES},
                },
            }
        )
        log.info("recreated_namespace_for_orphaned_resources")
        return Result()

    async def _delete_all(self, namespace: str) -> None:
        """DeleteAllOf each Eno kind in the namespace (one delete per object; finalizers still hold them)."""
        for kind in KINDS:
            for obj in await self.cache.list(kind, namespace=namespace):
                if obj.deleting:
                    continue
                try:
                    await self.client.delete(kind, obj.name, namespace)
                except NotFound:
                    pass


def _created(value: object) -> dt.datetime | None:
    try:
        return parse_time(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _namespace_of(obj: Object) -> list[Request]:
    namespace = str((obj.get("metadata") or {}).get("namespace") or "")
    return [Request("", namespace)] if namespace else []


def setup(manager: Manager, options: Options | None = None) -> Controller | None:
    """Register the namespace liveness controller (None when `namespace_cleanup` is off)."""
    options = options or Options()
    if not options.namespace_cleanup:
        return None
    builder = manager.builder().named(CONTROLLER_NAME, log_name=LOG_NAME).for_(NAMESPACE, namespaced=False)
    for kind in KINDS:
        builder = builder.watches(kind, EnqueueRequestsFromMapFunc(_namespace_of))
    return builder.complete(NamespaceLivenessReconciler(manager.cache, manager.client, options))
