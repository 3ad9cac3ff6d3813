"""The Patch pseudo-kind (Eno's patch_test.go, examples 101 and 102)."""

from __future__ import annotations

from typing import Any

from eno.runtime.client import Client
from tests.eventually import eventually
from tests.reconciliation.conftest import CONFIGMAP, Synthesizer, configmap, get_or_none, until

GROUP = "eno.azure.io/readiness-group"


def patch(name: str, ops: list[dict[str, Any]], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": "default"}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Patch",
        "metadata": metadata,
        "patch": {"apiVersion": "v1", "kind": "ConfigMap", "ops": ops},
    }


DELETE = [{"op": "add", "path": "/metadata/deletionTimestamp", "value": "anything"}]


async def test_a_patch_never_creates(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize([patch("a", [{"op": "add", "path": "/data", "value": {"k": "v"}}])])
    states = await synth.settled()
    assert states[0].deleted and states[0].ready
    assert await get_or_none(client, CONFIGMAP, "a") is None


async def test_a_patch_changes_an_existing_object(eno, synth: Synthesizer, client: Client) -> None:
    await client.create(configmap("a", {"value": "old", "other": "kept"}))
    await synth.create()
    await synth.synthesize([patch("a", [{"op": "replace", "path": "/data/value", "value": "new"}])])
    states = await synth.settled()
    assert not states[0].deleted
    assert (await client.get(CONFIGMAP, "a", "default"))["data"] == {"value": "new", "other": "kept"}


async def test_a_delete_patch_deletes(eno, synth: Synthesizer, client: Client) -> None:
    await client.create(configmap("a"))
    await synth.create()
    await synth.synthesize([patch("a", DELETE)])
    states = await synth.settled()
    assert states[0].deleted
    assert await get_or_none(client, CONFIGMAP, "a") is None


async def test_overrides_act_on_the_patch_document(eno, synth: Synthesizer, client: Client) -> None:
    await client.create(configmap("a", {"value": "old"}))
    await synth.create()
    override = '[{"path": "self.patch.ops[0].value", "value": "overridden"}]'
    ops = [{"op": "replace", "path": "/data/value", "value": "new"}]
    await synth.synthesize([patch("a", ops, {"eno.azure.io/overrides": override})])
    await synth.settled()
    assert (await client.get(CONFIGMAP, "a", "default"))["data"] == {"value": "overridden"}


async def test_resource_replaced_by_a_patch_is_patched_not_deleted(
    eno, synth: Synthesizer, client: Client
) -> None:
    await synth.create()
    await synth.synthesize([configmap("a", {"value": "eno"})])
    await synth.settled()
    uid = (await client.get(CONFIGMAP, "a", "default"))["metadata"]["uid"]
    await synth.synthesize([patch("a", [{"op": "replace", "path": "/data/value", "value": "patched"}])])
    await synth.settled()
    obj = await client.get(CONFIGMAP, "a", "default")
    assert obj["data"] == {"value": "patched"}
    assert obj["metadata"]["uid"] == uid


async def test_deletion_before_creation(eno, synth: Synthesizer, client: Client) -> None:
    old = await client.create(configmap("a", {"value": "old"}))
    await synth.create()
    # Group 1 deletes the old object, group 2 creates it anew; the interval must not re-run the delete.
    new = configmap(
        "a", {"value": "new"}, annotations={GROUP: "2", "eno.azure.io/reconcile-interval": "10ms"}
    )
    await synth.synthesize([patch("a", DELETE, {GROUP: "1"}), new])
    await synth.settled()
    created = await client.get(CONFIGMAP, "a", "default")
    assert created["metadata"]["uid"] != old["metadata"]["uid"]
    assert created["data"] == {"value": "new"}
    # Several interval passes later the object is still the same one.
    seen = _count(eno)
    await eventually(lambda: _count(eno) > seen + 5)
    assert (await client.get(CONFIGMAP, "a", "default"))["metadata"]["uid"] == created["metadata"]["uid"]


def _count(eno: Any) -> float:
    return float(eno.reconciliation.reconciler.passes)


async def test_composition_deletion_leaves_patched_objects(eno, synth: Synthesizer, client: Client) -> None:
    # Eno deleted the targets of ordinary Patches with the composition; we leave objects we never created.
    await client.create(configmap("a", {"value": "old"}))
    await synth.create()
    await synth.synthesize([patch("a", [{"op": "replace", "path": "/data/value", "value": "new"}])])
    await synth.settled()
    await synth.delete()

    async def deleted() -> bool:
        return all(s.deleted for s in await synth.states())

    await until(deleted)
    assert (await client.get(CONFIGMAP, "a", "default"))["data"] == {"value": "new"}
    await synth.release()
