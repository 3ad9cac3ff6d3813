"""Field ownership (Eno's merge_test.go and MigratingFieldManagers): pruning after ownership drift,
values another manager forced, externally managed properties, and the one-shot manager migration."""

from __future__ import annotations

import json
from typing import Any

import attrs

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from tests.reconciliation.conftest import CONFIGMAP, FAST, Synthesizer, configmap, reconciler, until

INTERVAL = "eno.azure.io/reconcile-interval"


async def live(client: Client, name: str = "a") -> dict[str, Any]:
    return await client.get(CONFIGMAP, name, "default")


def managers(obj: dict[str, Any]) -> list[str]:
    return [e["manager"] for e in obj["metadata"].get("managedFields") or []]


async def test_pruning_after_managed_fields_were_wiped(eno, synth: Synthesizer, client: Client) -> None:
    # RemovePropertyAndOwnership
    await synth.create()
    await synth.synthesize([configmap("a", {"keep": "1", "drop": "1"})])
    await synth.settled()
    obj = await live(client)
    obj["metadata"]["managedFields"] = [{}]  # clears every entry, as in kube
    await client.update(obj, field_manager="wiper")
    await synth.synthesize([configmap("a", {"keep": "1"})])
    await synth.settled()

    async def pruned() -> bool:
        return bool((await live(client))["data"] == {"keep": "1"})

    await until(pruned)


async def test_no_needless_rewrite_when_the_key_is_already_gone(
    eno, synth: Synthesizer, client: Client
) -> None:
    # RemoveMissingProperty: another client removed the key; dropping it from the synthesis writes nothing.
    await synth.create()
    await synth.synthesize([configmap("a", {"keep": "1", "drop": "1"})])
    await synth.settled()
    await client.patch(CONFIGMAP, "a", "default", [{"op": "remove", "path": "/data/drop"}], "json")
    version = (await live(client))["metadata"]["resourceVersion"]
    await synth.synthesize([configmap("a", {"keep": "1"})])
    await synth.settled()
    assert (await live(client))["metadata"]["resourceVersion"] == version


async def test_values_forced_by_another_manager_are_restored(eno, synth: Synthesizer, client: Client) -> None:
    # ReplaceProperty: another manager force-applies our key; the next pass (an interval) restores it.
    await synth.create()
    await synth.synthesize([configmap("a", {"k": "eno"}, annotations={INTERVAL: "50ms"})])
    await synth.settled()
    await client.patch(
        CONFIGMAP, "a", "default", configmap("a", {"k": "theirs"}), "apply", field_manager="other", force=True
    )

    async def restored() -> bool:
        return bool((await live(client))["data"]["k"] == "eno")

    await until(restored)


OVERRIDE = [{"path": "self.data.replicas", "value": None, "condition": "!pathManagedByEno"}]


def externally_managed(data: dict[str, str], override: bool = True) -> dict[str, Any]:
    annotations = {"eno.azure.io/overrides": json.dumps(OVERRIDE)} if override else None
    return configmap("a", data, annotations=annotations)


async def test_externally_managed_property_removed_from_synthesis(
    eno, synth: Synthesizer, client: Client
) -> None:
    # ExternallyManagedPropertyRemoved: dropping the key (override kept) does not prune the other's value;
    # ...AndOverrideRemoved: dropping the override too (with another change) does.
    await synth.create()
    await synth.synthesize([externally_managed({"replicas": "1", "v": "1"})])
    await synth.settled()
    await client.patch(CONFIGMAP, "a", "default", {"data": {"replicas": "5"}}, "merge", field_manager="hpa")
    await synth.synthesize([externally_managed({"v": "2"})])
    await synth.settled()
    assert (await live(client))["data"] == {"replicas": "5", "v": "2"}


async def test_migrating_field_managers(eno_server: ApiServer, synth: Synthesizer, client: Client) -> None:
    # MigratingFieldManagers / ...FieldRemoval: legacy-tool's `data` becomes eno's; its extra key is pruned.
    await client.patch(
        CONFIGMAP,
        "a",
        "default",
        configmap("a", {"k": "legacy", "old": "1"}),
        "apply",
        field_manager="legacy-tool",
    )
    options = attrs.evolve(FAST, migrating_field_managers=("legacy-tool",), migrating_fields=("data",))
    async with reconciler(eno_server.url, options):
        await synth.create()
        await synth.synthesize([configmap("a", {"k": "eno"})])
        await synth.settled()

        async def migrated() -> bool:
            obj = await live(client)
            return obj["data"] == {"k": "eno"} and "legacy-tool" not in managers(obj)

        await until(migrated)
        assert managers(await live(client)) == ["eno"]
