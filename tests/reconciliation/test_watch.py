"""Watched objects (issue 10, beyond Eno): free resyncs, and drift corrected as soon as it is seen, at
most at the resource's interval, only for resources that have one."""

from __future__ import annotations

import asyncio
import json
import time

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from tests.controllers.conftest import History
from tests.eventually import eventually
from tests.reconciliation.conftest import CONFIGMAP, Synthesizer, configmap, until

INTERVAL = "eno.azure.io/reconcile-interval"


def requests_for(srv: ApiServer, name: str) -> int:
    return sum(1 for r in srv.request_log if r.resource == "configmaps" and r.name == name)


async def data_of(client: Client, name: str) -> dict[str, str]:
    return dict((await client.get(CONFIGMAP, name, "default")).get("data") or {})


async def edit(client: Client, name: str, value: str) -> None:
    await client.patch(CONFIGMAP, name, "default", {"data": {"k": value}}, "merge", field_manager="other")


async def test_an_unchanged_resource_costs_no_request_on_resync(
    eno, eno_server: ApiServer, synth: Synthesizer
) -> None:
    inert = json.dumps([{"path": "self.data.k", "value": "x", "condition": "false"}])
    await synth.create()
    await synth.synthesize(
        [
            configmap("plain", {"k": "eno"}, annotations={INTERVAL: "50ms"}),
            configmap(
                "overridden", {"k": "eno"}, annotations={INTERVAL: "50ms", "eno.azure.io/overrides": inert}
            ),
        ]
    )
    await synth.settled()
    reconciler = eno.reconciliation.reconciler
    await eventually(lambda: reconciler.passes > 0)
    before = {name: requests_for(eno_server, name) for name in ("plain", "overridden")}
    passes = reconciler.passes
    await eventually(lambda: reconciler.passes > passes + 20)  # many resyncs of both
    assert {name: requests_for(eno_server, name) for name in ("plain", "overridden")} == before


async def test_drift_is_corrected_when_seen(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize([configmap("a", {"k": "eno"}, annotations={INTERVAL: "1m"})])
    await synth.settled()
    await eventually(lambda: eno.reconciliation.reconciler.passes > 0)
    await edit(client, "a", "edited")
    started = time.monotonic()

    async def reverted() -> bool:
        return (await data_of(client, "a"))["k"] == "eno"

    await until(reverted, timeout=1.0)
    assert time.monotonic() - started < 1.0


async def test_drift_correction_is_paced_by_the_interval(
    eno, eno_server: ApiServer, synth: Synthesizer, client: Client
) -> None:
    await synth.create()
    await synth.synthesize(
        [
            configmap("fought", {"k": "eno"}, annotations={INTERVAL: "500ms"}),
            configmap("ceded", {"k": "eno"}),
        ]
    )
    await synth.settled()
    history = History(eno_server, "configmaps")
    started = time.monotonic()
    while time.monotonic() - started < 2.5:  # another controller that insists, 20 times a second
        await edit(client, "fought", "other")
        await edit(client, "ceded", "other")
        await asyncio.sleep(0.05)
    corrections = [
        e for e in history.events if e.key.name == "fought" and (e.object.get("data") or {}).get("k") == "eno"
    ]
    # The first correction at once, then at most one per 500 ms (plus one for timing slack).
    assert 2 <= len(corrections) <= 2.5 / 0.5 + 2, len(corrections)
    assert (await data_of(client, "ceded"))["k"] == "other", "no interval: left to the other client"
    assert not any(
        e.key.name == "ceded" and (e.object.get("data") or {}).get("k") == "eno" for e in history.events
    )
