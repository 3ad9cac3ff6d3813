"""The scheduler and input watching under API faults: failed writes, cut watches, compaction."""

from __future__ import annotations

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from tests.controllers.conftest import History
from tests.scheduling.conftest import (
    configmap,
    eno,
    make_composition,
    make_synthesizer,
    ref,
    synthesized,
    until,
)
from tests.scheduling.test_rollout import dispatched
from tests.scheduling.test_triggers import no_pods_left

CONFIGMAP = GVK("", "v1", "ConfigMap")


async def test_everything_converges_through_failed_writes_and_cut_watches(
    server: ApiServer, client: Client
) -> None:
    faults = server.faults
    history = History(server, "compositions")
    names = [f"comp-{i}" for i in range(4)]
    await make_synthesizer(client, "synth", refs=[ref("a")])
    for name in names:
        await client.create(configmap(f"in-{name}", v="1"))
        await make_composition(client, name, "synth", {"a": f"in-{name}"})
    # Status patches fail now and then (the dispatch, the write buffer, the simplified status). A failed
    # executor swap is not injected: it is a failed synthesis, retried after the fast cancel (slow).
    faults.add(verb="patch", resource="compositions", subresource="status", status=500, times=4)
    faults.add(verb="patch", resource="compositions", subresource="status", status=503, times=2)
    faults.add(verb="watch", resource="compositions", cut_after=0.3, times=2)
    faults.add(verb="watch", resource="configmaps", cut_after=0.2, times=2)
    try:
        async with eno(server.url):
            for name in names:
                await synthesized(client, name)
            for name in names:
                await client.patch(
                    CONFIGMAP, f"in-{name}", "default", {"data": {"v": "2"}}, patch_type="merge"
                )
            faults.compact()

            async def all_read_v2() -> bool:
                for name in names:
                    comp = await synthesized(client, name)
                    live = await client.get(CONFIGMAP, f"in-{name}", "default")
                    read = {r.key: r.resource_version for r in comp.status.current_synthesis.input_revisions}  # type: ignore[union-attr]
                    if read != {"a": live["metadata"]["resourceVersion"]}:
                        return False
                return True

            await until(all_read_v2, timeout=30)
            await no_pods_left(client)
    finally:
        history.close()
        faults.clear()
    # Each composition: its initial synthesis and its input change, no spurious extra dispatch.
    per_comp: dict[str, int] = {}
    for name, _ in dispatched(history):
        per_comp[name] = per_comp.get(name, 0) + 1
    assert per_comp == dict.fromkeys(names, 2)
