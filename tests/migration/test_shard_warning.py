"""A symphony split across label-selector shards is reported (design: migration.md, ownership guard)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from eno.api.v1 import Composition, Symphony
from eno.apiserver.server import ApiServer
from eno.reconciler.shards import REASON, SETTLE, SymphonyRef, outside_shard, symphony_owner
from eno.runtime import labels
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from tests.controllers.objects import symphony, variation
from tests.reconciliation import conftest as on_server
from tests.reconciliation.conftest import FAST, Synthesizer, configmap, reconciler, until

# The embedded server's fixtures (this package's own `client` talks to the daemons' cluster).
eno_server = on_server.eno_server
client = on_server.client

EVENT = GVK("", "v1", "Event")


def owner_ref(name: str, uid: str, api_version: str = "eno.azure.io/v1") -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": "Symphony", "name": name, "uid": uid, "controller": True}


def comp(name: str, shard: str, *refs: dict[str, Any]) -> Composition:
    metadata = {
        "name": name,
        "namespace": "default",
        "labels": {"shard": shard},
        "ownerReferences": list(refs),
    }
    return Composition.from_dict({"metadata": metadata, "spec": {"synthesizer": {"name": "s"}}})


@pytest.mark.parametrize(
    ("comps", "outside"),
    [
        pytest.param([comp("a", "1", owner_ref("s", "u"))], [], id="all-in-shard"),
        pytest.param(
            [comp("a", "1", owner_ref("s", "u")), comp("b", "2", owner_ref("s", "u"))], ["b"], id="split"
        ),
        pytest.param(
            [comp("a", "1", owner_ref("s", "u")), comp("b", "2", owner_ref("s", "x"))], [], id="other-owner"
        ),
        pytest.param([comp("b", "2", owner_ref("s", "u", "other.io/v1"))], [], id="other-group"),
        pytest.param([comp("b", "2")], [], id="unowned"),
    ],
)
def test_outside_shard(comps: list[Composition], outside: list[str]) -> None:
    owner = SymphonyRef("default", "s", "u")
    assert outside_shard(comps, owner, labels.parse("shard=1")) == outside


def test_symphony_owner_needs_the_eno_group() -> None:
    assert symphony_owner(comp("a", "1", owner_ref("s", "u"))) == SymphonyRef("default", "s", "u")
    assert symphony_owner(comp("a", "1", owner_ref("s", "u", "other.io/v1"))) is None


async def owned(client: Client, name: str, shard: str, symph: Symphony) -> Synthesizer:
    synth = Synthesizer(client, name)
    await synth.create(labels={"shard": shard})
    ref = owner_ref(symph.name, symph.uid)
    await client.patch(Composition, name, "default", {"metadata": {"ownerReferences": [ref]}})
    return synth


async def split_events(client: Client, symph: Symphony) -> list[dict[str, Any]]:
    page = await client.list(EVENT, namespace="default")
    return [
        e
        for e in page.items
        if e.get("reason") == REASON and e.get("involvedObject", {}).get("uid") == symph.uid
    ]


async def test_split_symphony_gets_a_warning_event(eno_server: ApiServer, client: Client) -> None:
    options = attrs.evolve(FAST, composition_label_selector="shard=1")
    async with reconciler(eno_server.url, options):
        whole = await client.create(Symphony.from_dict(symphony("whole", variation("s"), ns="default")))
        kept = await owned(client, "whole-a", "1", whole)
        await owned(client, "whole-b", "1", whole)
        # Settled: its reconstitution saw the owner, so its check is queued before the split one's.
        await kept.synthesize([configmap("whole-a")])
        await kept.settled()

        split = await client.create(Symphony.from_dict(symphony("split", variation("s"), ns="default")))
        await owned(client, "split-out", "2", split)
        inside = await owned(client, "split-in", "1", split)
        await inside.synthesize([configmap("split-in")])

        async def warned() -> list[dict[str, Any]]:
            events = await split_events(client, split)
            assert events
            return events

        events = await until(warned, timeout=SETTLE * 4)
        assert len(events) == 1
        assert events[0]["type"] == "Warning"
        assert "split-out" in events[0]["message"] and "split-in" not in events[0]["message"]
        assert await split_events(client, whole) == []
