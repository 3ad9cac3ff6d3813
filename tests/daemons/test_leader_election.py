"""Two replicas of each daemon: only the leader acts; when it stops, the other takes over."""

from __future__ import annotations

from eno.runtime.client import Client
from tests.daemons.conftest import Daemon, Daemons, apply, getting_started
from tests.daemons.test_end_to_end import CONFIGMAP, deployment_replicas, ready_composition
from tests.eventually import eventually

# Short leases so a takeover fits in a test, yet a renew deadline a busy CI machine cannot miss by accident.
FAST_LEASES = [
    "--leader-election-lease-duration=6s",
    "--leader-election-lease-renew-deadline=4s",
    "--leader-election-lease-retry=1s",
]


async def leader_of(pair: list[Daemon], lease: str) -> tuple[Daemon, Daemon]:
    """(leader, follower), once exactly one replica reports holding the lease."""

    async def check() -> tuple[Daemon, Daemon] | None:
        statuses = [await d.metric("leader_election_master_status", name=lease) for d in pair]
        if sorted(statuses) != [0.0, 1.0]:
            return None
        return (pair[0], pair[1]) if statuses[0] == 1.0 else (pair[1], pair[0])

    result: tuple[Daemon, Daemon] | None = await eventually(
        check, timeout=30, interval=0.1, message="a leader"
    )
    assert result is not None
    return result


async def test_only_the_leader_acts_and_the_other_takes_over(client: Client, daemons: Daemons) -> None:
    controllers = [await daemons.start("eno-controller", FAST_LEASES) for _ in range(2)]
    reconcilers = [await daemons.start("eno-reconciler", FAST_LEASES) for _ in range(2)]
    controller, controller_follower = await leader_of(controllers, "controller")
    reconciler, reconciler_follower = await leader_of(reconcilers, "reconciler")

    await apply(client, getting_started())
    await ready_composition(client)
    await deployment_replicas(client, 2)

    # The leaders did the work; the followers reconciled nothing and wrote nothing.
    assert await controller.metric("eno_syntheses_total") >= 1
    assert await reconciler.metric("eno_reconciliation_actions_total") >= 1
    for follower in (controller_follower, reconciler_follower):
        assert await follower.metric("controller_runtime_reconcile_total") == 0
    assert await controller_follower.metric("eno_syntheses_total") == 0
    assert await reconciler_follower.metric("eno_reconciliation_actions_total") == 0
    # Followers still serve their probes and metrics; a follower reports every synthesis slot free.
    for follower in (controller_follower, reconciler_follower):
        assert await follower.ready()
        assert (await follower.get(follower.probes, "/healthz"))[0] == 200
    assert await controller_follower.metric("eno_free_synthesis_slots") == 10

    # The leaders stop (releasing their leases); the followers take over and carry on.
    await controller.stop()
    await reconciler.stop()
    assert (controller.process.returncode, reconciler.process.returncode) == (0, 0)  # SIGTERM: a clean exit
    await client.patch(CONFIGMAP, "getting-started-config", "default", {"data": {"replicas": "4"}})
    await deployment_replicas(client, 4)
    assert await controller_follower.metric("leader_election_master_status", name="controller") == 1
    assert await reconciler_follower.metric("leader_election_master_status", name="reconciler") == 1
    assert await controller_follower.metric("eno_syntheses_total") >= 1
    assert await reconciler_follower.metric("eno_reconciliation_actions_total") >= 1
