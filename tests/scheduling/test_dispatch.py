"""The dispatch patch on the embedded server: kube's JSON-patch leniency and the race fences
(synthesis.md §6 "Dispatch")."""

from __future__ import annotations

from typing import Any

import pytest

from eno.api.v1 import Composition
from eno.api.v1 import constants as c
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.errors import ApiError
from eno.scheduling.dispatch import dispatch_patch
from eno.scheduling.op import Op, Reason
from tests.controllers.conftest import client, eno_server

__all__ = ["client", "eno_server"]
NOW = "2026-01-01T00:00:00Z"


async def create(client: Client, status: dict[str, Any] | None = None) -> Composition:
    body = {
        "apiVersion": c.API_VERSION,
        "kind": "Composition",
        "metadata": {"name": "comp", "namespace": "default", "finalizers": [c.FINALIZER_CLEANUP]},
        "spec": {"synthesizer": {"name": "synth"}},
    }
    comp = Composition.from_dict(await client.create(body))
    if status:
        comp = await client.patch(
            Composition, "comp", "default", {"status": status}, patch_type="merge", subresource="status"
        )
    return comp


async def send(client: Client, op: Op, uuid: str) -> Composition:
    patch = dispatch_patch(op, uuid, NOW)
    return await client.patch(Composition, "comp", "default", patch, patch_type="json", subresource="status")


async def test_first_dispatch_on_an_empty_status(eno_server: ApiServer, client: Client) -> None:
    comp = await create(client)
    after = await send(client, Op(Reason.INITIAL_SYNTHESIS, comp), "u1")
    in_flight = after.status.in_flight_synthesis
    assert in_flight is not None and (in_flight.uuid, in_flight.attempts, in_flight.initialized) == (
        "u1",
        1,
        NOW,
    )


async def test_replacing_an_in_flight_synthesis(eno_server: ApiServer, client: Client) -> None:
    status = {
        "inputRevisions": [{"key": "a", "resourceVersion": "3"}],
        "inFlightSynthesis": {"uuid": "old", "observedCompositionGeneration": 1, "initialized": NOW},
    }
    comp = await create(client, status)
    after = await send(client, Op(Reason.COMPOSITION_MODIFIED, comp), "new")
    in_flight = after.status.in_flight_synthesis
    assert in_flight is not None and in_flight.uuid == "new"
    assert [r.key for r in in_flight.input_revisions] == ["a"]


FENCES = [
    ("input revisions changed", {"inputRevisions": [{"key": "a", "resourceVersion": "4"}]}),
    (
        "another synthesis was dispatched",
        {"inFlightSynthesis": {"uuid": "zombie", "observedCompositionGeneration": 1}},
    ),
    ("the in-flight synthesis finished", {"inFlightSynthesis": {"synthesized": NOW}}),
]


@pytest.mark.parametrize("change", [f[1] for f in FENCES], ids=[f[0] for f in FENCES])
async def test_a_stale_decision_is_refused(
    eno_server: ApiServer, client: Client, change: dict[str, Any]
) -> None:
    status = {
        "inputRevisions": [{"key": "a", "resourceVersion": "3"}],
        "inFlightSynthesis": {"uuid": "old", "observedCompositionGeneration": 1, "initialized": NOW},
    }
    cached = await create(client, status)
    await client.patch(
        Composition, "comp", "default", {"status": change}, patch_type="merge", subresource="status"
    )
    with pytest.raises(ApiError):
        await send(client, Op(Reason.COMPOSITION_MODIFIED, cached), "new")
    live = await client.get(Composition, "comp", "default")
    assert live.status.in_flight_synthesis is not None and live.status.in_flight_synthesis.uuid != "new"


async def test_a_stale_empty_status_is_refused(eno_server: ApiServer, client: Client) -> None:
    cached = await create(client)
    await client.patch(
        Composition,
        "comp",
        "default",
        {"status": {"inputRevisions": [{"key": "a", "resourceVersion": "1"}]}},
        patch_type="merge",
        subresource="status",
    )
    with pytest.raises(ApiError):
        await send(client, Op(Reason.INITIAL_SYNTHESIS, cached), "new")
