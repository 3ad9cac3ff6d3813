"""SQLite persistence for `--data-dir`: every object and the revision counter survive a restart.

A `Backend` for the store: `load()` once at startup, then `commit(revision, key, obj)` for every committed
event, written through in one SQLite transaction (the object row and the revision counter together), before
the event reaches watchers and before the HTTP response returns. WAL with synchronous=NORMAL: a commit
survives the process dying at any point (a power cut may lose the last few, never tear one).

Only current objects are kept, not the event history: after a restart a watch from an older revision gets
410 Gone, as after an etcd compaction, and clients relist.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from eno.apiserver.store import Key

Obj = dict[str, Any]

FILENAME = "store.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    api_group TEXT NOT NULL,
    resource  TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name      TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (api_group, resource, namespace, name)
);
"""


class SchemaError(RuntimeError):
    """The data directory was written by an incompatible version."""


class SqliteBackend:
    """The store's persistent backend, one SQLite file per data directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: explicit BEGIN/COMMIT, one transaction per commit().
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._check_schema()

    @classmethod
    def in_dir(cls, data_dir: str | Path) -> SqliteBackend:
        return cls(Path(data_dir) / FILENAME)

    def _check_schema(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta (name, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            raise SchemaError(f"{self.path}: schema version {row[0]}, this server reads {SCHEMA_VERSION}")

    def load(self) -> tuple[int, dict[Key, Obj]]:
        row = self._db.execute("SELECT value FROM meta WHERE name = 'revision'").fetchone()
        revision = int(row[0]) if row else 0
        objects: dict[Key, Obj] = {}
        for group, resource, namespace, name, body in self._db.execute(
            "SELECT api_group, resource, namespace, name, body FROM objects"
        ):
            objects[Key(group, resource, namespace, name)] = json.loads(body)
        return revision, objects

    def commit(self, revision: int, key: Key, obj: Obj | None) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            if obj is None:
                db.execute(
                    "DELETE FROM objects WHERE api_group = ? AND resource = ? AND namespace = ? AND name = ?",
                    (key.group, key.resource, key.namespace, key.name),
                )
            else:
                db.execute(
                    "INSERT OR REPLACE INTO objects (api_group, resource, namespace, name, revision, body) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        key.group,
                        key.resource,
                        key.namespace,
                        key.name,
                        revision,
                        json.dumps(obj, separators=(",", ":")),
                    ),
                )
            db.execute(
                "INSERT INTO meta (name, value) VALUES ('revision', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (revision,),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()
