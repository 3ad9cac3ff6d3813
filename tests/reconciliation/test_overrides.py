"""Overrides against the live object and the composition (Eno's overrides_test.go, merge_test.go's
externally managed properties, migration.md's fast hand-off)."""

from __future__ import annotations

import json
from typing import Any

from eno.runtime.client import Client
from tests.reconciliation.conftest import CONFIGMAP, Synthesizer, configmap, get_or_none, until

OVERRIDES = "eno.azure.io/overrides"
INTERVAL = "eno.azure.io/reconcile-interval"


def overridden(
    name: str, data: dict[str, str], ops: list[dict[str, Any]], **annotations: str
) -> dict[str, Any]:
    return configmap(name, data, annotations={OVERRIDES: json.dumps(ops), INTERVAL: "20ms", **annotations})


async def data_of(client: Client, name: str) -> dict[str, str]:
    return dict((await client.get(CONFIGMAP, name, "default")).get("data") or {})


async def edit(client: Client, name: str, data: dict[str, str | None]) -> None:
    await client.patch(CONFIGMAP, name, "default", {"data": data}, "merge", field_manager="ext")


async def test_guard_preserves_an_external_value(eno, synth: Synthesizer, client: Client) -> None:
    # OverrideBasics: once someone else set data.foo, Eno stops setting it.
    ops = [
        {"path": "self.data.foo", "value": None, "condition": "has(self.data.foo) && self.data.foo != 'eno'"}
    ]
    await synth.create()
    await synth.synthesize([overridden("a", {"foo": "eno"}, ops)])
    await synth.settled()
    assert (await data_of(client, "a"))["foo"] == "eno"
    await edit(client, "a", {"foo": "external"})
    await synth.synthesize([overridden("a", {"foo": "eno", "bar": "2"}, ops)])
    await synth.settled()
    assert await data_of(client, "a") == {"foo": "external", "bar": "2"}


async def test_polling_condition_on_a_live_field(eno, synth: Synthesizer, client: Client) -> None:
    ops = [{"path": "self.data.mode", "value": "on", "condition": "has(self.data.switch)"}]
    await synth.create()
    await synth.synthesize([overridden("a", {"mode": "off"}, ops)])
    await synth.settled()
    assert (await data_of(client, "a"))["mode"] == "off"
    await edit(client, "a", {"switch": "1"})

    async def switched() -> bool:
        return (await data_of(client, "a"))["mode"] == "on"

    await until(switched)


async def test_last_op_on_a_path_wins(eno, synth: Synthesizer, client: Client) -> None:
    ops = [{"path": "self.data.k", "value": "first"}, {"path": "self.data.k", "value": "second"}]
    await synth.create()
    await synth.synthesize([overridden("a", {"k": "eno"}, ops)])
    await synth.settled()
    assert (await data_of(client, "a"))["k"] == "second"


async def test_hyphenated_keys(eno, synth: Synthesizer, client: Client) -> None:
    ops = [
        {"path": 'self.data["my-key"]', "value": "double"},
        {"path": "self.metadata.annotations['example.com/x']", "value": "single"},
    ]
    await synth.create()
    await synth.synthesize([overridden("a", {"my-key": "eno"}, ops)])
    await synth.settled()
    obj = await client.get(CONFIGMAP, "a", "default")
    assert obj["data"]["my-key"] == "double"
    assert obj["metadata"]["annotations"] == {"example.com/x": "single"}


async def test_path_managed_by_eno_leaves_others_values(eno, synth: Synthesizer, client: Client) -> None:
    # ExternallyManagedPropertyPreserved: null unless Eno owns it -> another manager's value is kept.
    ops = [{"path": "self.data.replicas", "value": None, "condition": "!pathManagedByEno"}]
    await synth.create()
    await synth.synthesize([overridden("a", {"replicas": "1", "name": "x"}, ops)])
    await synth.settled()
    assert "replicas" not in await data_of(client, "a"), "not ours at creation: left out"
    await edit(client, "a", {"replicas": "5"})
    await synth.synthesize([overridden("a", {"replicas": "1", "name": "y"}, ops)])
    await synth.settled()
    assert await data_of(client, "a") == {"replicas": "5", "name": "y"}


async def test_compare_resource_quantities(eno, synth: Synthesizer, client: Client) -> None:
    # OverrideContainerResources, on a ConfigMap: an externally raised limit is kept, a lowered one reverted.
    condition = "has(self.data.cpu) && compareResourceQuantities(self.data.cpu, '500m') > 0"
    ops = [{"path": "self.data.cpu", "value": None, "condition": condition}]
    await synth.create()
    await synth.synthesize([overridden("a", {"cpu": "500m"}, ops)])
    await synth.settled()
    await edit(client, "a", {"cpu": "2"})
    await synth.synthesize([overridden("a", {"cpu": "500m", "v": "2"}, ops)])
    await synth.settled()
    assert await data_of(client, "a") == {"cpu": "2", "v": "2"}
    await edit(client, "a", {"cpu": "100m"})

    async def reverted() -> bool:
        return (await data_of(client, "a"))["cpu"] == "500m"

    await until(reverted)


async def test_override_turns_on_replace(eno, synth: Synthesizer, client: Client) -> None:
    ops = [
        {
            "path": "self.metadata.annotations['eno.azure.io/replace']",
            "value": "true",
            "condition": "has(self.data.extra)",
        }
    ]
    await synth.create()
    await synth.synthesize([overridden("a", {"k": "eno"}, ops)])
    await synth.settled()
    await edit(client, "a", {"extra": "x"})

    async def replaced() -> bool:
        return await data_of(client, "a") == {"k": "eno"}

    await until(replaced)


OWNER = "example.com/owner"
HANDOFF = [
    {
        "path": "self.metadata.annotations['eno.azure.io/disable-reconciliation']",
        "value": "true",
        "condition": f"composition.metadata.annotations['{OWNER}'] != 'true'",
    }
]


async def test_hand_off_follows_composition_annotations(eno, synth: Synthesizer, client: Client) -> None:
    # migration.md: an absent key reads as "" so the recipe's condition disables the non-owner; flipping
    # the annotation re-evaluates at once (no reconcile interval here).
    await synth.create()
    cm = configmap("a", {"k": "v"}, annotations={OVERRIDES: json.dumps(HANDOFF)})
    await synth.synthesize([cm])
    await synth.settled()
    assert await get_or_none(client, CONFIGMAP, "a") is None, "not the owner: disabled"

    comp = await synth.composition()
    await client.update(comp.with_annotation(OWNER, "true"))

    async def created() -> bool:
        return await get_or_none(client, CONFIGMAP, "a") is not None

    await until(created, timeout=3)


async def test_disable_from_composition_keeps_tombstone_in_place(
    eno, synth: Synthesizer, client: Client
) -> None:
    # Migration step 4: a removed resource whose override disables it is not deleted.
    await synth.create(annotations={OWNER: "true"})
    cm = configmap("a", {"k": "v"}, annotations={OVERRIDES: json.dumps(HANDOFF)})
    await synth.synthesize([cm])
    await synth.settled()
    comp = await synth.composition()
    await client.update(comp.with_annotation(OWNER, None))
    await synth.synthesize([])
    states = await synth.settled()
    assert states[0].deleted
    assert await get_or_none(client, CONFIGMAP, "a") is not None
