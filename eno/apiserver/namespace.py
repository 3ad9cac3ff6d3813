"""Namespaces: Active on creation, and their contents go with them.

Issue 3 replaces the immediate cascade with kube's lifecycle (Terminating, spec.finalizers, /finalize);
until then deleting a namespace deletes every object in it within the same transaction.
"""

from __future__ import annotations

from typing import Any

from eno.apiserver.context import ApiContext
from eno.apiserver.store import DELETED, Event, Transaction
from eno.apiserver.strategy import Request

Obj = dict[str, Any]


def prepare(req: Request, old: Obj | None, ns: Obj) -> Obj:
    if old is None:
        ns.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        ns["status"] = {"phase": "Active"}
        name = ns["metadata"]["name"]
        ns["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    elif req.subresource != "status" and ns["metadata"].get("deletionTimestamp"):
        ns["status"] = {**ns.get("status", {}), "phase": "Terminating"}
    return ns


def make_cascade(ctx: ApiContext) -> Any:
    def cascade(txn: Transaction, event: Event) -> None:
        key = event.key
        if key.group != "" or key.resource != "namespaces" or event.type != DELETED:
            return
        for other in list(txn.keys()):
            if other.namespace == key.name:
                committed = txn.put(other, None)
                if committed.event is not None:
                    ctx.run_after_commit(txn, committed.event)

    return cascade


def install(ctx: ApiContext) -> None:
    ctx.add_prepare_hook("", "namespaces", prepare)
    ctx.after_commit.append(make_cascade(ctx))
