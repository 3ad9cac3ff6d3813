"""Eno's edge cases and server-merge scenarios: strategic lists, defaulting, cache races, fail-open,
a namespace fixed by resynthesis."""

from __future__ import annotations

import json
from typing import Any

import attrs

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from tests.eventually import eventually
from tests.reconciliation.conftest import (
    CONFIGMAP,
    FAST,
    Synthesizer,
    configmap,
    get_or_none,
    reconciler,
    until,
)

SERVICE = GVK("", "v1", "Service")
DEPLOYMENT = GVK("apps", "v1", "Deployment")
INTERVAL = "eno.azure.io/reconcile-interval"


def service(ports: list[int]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "svc", "namespace": "default"},
        "spec": {"selector": {"app": "x"}, "ports": [{"name": f"p{p}", "port": p} for p in ports]},
    }


async def test_server_side_apply_keeps_others_list_entries(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize([service([80])])
    await synth.settled()
    svc = await client.get(SERVICE, "svc", "default")
    svc["spec"]["ports"].append({"name": "theirs", "port": 9000})
    await client.update(svc, field_manager="other")
    await synth.synthesize([service([80, 443])])
    await synth.settled()
    ports = {p["port"] for p in (await client.get(SERVICE, "svc", "default"))["spec"]["ports"]}
    assert ports == {80, 443, 9000}


def deployment(annotations: dict[str, str]) -> dict[str, Any]:
    container = {"name": "c", "image": "nginx", "resources": {"requests": {"memory": "1024Mi"}}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "default", "annotations": annotations},
        "spec": {
            "paused": False,
            "selector": {"matchLabels": {"app": "d"}},
            "template": {"metadata": {"labels": {"app": "d"}}, "spec": {"containers": [container]}},
        },
    }


async def test_values_equal_to_server_defaults_converge(eno, synth: Synthesizer, client: Client) -> None:
    # ResourceDefaulting: `paused: false` and 1024Mi (stored as 1Gi) must not look like drift forever. An
    # (inactive) override makes the reconciler take the GET / dry run / compare path.
    override = [{"path": "self.spec.paused", "value": True, "condition": "false"}]
    annotations = {INTERVAL: "10ms", "eno.azure.io/overrides": json.dumps(override)}
    await synth.create()
    await synth.synthesize([deployment(annotations)])
    states = await synth.settled()
    assert states[0].ready
    version = (await client.get(DEPLOYMENT, "d", "default"))["metadata"]["resourceVersion"]
    before = _count(eno)
    await eventually(lambda: _count(eno) > before + 10)
    assert (await client.get(DEPLOYMENT, "d", "default"))["metadata"]["resourceVersion"] == version


def _count(eno: Any) -> float:
    return float(eno.reconciliation.reconciler.passes)


async def test_rapid_resyntheses_converge_to_the_last(eno, synth: Synthesizer, client: Client) -> None:
    # ReconcileCacheRace: queue items outlive purged syntheses; nothing breaks and the last one wins.
    await synth.create()
    for i in range(20):
        await synth.synthesize([configmap("a", {"i": str(i)}, annotations={INTERVAL: "50ms"})])
    await synth.settled()

    async def last() -> bool:
        return bool((await client.get(CONFIGMAP, "a", "default"))["data"] == {"i": "19"})

    await until(last)


async def test_fail_open_annotation(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    broken = configmap("broken", namespace="nowhere", annotations={"eno.azure.io/fail-open": "true"})
    await synth.synthesize([broken, configmap("fine")])
    states = await synth.settled()
    assert states[0].reconciled and states[0].deleted and not states[0].reconciliation_error


async def test_fail_open_flag_with_readiness_check(eno_server: ApiServer, synth: Synthesizer) -> None:
    async with reconciler(eno_server.url, attrs.evolve(FAST, fail_open=True)):
        await synth.create()
        checked = configmap("checked", namespace="nowhere", annotations={"eno.azure.io/readiness": "true"})
        await synth.synthesize([checked])
        states = await synth.settled()
        assert states[0].reconciled and states[0].ready is None


async def test_fixing_a_missing_namespace(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize([configmap("a", namespace="")])

    async def reported() -> bool:
        return bool((await synth.states())[0].reconciliation_error)

    await until(reported)
    await synth.synthesize([configmap("a")])
    await synth.settled()
    assert await get_or_none(client, CONFIGMAP, "a") is not None


async def test_removed_keys_are_pruned(eno, synth: Synthesizer, client: Client) -> None:
    # RemoveProperty, and RemovePropertyAndPartialOwnership: a key another client took over is handed
    # back to Eno so that removing it from the synthesis still prunes it.
    await synth.create()
    cm = configmap("a", {"keep": "1", "drop": "1", "taken": "1"})
    cm["metadata"]["labels"] = {"drop": "1", "keep": "1"}
    await synth.synthesize([cm])
    await synth.settled()
    await client.patch(
        CONFIGMAP, "a", "default", {"data": {"taken": "1"}}, "apply", field_manager="other", force=True
    )
    cm = configmap("a", {"keep": "1"})
    cm["metadata"]["labels"] = {"keep": "1"}
    await synth.synthesize([cm])
    await synth.settled()
    obj = await client.get(CONFIGMAP, "a", "default")
    assert obj["data"] == {"keep": "1"}
    assert obj["metadata"]["labels"] == {"keep": "1"}


async def test_merge_patch_mode(eno_server: ApiServer, synth: Synthesizer, client: Client) -> None:
    # DisableSSA: JSON merge patches from the previous synthesis; others' fields survive, ours are pruned.
    async with reconciler(eno_server.url, attrs.evolve(FAST, disable_ssa=True)):
        await synth.create()
        await synth.synthesize([configmap("a", {"k": "1", "old": "1"})])
        await synth.settled()
        await client.patch(CONFIGMAP, "a", "default", {"data": {"theirs": "1"}}, "merge", field_manager="ext")
        await synth.synthesize([configmap("a", {"k": "2"})])
        await synth.settled()
        assert (await client.get(CONFIGMAP, "a", "default"))["data"] == {"k": "2", "theirs": "1"}


async def test_errors_are_retried_with_backoff(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize([configmap("a", namespace="later")])

    async def failing() -> bool:
        return "later" in (await synth.states())[0].reconciliation_error

    await until(failing)
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "later"}})
    states = await synth.settled()
    assert states[0].ready and not states[0].reconciliation_error
    assert await get_or_none(client, CONFIGMAP, "a", "later") is not None


async def test_interval_below_the_minimum_is_floored(
    eno_server: ApiServer, synth: Synthesizer, client: Client
) -> None:
    async with reconciler(eno_server.url, attrs.evolve(FAST, min_reconcile_interval=30.0)) as (_, parts):
        await synth.create()
        await synth.synthesize([configmap("a", {"k": "eno"}, annotations={INTERVAL: "1ms"})])
        await synth.settled()
        # The next pass is at least 30 s away: the resource waits in the delay queue, nothing runs.
        assert parts.reconciliation.queue.waiting() == 1
