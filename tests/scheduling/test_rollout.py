"""Synthesizer rollouts spaced by the cooldown, the concurrency limit, and dependencies (synthesis.md §6)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from eno.api.v1 import Composition, Synthesizer
from eno.api.v1 import constants as c
from eno.api.v1.times import parse_time
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from eno.scheduling.op import rollout_hash
from tests.controllers.conftest import History
from tests.scheduling.conftest import eno, get, make_composition, make_synthesizer, synthesized, until

COMPOSITION = GVK("eno.azure.io", "v1", "Composition")
SYNTHESIZER = GVK("eno.azure.io", "v1", "Synthesizer")


def dispatched(history: History) -> list[tuple[str, dict[str, Any]]]:
    """(composition, in-flight synthesis) in dispatch order, each synthesis once (its first state)."""
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    for event in history.events:
        syn = (event.object.get("status") or {}).get("inFlightSynthesis")
        if syn and syn.get("uuid") and syn["uuid"] not in seen:
            seen[syn["uuid"]] = (event.object["metadata"]["name"], syn)
    return list(seen.values())


async def rollout(server: ApiServer, client: Client, count: int, cooldown: float) -> None:
    history = History(server, "compositions")
    await make_synthesizer(client, "synth")
    names = [f"comp-{i:02d}" for i in range(count)]
    try:
        async with eno(server.url, cooldown=cooldown, limit=count):
            for name in names:
                await make_composition(client, name, "synth")
            for name in names:
                await synthesized(client, name)
            # A new synthesizer generation: every composition must resynthesize, one per cooldown.
            patch = {"spec": {"image": "example.com/synth:2"}}
            synth = Synthesizer.from_dict(
                await client.patch(SYNTHESIZER, "synth", None, patch, patch_type="merge")
            )

            async def all_rolled_out() -> bool:
                comps = [await get(client, n) for n in names]
                return all(
                    x.status.current_synthesis is not None
                    and x.status.current_synthesis.observed_synthesizer_generation == synth.generation
                    and x.status.in_flight_synthesis is None
                    for x in comps
                )

            await until(all_rolled_out, timeout=count * cooldown + 30, message="the rollout")
            comps = {n: await get(client, n) for n in names}
    finally:
        history.close()
    deferred = [(name, syn) for name, syn in dispatched(history) if syn.get("deferred")]
    assert sorted(name for name, _ in deferred) == names  # each exactly once
    times = [parse_time(syn["initialized"]) for _, syn in deferred]
    for before, after in itertools.pairwise(times):
        assert (after - before).total_seconds() >= cooldown
    # In the order of the per-generation rollout hash, largest first.
    expected = sorted(names, key=lambda n: rollout_hash(synth, comps[n]), reverse=True)
    assert [name for name, _ in deferred] == expected
    epoch = {x.annotations.get(c.ANNOTATION_GLOBAL_SYNTHESIZER_EPOCH) for x in comps.values()}
    assert len(epoch) == 1 and None not in epoch


async def test_synthesizer_rollout_is_spaced_by_the_cooldown(server: ApiServer, client: Client) -> None:
    await rollout(server, client, count=3, cooldown=1.0)


@pytest.mark.soak
async def test_synthesizer_rollout_of_20_compositions(server: ApiServer, client: Client) -> None:
    await rollout(server, client, count=20, cooldown=1.0)


async def test_concurrency_limit_bounds_syntheses_in_flight(server: ApiServer, client: Client) -> None:
    history = History(server, "compositions")
    await make_synthesizer(client, "synth")
    names = [f"comp-{i}" for i in range(4)]
    try:
        async with eno(server.url, limit=1) as running:
            for name in names:
                await make_composition(client, name, "synth")
            for name in names:
                await synthesized(client, name)
            registry = running.manager.registry
            assert registry.get_sample_value("eno_free_synthesis_slots") == 1
            assert (registry.get_sample_value("eno_scheduling_latency_seconds_count") or 0) > 0
    finally:
        history.close()
    # Replay every committed composition revision: never two synthesizing at once.
    synthesizing: dict[str, bool] = {}
    most = 0
    for event in history.events:
        syn = (event.object.get("status") or {}).get("inFlightSynthesis")
        synthesizing[event.object["metadata"]["name"]] = bool(syn and not syn.get("canceled"))
        most = max(most, sum(synthesizing.values()))
    assert most == 1


async def test_dependencies_wait_and_cycles_are_reported(server: ApiServer, client: Client) -> None:
    await make_synthesizer(client, "synth")
    await make_composition(client, "base", "synth")
    await make_composition(client, "app", "synth", dependsOn=[{"name": "base", "namespace": "default"}])
    await make_composition(client, "x", "synth", dependsOn=[{"name": "y", "namespace": "default"}])
    await make_composition(client, "y", "synth", dependsOn=[{"name": "x", "namespace": "default"}])
    async with eno(server.url) as running:
        await synthesized(client, "base")

        async def reason_of(name: str, reason: str) -> Composition | None:
            comp = await get(client, name)
            dep = comp.status.dependency_status
            return comp if dep is not None and dep.blocked and dep.reason == reason else None

        app = await until(lambda: reason_of("app", c.REASON_WAITING_ON_DEPENDENCIES))
        assert [(b.name, b.reason) for b in app.status.dependency_status.blocked_by] == [
            ("base", c.REASON_DEPENDENCY_NOT_READY)
        ]
        await until(lambda: reason_of("x", c.REASON_CIRCULAR_DEPENDENCY))
        await until(lambda: reason_of("y", c.REASON_CIRCULAR_DEPENDENCY))
        await running.settled()
        assert (await get(client, "app")).status.current_synthesis is None

        # Play the reconciler: base becomes Ready.
        ready = {
            "status": {
                "currentSynthesis": {"reconciled": "2026-01-01T00:00:00Z", "ready": "2026-01-01T00:00:00Z"}
            }
        }
        await client.patch(COMPOSITION, "base", "default", ready, patch_type="merge", subresource="status")
        app = await synthesized(client, "app")
        assert app.status.dependency_status is None
        # Breaking the cycle clears its status, and x goes ahead once y is Ready... y waits on x: x first.
        await client.patch(COMPOSITION, "x", "default", {"spec": {"dependsOn": None}}, patch_type="merge")
        await synthesized(client, "x")
        assert (await get(client, "x")).status.dependency_status is None
