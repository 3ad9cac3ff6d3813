"""Which changes replace a synthesis in flight, and the watchdog metrics (synthesis.md §5-§6, §13)."""

from __future__ import annotations

from pathlib import Path

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from tests.controllers.conftest import History
from tests.scheduling.conftest import (
    GATED,
    PY,
    eno,
    get,
    make_composition,
    make_synthesizer,
    synthesized,
    until,
)
from tests.scheduling.test_rollout import dispatched
from tests.scheduling.test_triggers import no_pods_left

COMPOSITION = GVK("eno.azure.io", "v1", "Composition")
SYNTHESIZER = GVK("eno.azure.io", "v1", "Synthesizer")


async def in_flight_uuid(client: Client) -> str | None:
    syn = (await get(client, "comp")).status.in_flight_synthesis
    return syn.uuid if syn is not None else None


async def test_spec_change_preempts_a_running_synthesis(
    server: ApiServer, client: Client, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    history = History(server, "compositions")
    await make_synthesizer(client, "synth", [PY, "-c", GATED, str(gate)])
    await make_composition(client, "comp", "synth")
    try:
        async with eno(server.url) as running:
            first = await until(lambda: in_flight_uuid(client))
            env = {"spec": {"synthesisEnv": [{"name": "X", "value": "1"}]}}
            await client.patch(COMPOSITION, "comp", "default", env, patch_type="merge")

            async def replaced() -> str | None:
                uuid = await in_flight_uuid(client)
                return uuid if uuid not in (None, first) else None

            second = await until(replaced)
            gate.touch()
            comp = await synthesized(client, "comp")
            assert comp.status.current_synthesis is not None
            assert comp.status.current_synthesis.uuid == second
            assert comp.status.previous_synthesis is None  # the preempted one never became current
            await no_pods_left(client)
            # The old pod went as superseded, or as orphaned if its new synthesis was already current.
            registry = running.manager.registry
            results = {
                reason: registry.get_sample_value(
                    "eno_synthesis_result_total", {"synthesizer": "synth", "result": reason}
                )
                or 0
                for reason in ("superseded", "orphaned", "success")
            }
            assert results["superseded"] + results["orphaned"] >= 1 and results["success"] == 1
    finally:
        history.close()
    assert [syn["uuid"] for _, syn in dispatched(history)] == [first, second]


async def test_synthesizer_change_waits_for_the_running_synthesis(
    server: ApiServer, client: Client, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    await make_synthesizer(client, "synth", [PY, "-c", GATED, str(gate)])
    await make_composition(client, "comp", "synth")
    async with eno(server.url, cooldown=0.0) as running:
        first = await until(lambda: in_flight_uuid(client))
        # Once the process has its input, the synthesis has read the synthesizer (generation 1).
        await until(lambda: Path(f"{gate}.started").exists())
        command = {"spec": {"command": [PY, "-c", GATED, str(gate), "changed"]}}
        await client.patch(SYNTHESIZER, "synth", None, command, patch_type="merge")

        async def seen() -> bool:
            synth = await running.manager.cache.get(SYNTHESIZER, "synth")
            return len(synth["spec"]["command"]) == 5

        await until(seen)
        await running.settled()
        assert await in_flight_uuid(client) == first  # deferred: never preempts
        gate.touch()
        comp = await synthesized(client, "comp", other_than=first)
        previous = comp.status.previous_synthesis
        assert (
            previous is not None and previous.uuid == first and previous.observed_synthesizer_generation == 1
        )
        current = comp.status.current_synthesis
        assert current is not None and current.deferred and current.observed_synthesizer_generation == 2
        await no_pods_left(client)


async def test_watchdog_metrics(server: ApiServer, client: Client) -> None:
    await make_synthesizer(client, "synth")
    await make_composition(client, "comp", "synth")
    async with eno(server.url, watchdog=0.0) as running:
        await synthesized(client, "comp")
        registry = running.manager.registry

        def stuck() -> bool:
            health = registry.get_sample_value(
                "eno_composition_health",
                {"composition_name": "comp", "composition_namespace": "default", "synthesizer_name": "synth"},
            )
            total = registry.get_sample_value(
                "eno_compositions_stuck_reconciling_total", {"synthesizer": "synth", "owner": ""}
            )
            return health == 1 and total == 1

        # Never reconciled (no reconciler runs here) and past a zero threshold.
        await client.patch(
            COMPOSITION, "comp", "default", {"metadata": {"labels": {"x": "y"}}}, patch_type="merge"
        )
        await until(stuck)


async def test_image_change_replaces_the_running_pod(
    server: ApiServer, client: Client, tmp_path: Path
) -> None:
    """An outdated pod (its image is no longer the synthesizer's) is deleted as `image_changed`, and the
    composition ends up synthesized by the new image; nothing is left behind."""
    gate = tmp_path / "gate"
    await make_synthesizer(client, "synth", [PY, "-c", GATED, str(gate)])
    await make_composition(client, "comp", "synth")
    async with eno(server.url) as running:
        first = await until(lambda: in_flight_uuid(client))
        await until(lambda: Path(f"{gate}.started").exists())
        image = {"spec": {"image": "example.com/synth:2"}}
        await client.patch(SYNTHESIZER, "synth", None, image, patch_type="merge")
        registry = running.manager.registry

        def collected(reason: str) -> float:
            labels = {"synthesizer": "synth", "result": reason}
            return registry.get_sample_value("eno_synthesis_result_total", labels) or 0

        await until(lambda: collected("image_changed") == 1)
        gate.touch()
        # A new pod for the same synthesis runs the new image (no retry, no rollout needed).
        comp = await synthesized(client, "comp")
        current = comp.status.current_synthesis
        assert current is not None and current.uuid == first and current.observed_synthesizer_generation == 2
        await no_pods_left(client)
