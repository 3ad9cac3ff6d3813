"""Cascading flags and intervals (Eno's crud_test.go): reconcile-interval, disable-updates,
disable-reconciliation, replace, and the composition as the flags' default."""

from __future__ import annotations

import attrs

from eno.runtime.client import Client
from tests.reconciliation.conftest import (
    CONFIGMAP,
    FAST,
    Synthesizer,
    configmap,
    get_or_none,
    reconciler,
    until,
)

INTERVAL = "eno.azure.io/reconcile-interval"
DISABLE = "eno.azure.io/disable-reconciliation"
DISABLE_UPDATES = "eno.azure.io/disable-updates"
REPLACE = "eno.azure.io/replace"


async def external_edit(client: Client, name: str, data: dict[str, str]) -> None:
    await client.patch(CONFIGMAP, name, "default", {"data": data}, "merge", field_manager="ext")


async def data_of(client: Client, name: str) -> dict[str, str]:
    return dict((await client.get(CONFIGMAP, name, "default")).get("data") or {})


async def test_reconcile_interval_reverts_an_external_edit(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize([configmap("a", {"k": "eno"}, annotations={INTERVAL: "100ms"})])
    await synth.settled()
    await external_edit(client, "a", {"k": "edited"})

    async def reverted() -> bool:
        return (await data_of(client, "a"))["k"] == "eno"

    await until(reverted)


async def test_without_an_interval_an_external_edit_stays(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize(
        [configmap("a", {"k": "eno"}), configmap("b", {"k": "eno"}, annotations={INTERVAL: "50ms"})]
    )
    await synth.settled()
    await external_edit(client, "a", {"k": "edited"})
    await external_edit(client, "b", {"k": "b-edit"})

    async def b_reverted() -> bool:  # b's passes prove the reconciler is running
        return (await data_of(client, "b"))["k"] == "eno"

    await until(b_reverted)
    assert (await data_of(client, "a"))["k"] == "edited"


async def test_default_interval_is_opt_in(eno_server, synth: Synthesizer, client: Client) -> None:
    options = attrs.evolve(FAST, default_reconcile_interval=0.1)
    async with reconciler(eno_server.url, options):
        await synth.create()
        opted = configmap(
            "a", {"k": "eno"}, annotations={"eno.azure.io/use-default-reconcile-interval": "true"}
        )
        await synth.synthesize([opted])
        await synth.settled()
        await external_edit(client, "a", {"k": "edited"})

        async def reverted() -> bool:
            return (await data_of(client, "a"))["k"] == "eno"

        await until(reverted)


async def test_disable_updates_creates_once(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    flags = {DISABLE_UPDATES: "true", INTERVAL: "10ms"}
    await synth.synthesize([configmap("a", {"k": "eno"}, annotations=flags), configmap("b")])
    await synth.settled()
    created = await client.get(CONFIGMAP, "a", "default")
    assert created["data"] == {"k": "eno"}
    assert "managedFields" not in created["metadata"] or all(
        e["operation"] != "Apply" for e in created["metadata"]["managedFields"]
    ), "created with a plain POST"
    await external_edit(client, "a", {"k": "edited"})
    await synth.synthesize([configmap("a", {"k": "eno2"}, annotations=flags)])
    await synth.settled()
    assert (await data_of(client, "a"))["k"] == "edited"


async def test_disable_reconciliation_never_touches(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize([configmap("a", annotations={DISABLE: "true"})])
    states = await synth.settled()
    assert states[0].ready and states[0].deleted  # nothing there, and that is what was wanted
    assert await get_or_none(client, CONFIGMAP, "a") is None
    # An existing object is left alone, too: not updated, and not deleted when removed.
    await client.create(configmap("a", {"mine": "yes"}))
    await synth.synthesize([configmap("a", {"k": "eno"}, annotations={DISABLE: "true", INTERVAL: "10ms"})])
    await synth.settled()
    await synth.synthesize([])
    await synth.settled()
    assert (await data_of(client, "a")) == {"mine": "yes"}


async def test_composition_annotations_cascade(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create(annotations={DISABLE: "true"})
    # The resource's own key wins over the composition's, even when empty.
    await synth.synthesize([configmap("a"), configmap("b", annotations={DISABLE: ""})])
    await synth.settled()
    assert await get_or_none(client, CONFIGMAP, "a") is None
    assert await get_or_none(client, CONFIGMAP, "b") is not None


async def test_replace_removes_what_others_added(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize([configmap("a", {"k": "eno"}, annotations={REPLACE: "true"})])
    await synth.settled()
    uid = (await client.get(CONFIGMAP, "a", "default"))["metadata"]["uid"]
    await client.patch(
        CONFIGMAP,
        "a",
        "default",
        {"metadata": {"annotations": {"other": "x"}}, "data": {"extra": "x"}},
        "merge",
        field_manager="ext",
    )
    await synth.synthesize([configmap("a", {"k": "eno2"}, annotations={REPLACE: "true"})])
    await synth.settled()
    obj = await client.get(CONFIGMAP, "a", "default")
    assert obj["data"] == {"k": "eno2"}
    assert "other" not in (obj["metadata"].get("annotations") or {})
    assert obj["metadata"]["uid"] == uid


async def test_eno_metadata_is_stripped(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    cm = configmap("a", annotations={INTERVAL: "1h", "keep": "me"})
    cm["metadata"]["labels"] = {"eno.azure.io/x": "y"}
    await synth.synthesize([cm])
    await synth.settled()
    metadata = (await client.get(CONFIGMAP, "a", "default"))["metadata"]
    assert metadata["annotations"] == {"keep": "me"}
    assert "labels" not in metadata


async def test_composition_flag_change_applies_at_once(eno, synth: Synthesizer, client: Client) -> None:
    # A cascading flag set on the composition later reaches its resources without waiting for an interval.
    await synth.create()
    await synth.synthesize([configmap("a", {"k": "eno"})])
    await synth.settled()
    comp = await synth.composition()
    await client.update(comp.with_annotation(DISABLE_UPDATES, "true"))
    await synth.synthesize([configmap("a", {"k": "eno"}), configmap("b")])
    await synth.settled()
    await external_edit(client, "a", {"k": "edited"})
    comp = await synth.composition()
    await client.update(comp.with_annotation(DISABLE_UPDATES, None))

    async def reverted() -> bool:
        return (await data_of(client, "a"))["k"] == "eno"

    await until(reverted)
