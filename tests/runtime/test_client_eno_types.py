"""Eno's typed API objects go through the client and the cache as themselves (the KubeObject protocol)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import attrs
import pytest

from eno.api.v1.common import SynthesizerRef
from eno.api.v1.composition import Composition, CompositionSpec, CompositionStatus, SimplifiedStatus
from eno.api.v1.crds import crd
from eno.apiserver.server import ApiServer
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.errors import Conflict

NS = "default"


@pytest.fixture
async def client(apiserver: ApiServer) -> AsyncIterator[Client]:
    async with await Client.from_url(apiserver.url, qps=0) as c:
        await c.create(crd(Composition))
        yield c


def composition(name: str) -> Composition:
    return Composition(
        metadata={"name": name, "namespace": NS},
        spec=CompositionSpec(synthesizer=SynthesizerRef(name="synth")),
    )


async def test_compositions_round_trip_typed(client: Client) -> None:
    created = await client.create(composition("c"))
    assert isinstance(created, Composition)
    assert created.metadata["resourceVersion"] and created.spec.synthesizer.name == "synth"

    status = CompositionStatus(simplified=SimplifiedStatus(status="Ready"))
    updated = await client.update_status(attrs.evolve(created, status=status))
    assert updated.status.simplified is not None and updated.status.simplified.status == "Ready"
    with pytest.raises(Conflict):
        await client.update(attrs.evolve(created, spec=CompositionSpec(synthesizer=SynthesizerRef(name="x"))))

    got = await client.get(Composition, "c", NS)
    assert got == updated
    assert [c.name for c in await client.list(Composition, NS)] == ["c"]


async def test_typed_reads_from_the_cache(client: Client) -> None:
    await client.create(composition("cached"))
    cache = Cache(client, sync_timeout=10)
    cache.start()
    try:
        got = await cache.get(Composition, "cached", NS)
        assert isinstance(got, Composition) and got.spec.synthesizer.name == "synth"
        assert [c.name for c in await cache.list(Composition, NS)] == ["cached"]
    finally:
        await cache.stop()
