"""What every handler works with: the store, the registry, per-resource hooks and the table renderer."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from eno.apiserver.output import TableRenderer
from eno.apiserver.registry import Registry, ResourceInfo
from eno.apiserver.store import Committed, Event, Key, Mutation, Store, Transaction
from eno.apiserver.strategy import Hook, Hooks
from eno.apiserver.table import render_for_resource

# Runs after a commit, inside the same transaction (CRD registration, cascading deletes).
AfterCommit = Callable[[Transaction, Event], None]


@attrs.define
class ApiContext:
    store: Store
    registry: Registry
    table: TableRenderer = render_for_resource
    # Prepare hooks by (group, resource); the key ("*", "*") applies to every custom resource.
    prepare_hooks: dict[tuple[str, str], list[Hook]] = attrs.field(factory=dict)
    after_commit: list[AfterCommit] = attrs.field(factory=list)
    bookmark_interval: float = 1.0

    def hooks(self, info: ResourceInfo) -> Hooks:
        own = self.prepare_hooks.get((info.group, info.resource), [])
        custom = [] if info.builtin else self.prepare_hooks.get(("*", "*"), [])
        return Hooks(prepare=(*custom, *own))

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
