"""Resynthesis on each trigger, with real synthesizer processes (synthesis.md §5-§6, §15)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from eno.api.v1 import constants as c
from eno.api.v1.times import parse_time
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from tests.controllers.conftest import History
from tests.scheduling.conftest import (
    ECHO_COMMAND,
    FAIL_COMMAND,
    configmap,
    current_uuid,
    eno,
    get,
    make_composition,
    make_synthesizer,
    ref,
    synthesized,
    until,
)

COMPOSITION = GVK("eno.azure.io", "v1", "Composition")
SYNTHESIZER = GVK("eno.azure.io", "v1", "Synthesizer")
CONFIGMAP = GVK("", "v1", "ConfigMap")
POD = GVK("", "v1", "Pod")


async def no_pods_left(client: Client) -> None:
    async def none() -> bool:
        pods = await client.list(POD, namespace="default")
        return not pods.items

    await until(none, message="every synthesis pod collected")


async def test_each_trigger_resynthesizes(server: ApiServer, client: Client) -> None:
    await client.create(configmap("input", v="1"))
    await make_synthesizer(client, "synth", refs=[ref("a")])
    await make_composition(client, "comp", "synth", {"a": "input"})
    async with eno(server.url, cooldown=1.0):
        comp = await synthesized(client, "comp")
        first = comp.status.current_synthesis
        assert first is not None and first.attempts == 1 and not first.deferred
        assert [r.key for r in first.input_revisions] == ["a"]

        # The composition's spec changed (CompositionModified).
        env = {"spec": {"synthesisEnv": [{"name": "X", "value": "1"}]}}
        await client.patch(COMPOSITION, "comp", "default", env, patch_type="merge")
        comp = await synthesized(client, "comp", other_than=current_uuid(comp))
        assert comp.status.current_synthesis is not None
        assert comp.status.current_synthesis.observed_composition_generation == comp.generation

        # An input changed (InputModified).
        await client.patch(CONFIGMAP, "input", "default", {"data": {"v": "2"}}, patch_type="merge")
        comp = await synthesized(client, "comp", other_than=current_uuid(comp))
        # The synthesis read the new input.
        revs = {r.key: r.resource_version for r in comp.status.current_synthesis.input_revisions}  # type: ignore[union-attr]
        live = await client.get(CONFIGMAP, "input", "default")
        assert revs == {"a": live["metadata"]["resourceVersion"]}

        # The user forced it (ForcedResynthesis).
        force = {"metadata": {"annotations": {c.ANNOTATION_FORCE_RESYNTHESIS: current_uuid(comp)}}}
        await client.patch(COMPOSITION, "comp", "default", force, patch_type="merge")
        comp = await synthesized(client, "comp", other_than=current_uuid(comp))

        # The synthesizer changed (SynthesizerModified: deferred, marks the epoch first).
        await client.patch(
            SYNTHESIZER, "synth", None, {"spec": {"image": "example.com/synth:2"}}, patch_type="merge"
        )
        comp = await synthesized(client, "comp", other_than=current_uuid(comp))
        current = comp.status.current_synthesis
        assert current is not None and current.deferred
        synth = await client.get(SYNTHESIZER, "synth", None)
        assert current.observed_synthesizer_generation == synth["metadata"]["generation"]
        assert comp.annotations.get(c.ANNOTATION_GLOBAL_SYNTHESIZER_EPOCH)
        await no_pods_left(client)


async def test_ignore_side_effects_holds_input_changes(server: ApiServer, client: Client) -> None:
    await client.create(configmap("input", v="1"))
    await make_synthesizer(client, "synth", refs=[ref("a")])
    annotations = {c.ANNOTATION_IGNORE_SIDE_EFFECTS: "true"}
    await make_composition(client, "comp", "synth", {"a": "input"}, annotations=annotations)
    async with eno(server.url) as running:
        comp = await synthesized(client, "comp")
        uuid = current_uuid(comp)
        changed = await client.patch(CONFIGMAP, "input", "default", {"data": {"v": "2"}}, patch_type="merge")
        rv = changed["metadata"]["resourceVersion"]

        async def recorded_in_cache() -> bool:
            cached = await running.manager.cache.get(type(comp), "comp", "default")
            return any(r.resource_version == rv for r in cached.status.input_revisions)

        await until(recorded_in_cache)
        await running.settled()
        comp = await get(client, "comp")
        assert comp.status.in_flight_synthesis is None and current_uuid(comp) == uuid

        # An input that says so explicitly still resynthesizes.
        explicit = {"metadata": {"annotations": {c.ANNOTATION_IGNORE_SIDE_EFFECTS: "false"}}}
        await client.patch(CONFIGMAP, "input", "default", explicit, patch_type="merge")
        await synthesized(client, "comp", other_than=uuid)


async def test_missing_input_blocks_until_it_exists(server: ApiServer, client: Client) -> None:
    await make_synthesizer(client, "synth", refs=[ref("a"), ref("opt", optional=True)])
    await make_composition(client, "comp", "synth", {"a": "later", "opt": "never"})
    async with eno(server.url) as running:

        async def missing() -> bool:
            comp = await get(client, "comp")
            simplified = comp.status.simplified
            return simplified is not None and simplified.status == c.STATUS_MISSING_INPUTS

        await until(missing)
        await running.settled()
        assert (await get(client, "comp")).status.in_flight_synthesis is None
        await client.create(configmap("later", v="1"))
        comp = await synthesized(client, "comp")
        assert [r.key for r in comp.status.current_synthesis.input_revisions] == ["a"]  # type: ignore[union-attr]


async def test_inputs_in_lockstep(server: ApiServer, client: Client) -> None:
    def revision(n: int) -> dict[str, str]:
        return {c.ANNOTATION_REVISION: str(n)}

    await client.create(configmap("one", revision(1), v="1"))
    await client.create(configmap("two", revision(1), v="1"))
    await make_synthesizer(client, "synth", refs=[ref("a"), ref("b")])
    await make_composition(client, "comp", "synth", {"a": "one", "b": "two"})
    async with eno(server.url) as running:
        comp = await synthesized(client, "comp")
        uuid = current_uuid(comp)

        bump = {"metadata": {"annotations": revision(2)}, "data": {"v": "2"}}
        await client.patch(CONFIGMAP, "one", "default", bump, patch_type="merge")

        async def half_recorded() -> bool:
            cached = await running.manager.cache.get(type(comp), "comp", "default")
            return {r.key: r.revision for r in cached.status.input_revisions} == {"a": 2, "b": 1}

        await until(half_recorded)
        await running.settled()
        assert (await get(client, "comp")).status.in_flight_synthesis is None  # out of lockstep: waits

        await client.patch(CONFIGMAP, "two", "default", bump, patch_type="merge")
        comp = await synthesized(client, "comp", other_than=uuid)
        current = comp.status.current_synthesis
        assert current is not None
        assert {r.key: r.revision for r in current.input_revisions} == {"a": 2, "b": 2}


async def test_failures_are_retried_with_backoff(server: ApiServer, client: Client) -> None:
    history = History(server, "compositions")
    await make_synthesizer(client, "synth", FAIL_COMMAND)
    await make_composition(client, "comp", "synth")
    try:
        async with eno(server.url, pod_timeout=1.0):
            await until(lambda: len(in_flights(history)) >= 3, timeout=30, message="three attempts")
            await client.patch(
                SYNTHESIZER, "synth", None, {"spec": {"command": ECHO_COMMAND}}, patch_type="merge"
            )
            comp = await synthesized(client, "comp")
            await no_pods_left(client)
    finally:
        history.close()
    attempts = in_flights(history)
    assert [a["attempts"] for a in attempts[:3]] == [1, 2, 3]
    for before, after in itertools.pairwise(attempts[:3]):
        # Each failed one was canceled at --pod-timeout (its error recorded, unless the timeout came first).
        assert before.get("canceled")
        canceled, initialized = parse_time(before["canceled"]), parse_time(before["initialized"])
        # Retried not before canceled + (canceled - initialized) * attempts * 1.5 (seconds on status).
        wait = (canceled - initialized) * before["attempts"] * 1.5
        assert parse_time(after["initialized"]) >= canceled + wait - dt.timedelta(seconds=1)
    # The fix is a synthesizer change: a retry (attempts + 1) or, once the failed synthesis recorded its
    # synthesizer generation, a rollout (attempts back to 1).
    assert comp.status.current_synthesis is not None


def in_flights(history: History) -> list[dict[str, Any]]:
    """The last recorded state of every in-flight synthesis, in the order they were dispatched."""
    out: dict[str, dict[str, Any]] = {}
    for event in history.events:
        syn = (event.object.get("status") or {}).get("inFlightSynthesis")
        if syn and syn.get("uuid"):
            out[syn["uuid"]] = syn
    return list(out.values())


async def test_input_derived_from_the_synthesizer_must_catch_up(server: ApiServer, client: Client) -> None:
    def seen(generation: int) -> dict[str, str]:
        return {c.ANNOTATION_SYNTHESIZER_GENERATION: str(generation)}

    await client.create(configmap("derived", seen(1), v="1"))
    await make_synthesizer(client, "synth", refs=[ref("a")])
    await make_composition(client, "comp", "synth", {"a": "derived"})
    async with eno(server.url, cooldown=0.0) as running:
        comp = await synthesized(client, "comp")
        uuid = current_uuid(comp)
        changed = await client.patch(
            SYNTHESIZER, "synth", None, {"spec": {"image": "example.com/synth:2"}}, patch_type="merge"
        )

        async def synth_cached() -> bool:
            cached = await running.manager.cache.get(SYNTHESIZER, "synth")
            return bool(cached["metadata"]["generation"] == changed["metadata"]["generation"])

        await until(synth_cached)
        await running.settled()
        assert (await get(client, "comp")).status.in_flight_synthesis is None  # the input is behind: wait

        # The input's controller catches up with generation 2.
        await client.patch(
            CONFIGMAP, "derived", "default", {"metadata": {"annotations": seen(2)}}, patch_type="merge"
        )
        comp = await synthesized(client, "comp", other_than=uuid)
        current = comp.status.current_synthesis
        assert current is not None and current.observed_synthesizer_generation == 2
        assert [r.synthesizer_generation for r in current.input_revisions] == [2]
