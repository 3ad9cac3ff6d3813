"""kill -9 either daemon in the middle of the work, restart it, and Eno converges with nothing lost."""

from __future__ import annotations

import random
import signal

import pytest

from eno.api.v1 import Composition
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from tests.daemons.conftest import Daemon, Daemons, apply, getting_started
from tests.daemons.test_end_to_end import CONFIGMAP, DEPLOYMENT, deployment_replicas, ready_composition
from tests.daemons.test_leader_election import FAST_LEASES
from tests.eventually import eventually


@pytest.mark.soak
async def test_kill_9_mid_way_converges_after_restart(client: Client, daemons: Daemons) -> None:
    rng = random.Random(11)
    running: dict[str, Daemon] = {
        name: await daemons.start(name, FAST_LEASES) for name in ("eno-controller", "eno-reconciler")
    }
    await apply(client, getting_started())
    await ready_composition(client)
    for replicas in range(3, 11):
        await client.patch(
            CONFIGMAP, "getting-started-config", "default", {"data": {"replicas": str(replicas)}}
        )
        victim = rng.choice(sorted(running))
        await running[victim].stop(signal.SIGKILL)  # no lease release: the restart waits the lease out
        running[victim] = await daemons.start(victim, FAST_LEASES)
        await deployment_replicas(client, replicas)
        comp = await ready_composition(client)
        assert comp.status.current_synthesis is not None

    await client.delete(Composition, "getting-started", "default")

    async def gone() -> bool:
        try:
            await client.get(DEPLOYMENT, "hello", "default")
        except NotFound:
            return True
        return False

    await eventually(gone, timeout=60, interval=0.1, message="deployment deleted")


@pytest.mark.soak
async def test_chaos_ratio_writes_fail_and_eno_still_converges(client: Client, daemons: Daemons) -> None:
    """CHAOS_RATIO (Eno's testing aid): a tenth of every daemon's writes fail before reaching the server."""
    chaos = {"CHAOS_RATIO": "0.1"}
    for name in ("eno-controller", "eno-reconciler"):
        await daemons.start(name, env=chaos)
    await apply(client, getting_started())
    await ready_composition(client)
    for replicas in (3, 4, 5):
        change = {"data": {"replicas": str(replicas)}}
        await client.patch(CONFIGMAP, "getting-started-config", "default", change)
        await deployment_replicas(client, replicas)
    await ready_composition(client)
