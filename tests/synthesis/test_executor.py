"""The executor's writes against the embedded server, without pods: the UUID re-check, conflict retries,
slices of the outgoing synthesis with tombstones, and failures that leave current untouched."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eno.api.v1 import Composition, ResourceSlice, Synthesizer
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.synthesis import executor
from eno.synthesis.inputs import InputError, read_inputs
from tests.synthesis.conftest import dispatch, make_composition, make_synthesizer


def cm(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}}


async def attempt_for(client: Client, uuid: str | None = None) -> executor.Attempt:
    comp = await client.get(Composition, "comp", "default")
    synth = await client.get(Synthesizer, "synth")
    in_flight = comp.status.in_flight_synthesis
    assert in_flight is not None
    return executor.Attempt(comp, synth, uuid or in_flight.uuid, synth.spec.image)


@pytest.fixture
async def comp(server: ApiServer, client: Client) -> Composition:
    await make_synthesizer(client, "synth", ["synthesize"])
    return await make_composition(client, "comp", "synth")


async def test_commit_rotates_and_the_next_one_tombstones(client: Client, comp: Composition) -> None:
    first = await dispatch(client, "comp")
    done = await executor.commit(client, await attempt_for(client), [cm("a"), cm("b")], [], [])
    assert done.skipped is None and len(done.slices) == 1
    second = await dispatch(client, "comp")
    again = await executor.commit(client, await attempt_for(client), [cm("b")], [], [])
    fresh = await client.get(Composition, "comp", "default")
    assert fresh.status.current_synthesis is not None and fresh.status.current_synthesis.uuid == second
    assert fresh.status.previous_synthesis is not None and fresh.status.previous_synthesis.uuid == first
    assert fresh.status.in_flight_synthesis is None
    piece = await client.get(ResourceSlice, again.slices[0], "default")
    names = [(json.loads(m.manifest)["metadata"]["name"], m.deleted) for m in piece.spec.resources]
    assert names == [("b", False), ("a", True)]
    assert piece.spec.synthesis_uuid == first


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("redispatch", "UUIDMismatch"),
        ("cancel", "SynthesisCanceled"),
        ("clear", "MissingSynthesis"),
        ("image", "ImageMismatch"),
    ],
    ids=["superseded", "canceled", "no-in-flight", "image-changed"],
)
async def test_a_synthesis_no_longer_wanted_writes_no_status(
    client: Client, comp: Composition, change: str, reason: str
) -> None:
    await dispatch(client, "comp")
    attempt = await attempt_for(client)
    if change == "image":
        attempt = executor.Attempt(attempt.composition, attempt.synthesizer, attempt.uuid, "other:image")
    elif change == "redispatch":
        await dispatch(client, "comp")
    else:
        value: Any = (
            None if change == "clear" else {**_in_flight(attempt), "canceled": "2030-01-01T00:00:00Z"}
        )
        await client.patch(
            Composition,
            "comp",
            "default",
            {"status": {"inFlightSynthesis": value}},
            patch_type="merge",
            subresource="status",
        )
    before = await client.get(Composition, "comp", "default")
    done = await executor.commit(client, attempt, [cm("a")], [], [])
    assert done.skipped == reason
    after = await client.get(Composition, "comp", "default")
    assert after.status == before.status


def _in_flight(attempt: executor.Attempt) -> dict[str, Any]:
    in_flight = attempt.composition.status.in_flight_synthesis
    assert in_flight is not None
    return in_flight.to_dict()


async def test_status_conflicts_are_retried(server: ApiServer, client: Client, comp: Composition) -> None:
    uid = await dispatch(client, "comp")
    fault = server.faults.add(
        verb="update", resource="compositions", subresource="status", status=409, times=2
    )
    done = await executor.commit(client, await attempt_for(client), [cm("a")], [], [])
    assert done.skipped is None and fault.hits == 2
    fresh = await client.get(Composition, "comp", "default")
    assert fresh.status.current_synthesis is not None and fresh.status.current_synthesis.uuid == uid


async def test_failure_keeps_current(client: Client, comp: Composition) -> None:
    good = await dispatch(client, "comp")
    await executor.commit(client, await attempt_for(client), [cm("a")], [], [])
    bad = await dispatch(client, "comp")
    assert await executor.record_failure(client, await attempt_for(client), "boom", []) is None
    fresh = await client.get(Composition, "comp", "default")
    assert fresh.status.current_synthesis is not None and fresh.status.current_synthesis.uuid == good
    in_flight = fresh.status.in_flight_synthesis
    assert in_flight is not None and in_flight.uuid == bad
    assert [(r.severity, r.message) for r in in_flight.results] == [("error", "boom")]
    assert in_flight.synthesized is not None and in_flight.resource_slices == ()


async def test_missing_current_slice_is_skipped(client: Client, comp: Composition) -> None:
    await dispatch(client, "comp")
    done = await executor.commit(client, await attempt_for(client), [cm("a")], [], [])
    piece = await client.get(ResourceSlice, done.slices[0], "default")
    await client.patch(
        ResourceSlice, piece.name, "default", {"metadata": {"finalizers": None}}, patch_type="merge"
    )
    await client.delete(ResourceSlice, piece.name, "default")
    await dispatch(client, "comp")
    again = await executor.commit(client, await attempt_for(client), [cm("b")], [], [])
    fresh = await client.get(ResourceSlice, again.slices[0], "default")
    assert [json.loads(m.manifest)["metadata"]["name"] for m in fresh.spec.resources] == ["b"]


async def test_inputs_binding_wins_and_missing_required_fails(client: Client) -> None:
    await client.create({**cm("bound"), "data": {"v": "1"}})
    await client.create({**cm("implicit"), "data": {"v": "2"}})
    refs = [
        {
            "key": "k",
            "resource": {"version": "v1", "kind": "ConfigMap", "name": "implicit", "namespace": "default"},
        },
        {"key": "req", "resource": {"version": "v1", "kind": "ConfigMap"}},
    ]
    synth = await make_synthesizer(client, "s", ["x"], refs=refs)
    comp = await make_composition(
        client,
        "c",
        "s",
        bindings=[
            {"key": "k", "resource": {"name": "bound", "namespace": "default"}},
            {"key": "req", "resource": {"name": "absent", "namespace": "default"}},
        ],
    )
    with pytest.raises(InputError, match='input "req"'):
        await read_inputs(client, synth, comp)
    await client.create(cm("absent"))
    inputs = await read_inputs(client, synth, comp)
    assert [i["metadata"]["name"] for i in inputs.items] == ["bound", "absent"]
    assert inputs.items[0]["metadata"]["annotations"] == {"eno.azure.io/input-key": "k"}
    doc = json.loads(inputs.encode())
    assert doc["functionConfig"] == {"apiVersion": "v1", "kind": "ConfigMap", "optionalRefs": []}


async def test_duplicate_outputs_are_kept_for_the_reconciler(client: Client, comp: Composition) -> None:
    """Eno writes every output, duplicates included; the reconciler picks one (the greater manifest hash)."""
    await dispatch(client, "comp")
    first, second = {**cm("a"), "data": {"v": "1"}}, {**cm("a"), "data": {"v": "2"}}
    done = await executor.commit(client, await attempt_for(client), [first, second], [], [])
    piece = await client.get(ResourceSlice, done.slices[0], "default")
    assert [json.loads(m.manifest)["data"]["v"] for m in piece.spec.resources] == ["1", "2"]
