"""More of Eno's reconciliation scenarios: overrides that decide deletion, deletion through an overridden
Patch, valueExpression, and a composition deleted while another client deletes its objects."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from eno.runtime.client import Client
from tests.reconciliation.conftest import CONFIGMAP, Synthesizer, configmap, get_or_none, until

OVERRIDES = "eno.azure.io/overrides"


async def all_deleted(synth: Synthesizer) -> bool:
    return all(s.deleted and s.reconciled for s in await synth.states())


async def test_override_orphans_on_composition_deletion(eno, synth: Synthesizer, client: Client) -> None:
    # OverrideDeletionModeAnnotation_DeleteComposition: the composition's annotation lists the resources to
    # orphan; an override turns on disable-reconciliation for them, so deleting the composition keeps them.
    condition = "'kept' in string(composition.metadata.annotations['orphan-resources']).split(',')"
    ops = [
        {
            "path": "self.metadata.annotations['eno.azure.io/disable-reconciliation']",
            "value": "true",
            "condition": condition,
        }
    ]
    await synth.create(annotations={"orphan-resources": "kept,other"})
    await synth.synthesize(
        [
            configmap("kept", annotations={OVERRIDES: json.dumps(ops)}),
            configmap("gone", annotations={OVERRIDES: json.dumps(ops)}),
        ]
    )
    await synth.settled()
    assert await get_or_none(client, CONFIGMAP, "kept") is None, "disabled from the start: never created"
    await client.create(configmap("kept", {"mine": "1"}))
    await synth.delete()
    await until(lambda: all_deleted(synth))
    assert await get_or_none(client, CONFIGMAP, "kept") is not None
    assert await get_or_none(client, CONFIGMAP, "gone") is None
    await synth.release()


def patch(name: str, ops: list[dict[str, Any]], annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Patch",
        "metadata": {"name": name, "namespace": "default", "annotations": annotations},
        "patch": {"apiVersion": "v1", "kind": "ConfigMap", "ops": ops},
    }


async def test_patch_deletes_only_when_the_composition_does(eno, synth: Synthesizer, client: Client) -> None:
    # PatchDeleteOnCompositionDeletion: an override adds the deletion op while the composition is deleting.
    await client.create(configmap("target", {"v": "1"}))
    override = [
        {
            "path": "self.patch.ops",
            "value": [{"op": "add", "path": "/metadata/deletionTimestamp", "value": "now"}],
            "condition": "composition.metadata.deletionTimestamp != null",
        }
    ]
    ops = [{"op": "add", "path": "/data/patched", "value": "yes"}]
    await synth.create()
    await synth.synthesize([patch("target", ops, {OVERRIDES: json.dumps(override)})])
    await synth.settled()
    assert (await client.get(CONFIGMAP, "target", "default"))["data"] == {"v": "1", "patched": "yes"}
    await synth.delete()
    await until(lambda: all_deleted(synth))
    assert await get_or_none(client, CONFIGMAP, "target") is None
    await synth.release()


async def test_value_expression_copies_a_live_value(eno, synth: Synthesizer, client: Client) -> None:
    # OverrideValueExpression: gated by an annotation on the live object, Eno keeps what is there.
    ops = [
        {
            "path": "self.data.replicas",
            "valueExpression": "self.data.replicas",
            "condition": "has(self.metadata.annotations) && 'keep' in self.metadata.annotations",
        }
    ]
    cm = configmap(
        "a",
        {"replicas": "1"},
        annotations={OVERRIDES: json.dumps(ops), "eno.azure.io/reconcile-interval": "20ms"},
    )
    await synth.create()
    await synth.synthesize([cm])
    await synth.settled()
    await client.patch(
        CONFIGMAP,
        "a",
        "default",
        {"metadata": {"annotations": {"keep": "1"}}, "data": {"replicas": "7"}},
        "merge",
        field_manager="hpa",
    )
    ready = await synth.settled()
    assert ready[0].reconciled
    reconciler = eno.reconciliation.reconciler
    passes = reconciler.passes

    async def some_passes() -> bool:
        return bool(reconciler.passes > passes + 5)

    await until(some_passes)
    assert (await client.get(CONFIGMAP, "a", "default"))["data"]["replicas"] == "7"
    # Gate off: the synthesized value returns.
    await client.patch(CONFIGMAP, "a", "default", {"metadata": {"annotations": {"keep": None}}}, "merge")

    async def reverted() -> bool:
        return bool((await client.get(CONFIGMAP, "a", "default"))["data"]["replicas"] == "1")

    await until(reverted)


async def test_composition_deletion_while_others_delete(eno, synth: Synthesizer, client: Client) -> None:
    # LargeNamespaceDeletion, smaller: another client deletes the objects while the composition is deleted.
    names = [f"cm{i}" for i in range(50)]
    await synth.create()
    await synth.synthesize([configmap(n) for n in names])
    await synth.settled()
    await synth.delete()
    await asyncio.gather(*(client.delete(CONFIGMAP, n, "default") for n in names), return_exceptions=True)
    await until(lambda: all_deleted(synth))
    await synth.release()
