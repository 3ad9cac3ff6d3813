"""The composition controller on the embedded API server; tests write what the synthesis and slice
controllers would write (status over HTTP) and observe the composition."""

from __future__ import annotations

import datetime as dt
from typing import Any

from controllers import composition as composition_controller
from controllers import symphony as symphony_controller
from eno.api.v1 import Composition, Symphony, Synthesizer
from eno.api.v1.times import format_time
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.gvk import GVK
from eno.runtime.manager import Manager
from tests.controllers.conftest import running, until
from tests.controllers.objects import NS, composition, symphony, synthesizer, variation

POD = GVK("", "v1", "Pod")
OPTIONS = composition_controller.Options(pod_timeout=30, synthesizer_pod_namespace=NS)


def setup(manager: Manager) -> Any:
    return composition_controller.setup(manager, OPTIONS)


def ago(seconds: float) -> str:
    return format_time(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds))


async def status_of(client: Client, name: str) -> tuple[str, str]:
    comp = await client.get(Composition, name, NS)
    simplified = comp.status.simplified
    return (simplified.status, simplified.error) if simplified else ("", "")


async def write_status(client: Client, name: str, status: dict[str, Any]) -> None:
    await client.patch(Composition, name, NS, {"status": status}, subresource="status")


async def gone(client: Client, name: str) -> bool:
    try:
        await client.get(Composition, name, NS)
    except NotFound:
        return True
    return False


async def test_finalizer_and_simplified_status(eno_server: ApiServer, client: Client) -> None:
    await client.create(
        Synthesizer.from_dict(
            synthesizer("s", refs=[{"key": "cfg", "resource": {"kind": "ConfigMap", "version": "v1"}}])
        )
    )
    await client.create(Composition.from_dict(composition("c", "s")))
    await client.create(Composition.from_dict(composition("nosynth", "missing")))
    async with running(eno_server.url, setup):

        async def statuses() -> bool:
            c = await client.get(Composition, "c", NS)
            assert "eno.azure.io/cleanup" in c.finalizers
            assert await status_of(client, "c") == ("MissingInputs", "")
            assert await status_of(client, "nosynth") == ("MissingSynthesizer", "")
            return True

        await until(statuses)
        # The input shows up; then a synthesis lands and is reconciled and ready.
        await write_status(client, "c", {"inputRevisions": [{"key": "cfg", "resourceVersion": "1"}]})

        async def pending() -> bool:
            assert await status_of(client, "c") == ("PendingSynthesis", "")
            return True

        await until(pending)
        gen = (await client.get(Composition, "c", NS)).generation
        await write_status(
            client,
            "c",
            {"currentSynthesis": {"uuid": "u1", "observedCompositionGeneration": gen, "synthesized": ago(1)}},
        )

        async def reconciling() -> bool:
            assert await status_of(client, "c") == ("Reconciling", "")
            return True

        await until(reconciling)
        await write_status(client, "c", {"currentSynthesis": {"reconciled": ago(0), "ready": ago(0)}})

        async def ready() -> bool:
            assert await status_of(client, "c") == ("Ready", "")
            return True

        await until(ready)


async def test_synthesizer_appearing_wakes_its_compositions(eno_server: ApiServer, client: Client) -> None:
    await client.create(Composition.from_dict(composition("c", "late")))
    async with running(eno_server.url, setup):

        async def missing() -> bool:
            assert await status_of(client, "c") == ("MissingSynthesizer", "")
            return True

        await until(missing)
        await client.create(Synthesizer.from_dict(synthesizer("late")))

        async def pending() -> bool:
            assert await status_of(client, "c") == ("PendingSynthesis", "")
            return True

        await until(pending)


async def test_deletion_waits_for_resource_cleanup(eno_server: ApiServer, client: Client) -> None:
    await client.create(Synthesizer.from_dict(synthesizer("s")))
    await client.create(Composition.from_dict(composition("c", "s")))
    async with running(eno_server.url, setup):

        async def finalized() -> Composition | None:
            c = await client.get(Composition, "c", NS)
            return c if "eno.azure.io/cleanup" in c.finalizers else None

        c = await until(finalized)
        assert c is not None
        syn = {
            "uuid": "u1",
            "observedCompositionGeneration": c.generation,
            "synthesized": ago(5),
            "reconciled": ago(4),
        }
        await write_status(client, "c", {"currentSynthesis": syn})
        await client.delete(Composition, "c", NS)

        async def rearmed() -> Composition | None:
            c = await client.get(Composition, "c", NS)
            cur = c.status.current_synthesis
            assert cur is not None and cur.uuid not in ("", "u1")
            assert cur.observed_composition_generation == c.generation and cur.reconciled is None
            return c

        await until(rearmed)
        # Play the slice controller: every resource is deleted, so the synthesis is reconciled again.
        await write_status(client, "c", {"currentSynthesis": {"reconciled": ago(0)}})
        await until(lambda: gone(client, "c"))


async def test_never_synthesized_composition_goes_at_once(eno_server: ApiServer, client: Client) -> None:
    await client.create(Synthesizer.from_dict(synthesizer("s")))
    await client.create(Composition.from_dict(composition("c", "s")))
    async with running(eno_server.url, setup):

        async def finalized() -> bool:
            return "eno.azure.io/cleanup" in (await client.get(Composition, "c", NS)).finalizers

        await until(finalized)
        await client.delete(Composition, "c", NS)
        await until(lambda: gone(client, "c"))


async def test_dependents_hold_a_dependency_deletion(eno_server: ApiServer, client: Client) -> None:
    await client.create(Synthesizer.from_dict(synthesizer("s")))
    await client.create(Composition.from_dict(composition("dep", "s")))
    await client.create(
        Composition.from_dict(
            composition("user", "s", spec={"dependsOn": [{"name": "dep", "namespace": NS}]})
        )
    )
    await client.create(Composition.from_dict(composition("unrelated", "s")))
    async with running(eno_server.url, setup):

        async def finalized() -> bool:
            for name in ("dep", "user"):
                assert "eno.azure.io/cleanup" in (await client.get(Composition, name, NS)).finalizers
            return True

        await until(finalized)
        await client.delete(Composition, "dep", NS)

        async def blocked() -> bool:
            dep = await client.get(Composition, "dep", NS)
            status = dep.status.dependency_status
            assert status is not None and status.blocked and status.reason == "WaitingOnDependents"
            assert [(b.name, b.reason) for b in status.blocked_by] == [("user", "DependentNotDeleted")]
            return True

        await until(blocked)
        await client.delete(Composition, "user", NS)
        await until(lambda: gone(client, "user"))
        await until(lambda: gone(client, "dep"))
        assert not await gone(client, "unrelated")


async def test_force_delete_when_symphony_gone(eno_server: ApiServer, client: Client) -> None:
    await client.create(Synthesizer.from_dict(synthesizer("s")))
    sym = await client.create(Symphony.from_dict(symphony("sym", variation("s"))))
    owner = [
        {
            "apiVersion": "eno.azure.io/v1",
            "kind": "Symphony",
            "name": "sym",
            "uid": sym.uid,
            "controller": True,
        }
    ]
    meta = {"annotations": {"eno.azure.io/forceDeleteWhenSymphonyGone": "true"}, "ownerReferences": owner}
    await client.create(Composition.from_dict(composition("c", "s", metadata=meta)))
    async with running(eno_server.url, setup):

        async def finalized() -> Composition | None:
            c = await client.get(Composition, "c", NS)
            return c if "eno.azure.io/cleanup" in c.finalizers else None

        c = await until(finalized)
        assert c is not None
        unreconciled = {"uuid": "u", "observedCompositionGeneration": c.generation + 1}
        await write_status(client, "c", {"currentSynthesis": unreconciled})
        # The symphony goes (no symphony controller holds it); the garbage collector deletes the composition,
        # whose resources would normally hold it: the annotation lets it go at once.
        await client.delete(Symphony, "sym", NS)
        await until(lambda: gone(client, "c"))


async def test_synthesis_timeout_cancels(eno_server: ApiServer, client: Client) -> None:
    await client.create(Synthesizer.from_dict(synthesizer("s")))
    await client.create(Composition.from_dict(composition("c", "s")))
    async with running(eno_server.url, setup):

        async def synthesizing() -> bool:
            await write_status(client, "c", {"inFlightSynthesis": {"uuid": "u1", "initialized": ago(60)}})
            return True

        await until(synthesizing)

        async def canceled() -> bool:
            c = await client.get(Composition, "c", NS)
            assert c.status.in_flight_synthesis is not None and c.status.in_flight_synthesis.canceled
            assert await status_of(client, "c") == ("SynthesisBackoff", "Timeout")
            return True

        await until(canceled)


async def test_succeeded_pod_cancels_fast(eno_server: ApiServer, client: Client) -> None:
    await client.create(Synthesizer.from_dict(synthesizer("s")))
    await client.create(Composition.from_dict(composition("c", "s")))
    labels = {"app.kubernetes.io/managed-by": "eno", "eno.azure.io/synthesis-uuid": "u1"}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "synth-pod", "namespace": NS, "labels": labels},
        "spec": {"containers": [{"name": "executor", "image": "x"}]},
    }
    await client.create(pod)
    finished = {"state": {"terminated": {"exitCode": 0, "finishedAt": ago(30)}}, "name": "executor"}
    await client.patch(
        POD,
        "synth-pod",
        NS,
        {"status": {"phase": "Succeeded", "containerStatuses": [finished]}},
        subresource="status",
    )
    async with running(eno_server.url, setup):
        await write_status(client, "c", {"inFlightSynthesis": {"uuid": "u1", "initialized": ago(1)}})

        async def canceled() -> bool:
            c = await client.get(Composition, "c", NS)
            assert c.status.in_flight_synthesis is not None and c.status.in_flight_synthesis.canceled
            return True

        await until(canceled)


async def test_symphony_with_missing_synthesizer_and_unknown_bindings(
    eno_server: ApiServer, client: Client
) -> None:
    """Bad input loses nothing: each composition exists and says what is wrong."""
    await client.create(
        Synthesizer.from_dict(
            synthesizer("real", refs=[{"key": "cfg", "resource": {"kind": "ConfigMap", "version": "v1"}}])
        )
    )
    sym = symphony(
        "sym",
        variation("real", bindings=[{"key": "not-a-ref", "resource": {"name": "x"}}]),
        variation("ghost"),
    )
    async with running(eno_server.url, setup, symphony_controller.setup):
        await client.create(Symphony.from_dict(sym))

        async def explained() -> bool:
            comps = {c.spec.synthesizer.name: c for c in (await client.list(Composition, namespace=NS)).items}
            assert set(comps) == {"real", "ghost"}
            assert await status_of(client, comps["ghost"].name) == ("MissingSynthesizer", "")
            assert await status_of(client, comps["real"].name) == ("MissingInputs", "")
            return True

        await until(explained)
