"""What every handler works with: the store, the registry, per-resource hooks and the table renderer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from eno.apiserver import deletion, strategy
from eno.apiserver.output import TableRenderer
from eno.apiserver.registry import Registry, ResourceInfo
from eno.apiserver.store import Committed, Event, Key, Mutation, Store, Transaction
from eno.apiserver.strategy import Hook, Hooks, Request
from eno.apiserver.table import render_for_resource

# Runs after a commit, inside the same transaction (CRD registration, cascading deletes).
AfterCommit = Callable[[Transaction, Event], None]
# (request, the stored object, DeleteOptions) -> the object to keep (marked for deletion) or None to remove.
DeleteHook = Callable[[Request, dict[str, Any], dict[str, Any]], dict[str, Any] | None]


@attrs.define
class ApiContext:
    store: Store
    registry: Registry
    table: TableRenderer = render_for_resource
    # Prepare hooks by (group, resource), plus ones for every custom resource and every built-in kind; they
    # run custom/built-in first, then the resource's own.
    prepare_hooks: dict[tuple[str, str], list[Hook]] = attrs.field(factory=dict)
    custom_hooks: list[Hook] = attrs.field(factory=list)
    builtin_hooks: list[Hook] = attrs.field(factory=list)
    # Run last on every write, after generation is settled (managedFields).
    finish_hooks: list[Hook] = attrs.field(factory=list)
    after_commit: list[AfterCommit] = attrs.field(factory=list)
    # A resource's own DELETE semantics (namespaces), replacing the generic finalizer rule.
    delete_hooks: dict[tuple[str, str], DeleteHook] = attrs.field(factory=dict)
    bookmark_interval: float = 1.0
    # Encoded watch events shared by watchers: (revision, type, apiVersion, form) -> bytes, recent ones only.
    event_cache: dict[tuple[int, str, str, str], bytes] = attrs.field(factory=dict)

    def hooks(self, info: ResourceInfo) -> Hooks:
        own = self.prepare_hooks.get((info.group, info.resource), [])
        common = self.builtin_hooks if info.builtin else self.custom_hooks
        return Hooks(prepare=(*common, *own), finish=tuple(self.finish_hooks))

    def remember_event(self, key: tuple[int, str, str, str], encoded: bytes) -> None:
        self.event_cache[key] = encoded
        if len(self.event_cache) > 4096:
            for old in list(self.event_cache)[:1024]:
                del self.event_cache[old]

    def delete(self, req: Request, old: dict[str, Any], options: dict[str, Any]) -> dict[str, Any] | None:
        """DELETE semantics: GC finalizers from the propagation policy, then the resource's own rule or the
        generic one (finalizers hold the object)."""
        strategy.check_preconditions(req, old, options)
        own = self.delete_hooks.get((req.info.group, req.info.resource))
        if own is not None:
            return own(req, old, options)
        return strategy.prepare_delete(req, deletion.with_gc_finalizers(old, options), options)

    def add_prepare_hook(self, group: str, resource: str, hook: Hook) -> None:
        self.prepare_hooks.setdefault((group, resource), []).append(hook)

    async def write(self, key: Key, mutate: Mutation) -> Committed:
        async with self.store.transaction() as txn:
            return self.write_in(txn, key, mutate)

    def write_in(self, txn: Transaction, key: Key, mutate: Mutation) -> Committed:
        committed = txn.update(key, mutate)
        if committed.event is not None:
            self.run_after_commit(txn, committed.event)
        return committed

    def run_after_commit(self, txn: Transaction, event: Event) -> None:
        for hook in self.after_commit:
            hook(txn, event)
