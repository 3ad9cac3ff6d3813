"""The migration runbook of examples/migration, driven step by step against a cluster, and the invariants
of spec migration.md checked over every revision the API server stored."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import attrs
import yaml
from eno_cmd.dev import EXAMPLES, example_objects

from eno.api.v1 import Composition
from eno.apiserver.server import ApiServer
from eno.apiserver.store import Key
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from tests.daemons.conftest import apply
from tests.eventually import eventually

EXAMPLE = EXAMPLES / "migration"
STEPS = EXAMPLE / "steps"
OWNER_KEY = "migration.example.com/owner"
SOURCE, TARGET = "migration-source", "migration-target"
MOVED = (Key("", "configmaps", "default", "moved-config"), Key("apps", "deployments", "default", "moved-app"))
OWN = (Key("", "configmaps", "default", "source-own"), Key("", "configmaps", "default", "target-own"))
TIMEOUT = float(os.environ.get("MIGRATION_TIMEOUT", "90"))
CONFIGMAP = GVK("", "v1", "ConfigMap")
SYMPHONY = GVK("eno.azure.io", "v1", "Symphony")


def step_objects(step: str, condition: str) -> list[dict[str, Any]]:
    (path,) = STEPS.glob(f"{step}-*.yaml")
    objects = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    for obj in objects:
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == "migration-plan":
            obj["data"]["condition"] = condition
    return objects


def example(condition: str) -> list[dict[str, Any]]:
    objects = example_objects(EXAMPLE)
    for obj in objects:
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == "migration-plan":
            obj["data"]["condition"] = condition
    return objects


def writer(obj: dict[str, Any]) -> str | None:
    """Who wrote this revision of a moved object, by content."""
    if obj.get("kind") == "ConfigMap":
        value = (obj.get("data") or {}).get("writer")
    else:
        value = ((obj.get("metadata") or {}).get("annotations") or {}).get("example.com/writer")
    return value if isinstance(value, str) else None


async def compositions(client: Client) -> dict[str, Composition]:
    """The symphony's compositions by synthesizer name."""
    listed = await client.list(Composition, "default")
    return {c.spec.synthesizer.name: c for c in listed.items}


@attrs.define
class Runbook:
    cluster: ApiServer
    client: Client
    condition: str = "seed"
    flip_revision: int = 0
    # Called right after each step's write, before waiting for it (the soak kills a daemon there).
    after_write: Callable[[str], Awaitable[None]] | None = None
    seen: set[str] = attrs.field(factory=set)  # every composition name observed (histories outlive them)

    async def deploy(self) -> None:
        await apply(self.client, example(self.condition))
        await self.settled()

    async def step(self, step: str) -> int:
        """Apply a runbook step, return the revision of its write, wait until it is deployed."""
        revision = 0
        for obj in step_objects(step, self.condition):
            written = await self.client.patch(
                obj, patch=obj, patch_type="apply", field_manager="test", force=True
            )
            revision = int(_rv(written))
        if self.after_write is not None:
            await self.after_write(step)
        await self.settled()
        return revision

    async def settled(self) -> None:
        """Deployed, as observed in status: both compositions synthesized from the latest plan and Symphony,
        reconciled and Ready, carrying the annotations their variations say."""
        plan = await self.client.get(CONFIGMAP, "migration-plan", "default")
        plan_rv = _rv(plan)

        async def check() -> bool:
            symphony = await self.client.get(SYMPHONY, "migration", "default")
            wanted = {
                v["synthesizer"]["name"]: v.get("annotations") or {} for v in symphony["spec"]["variations"]
            }
            comps = await compositions(self.client)
            self.seen |= {c.name for c in comps.values()}
            assert set(comps) == set(wanted), f"compositions {sorted(comps)}"
            for name, comp in comps.items():
                synthesis = comp.status.current_synthesis
                simplified = comp.status.simplified
                assert synthesis is not None and synthesis.reconciled is not None, f"{name} not reconciled"
                assert comp.status.in_flight_synthesis is None, f"{name} synthesizing"
                assert simplified is not None and simplified.status == "Ready", f"{name}: {simplified}"
                revisions = synthesis.input_revisions
                assert any(r.key == "plan" and r.resource_version == plan_rv for r in revisions), (
                    f"{name} not synthesized from plan {plan_rv}: {revisions}"
                )
                annotations = comp.metadata.get("annotations") or {}
                for key, value in wanted[name].items():
                    assert annotations.get(key, "") == value, f"{name}: {key}={annotations.get(key)!r}"
            return True

        await eventually(check, timeout=TIMEOUT, interval=0.1, message="runbook step deployed")

    async def moved_written_by(self, name: str) -> None:
        async def check() -> bool:
            return all(
                (obj := self.cluster.store.get(key)) is not None and writer(dict(obj)) == name
                for key in MOVED
            )

        await eventually(check, timeout=TIMEOUT, interval=0.05, message=f"moved objects written by {name}")

    async def run(self) -> None:
        await self.deploy()
        await self.moved_written_by("source")
        await self.step("1")
        await self.step("2")
        self.flip_revision = await self.step("3")
        await self.moved_written_by("target")
        await self.step("4")
        await self.step("5")
        await self.moved_written_by("target")


def _rv(obj: Any) -> str:
    metadata = obj["metadata"] if isinstance(obj, dict) else obj.metadata
    value = metadata["resourceVersion"] if isinstance(metadata, dict) else metadata.resource_version
    return str(value)


# Invariants over the store's full history.


def composition_keys(names: Iterable[str]) -> list[Key]:
    return [Key("eno.azure.io", "compositions", "default", name) for name in sorted(names)]


def owners_per_revision(cluster: ApiServer, keys: Iterable[Key]) -> dict[int, set[str]]:
    """At every revision at which a composition changed: which compositions carried `OWNER_KEY: "true"`."""
    events = sorted((e.revision, key, e) for key in keys for e in cluster.store.history(key))
    carrying: dict[Key, bool] = {}
    out: dict[int, set[str]] = {}
    for revision, key, entry in events:
        annotations = (entry.object.get("metadata") or {}).get("annotations") or {}
        carrying[key] = entry.type != "DELETED" and annotations.get(OWNER_KEY) == "true"
        out[revision] = {k.name for k, on in carrying.items() if on}
    return out


def check_invariants(cluster: ApiServer, flip_revision: int, names: Iterable[str]) -> None:
    owners = owners_per_revision(cluster, composition_keys(names))
    doubled = {rev: names for rev, names in owners.items() if len(names) > 1}
    assert not doubled, f"two compositions carried the owner key at once: {doubled}"
    assert flip_revision > 0
    for key in MOVED:
        history = cluster.store.history(key)
        assert history, key
        assert all(e.type != "DELETED" for e in history), f"{key} was deleted"
        uids = {(e.object.get("metadata") or {}).get("uid") for e in history}
        assert len(uids) == 1, f"{key} was recreated: {uids}"
        before = [writer(dict(e.object)) for e in history if e.revision < flip_revision]
        after = [writer(dict(e.object)) for e in history if e.revision > flip_revision]
        assert "target" not in before, f"{key}: the new owner wrote before the flip: {before}"
        # After the flip: the old owner's content may linger until the new owner's first write, never after.
        assert "target" in after, f"{key}: the new owner never wrote"
        first = after.index("target")
        assert "source" not in after[first:], f"{key}: the old owner wrote after the flip: {after}"
    for key in OWN:
        assert all(e.type != "DELETED" for e in cluster.store.history(key)), f"{key} was deleted"
