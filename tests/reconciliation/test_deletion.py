"""Deletion: composition deletion, orphan and foreground strategies, deletion groups (Eno's crud_test.go
and ordering_test.go)."""

from __future__ import annotations

from typing import Any

from eno.runtime.client import Client
from tests.eventually import eventually
from tests.reconciliation.conftest import CONFIGMAP, Synthesizer, configmap, get_or_none, until

STRATEGY = "eno.azure.io/deletion-strategy"
DELETION_GROUP = "eno.azure.io/deletion-group"
HOLD = "example.com/hold"


async def all_deleted(synth: Synthesizer) -> bool:
    return all(s.deleted and s.reconciled for s in await synth.states())


async def release_hold(client: Client, name: str) -> None:
    obj = await client.get(CONFIGMAP, name, "default")
    obj["metadata"]["finalizers"] = []
    await client.update(obj)


def held(name: str, **annotations: str) -> dict[str, Any]:
    cm = configmap(name, annotations=annotations or None)
    cm["metadata"]["finalizers"] = [HOLD]
    return cm


async def test_orphan_strategy_keeps_objects(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create(annotations={STRATEGY: "orphan"})
    await synth.synthesize([configmap("a"), configmap("b")])
    await synth.settled()
    await synth.delete()
    await until(lambda: all_deleted(synth))
    assert await get_or_none(client, CONFIGMAP, "a") is not None
    assert await get_or_none(client, CONFIGMAP, "b") is not None
    await synth.release()


async def test_orphan_strategy_still_deletes_removed_resources(
    eno, synth: Synthesizer, client: Client
) -> None:
    await synth.create(annotations={STRATEGY: "orphan"})
    await synth.synthesize([configmap("a"), configmap("b")])
    await synth.settled()
    await synth.synthesize([configmap("a")])
    await synth.settled()
    assert await get_or_none(client, CONFIGMAP, "b") is None


async def test_background_deletion_counts_once_terminating(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize([held("a")])
    await synth.settled()
    await synth.delete()
    await until(lambda: all_deleted(synth))
    obj = await client.get(CONFIGMAP, "a", "default")
    assert obj["metadata"]["deletionTimestamp"]
    await release_hold(client, "a")
    await synth.release()


async def test_foreground_deletion_waits_until_gone(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize([held("a", **{STRATEGY: "foreground"})])
    await synth.settled()
    await synth.delete()

    async def terminating() -> bool:
        obj = await get_or_none(client, CONFIGMAP, "a")
        return obj is not None and bool(obj["metadata"].get("deletionTimestamp"))

    await until(terminating)
    assert not (await synth.states())[0].deleted
    await release_hold(client, "a")
    await until(lambda: all_deleted(synth))
    assert await get_or_none(client, CONFIGMAP, "a") is None
    await synth.release()


async def test_deletion_groups_order_deletion(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    first = held("first", **{DELETION_GROUP: "1", STRATEGY: "foreground"})
    second = configmap("second", annotations={DELETION_GROUP: "2"})
    await synth.synthesize([first, second])
    await synth.settled()
    await synth.delete()

    async def first_terminating() -> bool:
        obj = await get_or_none(client, CONFIGMAP, "first")
        return obj is not None and bool(obj["metadata"].get("deletionTimestamp"))

    await until(first_terminating)
    assert await get_or_none(client, CONFIGMAP, "second") is not None, "group 2 waits for group 1"
    await release_hold(client, "first")
    await until(lambda: all_deleted(synth))
    assert await get_or_none(client, CONFIGMAP, "second") is None
    await synth.release()


async def test_empty_synthesis_is_deletable(eno, synth: Synthesizer) -> None:
    await synth.create()
    await synth.synthesize([])
    await synth.settled()
    await synth.delete()
    await synth.release()


async def test_deletion_order(eno, synth: Synthesizer, client: Client) -> None:
    # Eno's DeletionOrder (all ConfigMaps: unannotated ones default to deletion group 100).
    await synth.create()
    manifests = [
        held("stuck-no-deletion-group"),
        held("stuck", **{DELETION_GROUP: "123", STRATEGY: "foreground"}),
        configmap("stuck-behind", annotations={DELETION_GROUP: "1"}),
        configmap("no-deletion-group"),
        configmap("orphaned", annotations={DELETION_GROUP: "567", STRATEGY: "orphan"}),
        configmap(
            "disabled", annotations={DELETION_GROUP: "456", "eno.azure.io/disable-reconciliation": "true"}
        ),
        configmap("first", annotations={DELETION_GROUP: "345"}),
        configmap("second", annotations={DELETION_GROUP: "234"}),
    ]
    await synth.synthesize(manifests)
    await synth.settled()
    await synth.delete()

    async def state(name: str) -> str:
        obj = await get_or_none(client, CONFIGMAP, name)
        if obj is None:
            return "Gone"
        return "Deleting" if obj["metadata"].get("deletionTimestamp") else "NotDeleting"

    expected = {
        "stuck-no-deletion-group": "Deleting",
        "stuck": "Deleting",
        "stuck-behind": "Gone",
        "no-deletion-group": "Gone",
        "orphaned": "NotDeleting",
        "disabled": "Gone",
        "first": "NotDeleting",
        "second": "NotDeleting",
    }

    async def reached() -> dict[str, str]:
        found = {name: await state(name) for name in expected}
        assert found == expected
        return found

    await until(reached)
    reconciler = eno.reconciliation.reconciler
    passes = reconciler.passes
    await eventually(lambda: reconciler.passes > passes + 10)  # the foreground one keeps polling
    await reached()
    states = await synth.states()
    assert not states[1].deleted, "the foreground deletion is still pending"
    for name in ("stuck", "stuck-no-deletion-group"):
        await release_hold(client, name)
