"""Readiness, readiness groups and CRD-before-CR ordering (Eno's ordering_test.go, ResourceReadiness)."""

from __future__ import annotations

from typing import Any

import structlog.testing

from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from tests.reconciliation.conftest import CONFIGMAP, Synthesizer, configmap, get_or_none, until

GROUP = "eno.azure.io/readiness-group"
READINESS = "eno.azure.io/readiness"


async def test_readiness_groups_are_created_in_order(eno, synth: Synthesizer, client: Client) -> None:
    groups = [4, -2, 2, 0]
    await synth.create()
    await synth.synthesize([configmap(f"g{g}", annotations={GROUP: str(g)}) for g in groups])
    states = await synth.settled()
    assert all(s.ready for s in states)
    versions = {
        g: int((await client.get(CONFIGMAP, f"g{g}", "default"))["metadata"]["resourceVersion"])
        for g in groups
    }
    assert sorted(groups, key=versions.__getitem__) == sorted(groups)


async def test_readiness_check_gates_the_next_group(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    first = configmap("first", {"k": "v"}, annotations={GROUP: "1", READINESS: "has(self.data.up)"})
    second = configmap("second", annotations={GROUP: "2"})
    await synth.synthesize([first, second])

    async def first_reconciled() -> bool:
        states = await synth.states()
        return states[0].reconciled

    await until(first_reconciled)
    states = await synth.states()
    assert states[0].ready is None
    assert await get_or_none(client, CONFIGMAP, "second") is None

    # Another client makes it ready; the readiness poll notices and the next group starts.
    await client.patch(CONFIGMAP, "first", "default", {"data": {"up": "yes"}}, "merge", field_manager="ext")
    states = await synth.settled()
    assert all(s.ready for s in states)
    assert await get_or_none(client, CONFIGMAP, "second") is not None
    assert (await client.get(CONFIGMAP, "first", "default"))["data"] == {"k": "v", "up": "yes"}


async def test_a_ready_time_is_sticky(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    cm = configmap("a", {"k": "v"}, annotations={READINESS: "has(self.data.up)"})
    await synth.synthesize([cm])
    await client.create(configmap("a", {"up": "yes"}))  # exists before: ready at once
    states = await synth.settled()
    ready = states[0].ready
    assert ready is not None
    await client.patch(CONFIGMAP, "a", "default", [{"op": "remove", "path": "/data/up"}], "json")
    assert (await synth.states())[0].ready == ready


def crd(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": {"type": "object", "properties": properties}},
                        }
                    },
                }
            ],
        },
    }


def gadget(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Gadget",
        "metadata": {"name": "g", "namespace": "default"},
        "spec": spec,
    }


GADGET = GVK("example.com", "v1", "Gadget")


async def test_crd_before_cr(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    # The CR comes first in the output; the tree makes it wait for its CRD.
    await synth.synthesize([gadget({"size": 1}), crd({"size": {"type": "integer"}})])
    await synth.settled()
    assert (await client.get(GADGET, "g", "default"))["spec"] == {"size": 1}

    # A CRD gaining a property is applied before the CR that uses it (CRDOrdering); lists are replaced.
    schema = {"size": {"type": "integer"}, "colors": {"type": "array", "items": {"type": "string"}}}
    await synth.synthesize([gadget({"size": 2, "colors": ["red", "blue"]}), crd(schema)])
    await synth.settled()
    assert (await client.get(GADGET, "g", "default"))["spec"] == {"size": 2, "colors": ["red", "blue"]}
    await synth.synthesize([gadget({"size": 2, "colors": ["blue"]}), crd(schema)])
    await synth.settled()
    assert (await client.get(GADGET, "g", "default"))["spec"]["colors"] == ["blue"]


def gadget_crd_without_status_subresource() -> dict[str, Any]:
    definition = crd({"size": {"type": "integer"}})
    schema = definition["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    schema["properties"]["status"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return definition


async def test_condition_readiness_takes_the_transition_time(eno, synth: Synthesizer, client: Client) -> None:
    await client.create(gadget_crd_without_status_subresource())
    await synth.create()
    check = "self.status.conditions.filter(c, c.type == 'Ready')"
    await synth.synthesize(
        [{**gadget({"size": 1}), "metadata": {**gadget({})["metadata"], "annotations": {READINESS: check}}}]
    )

    async def reconciled() -> bool:
        return (await synth.states())[0].reconciled

    await until(reconciled)
    assert (await synth.states())[0].ready is None
    condition = {
        "type": "Ready",
        "status": "True",
        "reason": "Up",
        "lastTransitionTime": "2020-01-02T03:04:05Z",
    }
    await client.patch(
        GADGET, "g", "default", {"status": {"conditions": [condition]}}, "merge", field_manager="ext"
    )

    async def ready() -> str | None:
        return (await synth.states())[0].ready

    assert await until(ready) == "2020-01-02T03:04:05Z"


async def test_not_ready_reason_is_logged_once(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    with structlog.testing.capture_logs() as logs:
        await synth.synthesize([configmap("a", annotations={READINESS: "has(self.data.up)"})])

        async def reconciled() -> bool:
            return (await synth.states())[0].reconciled

        await until(reconciled)
        reconciler = eno.reconciliation.reconciler
        passes = reconciler.passes

        async def polled() -> bool:
            return bool(reconciler.passes > passes + 3)

        await until(polled)
    lines = [e for e in logs if e["event"] == "resource_not_ready"]
    assert len(lines) == 1
    assert "unmet checks: default" in lines[0]["reason"]
