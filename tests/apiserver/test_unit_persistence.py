"""SQLite persistence: objects and the revision counter survive reopening the store."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from eno.apiserver.persistence import SchemaError, SqliteBackend
from eno.apiserver.store import CompactedError, Key, Store


def cm(name: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}


A = Key("", "configmaps", "default", "a")
B = Key("", "configmaps", "default", "b")
W = Key("example.com", "widgets", "", "w")


async def test_objects_and_revision_survive_a_reopen(tmp_path: Path) -> None:
    backend = SqliteBackend.in_dir(tmp_path)
    store = Store(backend=backend)
    async with store.transaction() as txn:
        txn.put(A, cm("a", "1"))
        txn.put(B, cm("b", "1"))
        txn.put(W, {"kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 3}})
    async with store.transaction() as txn:
        txn.put(A, cm("a", "2"))
        txn.put(B, None)
    revision = store.revision
    assert revision == 5
    backend.close()

    reopened = Store(backend=SqliteBackend.in_dir(tmp_path))
    assert reopened.revision == revision
    assert reopened.get(B) is None
    a = reopened.get(A)
    assert a is not None and a["data"] == {"v": "2"} and a["metadata"]["resourceVersion"] == "4"
    assert reopened.get(W) == store.get(W)
    # The counter continues: no resourceVersion is ever reused.
    async with reopened.transaction() as txn:
        committed = txn.put(B, cm("b", "again"))
    assert committed.object is not None and committed.object["metadata"]["resourceVersion"] == "6"


async def test_a_watch_from_before_the_restart_is_told_to_relist(tmp_path: Path) -> None:
    store = Store(backend=SqliteBackend.in_dir(tmp_path))
    async with store.transaction() as txn:
        txn.put(A, cm("a", "1"))
        txn.put(A, cm("a", "2"))
    reopened = Store(backend=SqliteBackend.in_dir(tmp_path))
    with pytest.raises(CompactedError):
        reopened.subscribe("", "configmaps", None, since=1)
    watcher, backlog = reopened.subscribe("", "configmaps", None, since=reopened.revision)
    assert backlog == []
    watcher.close()


async def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    store = Store(backend=SqliteBackend.in_dir(tmp_path))

    def refuse(old: Any) -> Any:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await store.update(A, refuse)
    reopened = Store(backend=SqliteBackend.in_dir(tmp_path))
    assert reopened.revision == 0 and reopened.get(A) is None


def test_an_incompatible_schema_is_refused(tmp_path: Path) -> None:
    SqliteBackend.in_dir(tmp_path).close()
    db = sqlite3.connect(tmp_path / "store.sqlite")
    db.execute("UPDATE meta SET value = 99 WHERE name = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(SchemaError, match="schema version 99"):
        SqliteBackend.in_dir(tmp_path)
