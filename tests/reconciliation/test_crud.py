"""CRUD through the reconciler (Eno's crud_test.go): create, update, delete by tombstone, status."""

from __future__ import annotations

from eno.runtime.client import Client
from tests.reconciliation.conftest import CONFIGMAP, Synthesizer, configmap, get_or_none, until


async def test_create_update_delete(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize([configmap("a", {"k": "1"}), configmap("b", {"k": "1"})])
    states = await synth.settled()
    assert all(s.ready and not s.deleted for s in states)
    a = await client.get(CONFIGMAP, "a", "default")
    assert a["data"] == {"k": "1"}
    assert [e["manager"] for e in a["metadata"]["managedFields"]] == ["eno"]

    await synth.synthesize([configmap("a", {"k": "2"})])  # b is removed: a tombstone
    states = await synth.settled()
    assert [s.deleted for s in states] == [False, True]
    assert (await client.get(CONFIGMAP, "a", "default"))["data"] == {"k": "2"}
    assert await get_or_none(client, CONFIGMAP, "b") is None
    assert (await client.get(CONFIGMAP, "a", "default"))["metadata"]["uid"] == a["metadata"]["uid"]


async def test_status_in_manifest_is_ignored(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize([configmap("a", {"k": "1"}, status={"phase": "Nope"})])
    await synth.settled()
    assert "status" not in await client.get(CONFIGMAP, "a", "default")


async def test_composition_deletion_deletes_resources(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize([configmap("a")])
    await synth.settled()
    await synth.delete()

    async def deleted() -> bool:
        states = await synth.states()
        return all(s.deleted and s.reconciled for s in states)

    await until(deleted)
    assert await get_or_none(client, CONFIGMAP, "a") is None
    await synth.release()


async def test_a_fresh_start_reconciles_everything_again(eno, synth: Synthesizer, client: Client) -> None:
    # What regaining leadership does: the synthesis cache starts empty, so the next composition event
    # loads it again and every resource is reconciled (here: an external edit is reverted).
    assert eno.fresh_start.starts == 1, "ran when the controllers started"
    await synth.create()
    await synth.synthesize([configmap("a", {"k": "eno"})])
    await synth.settled()
    await client.patch(CONFIGMAP, "a", "default", {"data": {"k": "edited"}}, "merge", field_manager="ext")
    await eno.fresh_start.run()
    comp = await synth.composition()
    await client.update(comp.with_label("poke", "1"))

    async def reverted() -> bool:
        return bool((await client.get(CONFIGMAP, "a", "default"))["data"] == {"k": "eno"})

    await until(reverted)
