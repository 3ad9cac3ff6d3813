"""The whole runbook of examples/migration against both daemons as subprocesses on the embedded server,
checked over the API server's full history (spec migration.md, "Invariants")."""

from __future__ import annotations

import asyncio
import random
import signal

import pytest

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from tests.daemons.conftest import Daemons

from .runbook import Runbook, check_invariants

RECONCILER_ARGS = ["--readiness-poll-interval=1s"]


@pytest.mark.parametrize("condition", ["seed", "in"])
async def test_runbook(cluster: ApiServer, client: Client, daemons: Daemons, condition: str) -> None:
    await daemons.start("eno-controller")
    reconciler = await daemons.start("eno-reconciler", RECONCILER_ARGS)
    runbook = Runbook(cluster, client, condition)
    await runbook.run()
    check_invariants(cluster, runbook.flip_revision, runbook.seen)
    # The hand-off was timed (flip observed -> the new owner's first write) and nothing fought.
    assert await reconciler.metric("eno_ownership_handoff_seconds_count") >= 1
    assert await reconciler.metric("eno_ownership_conflicts_total") == 0
    count = await reconciler.metric("eno_ownership_handoff_seconds_count")
    print(f"hand-off: {await reconciler.metric('eno_ownership_handoff_seconds_sum') / count:.3f}s mean")


@pytest.mark.soak
@pytest.mark.parametrize("victim", ["eno-controller", "eno-reconciler"])
@pytest.mark.parametrize("condition", ["seed", "in"])
async def test_runbook_with_a_daemon_killed_at_each_step(
    cluster: ApiServer, client: Client, daemons: Daemons, condition: str, victim: str
) -> None:
    """Each daemon killed (-9) and restarted at a random point of each step: the invariants still hold."""
    rng = random.Random(f"{condition}-{victim}")
    args = {"eno-controller": [], "eno-reconciler": RECONCILER_ARGS}
    # Without leader election, so a restart does not wait out the dead process's lease.
    running = {name: await daemons.start(name, args[name], leader_election=False) for name in args}

    async def kill_and_restart(step: str) -> None:
        await asyncio.sleep(rng.uniform(0, 1.0))  # a random point of the step, by design not a condition
        await running[victim].stop(signal.SIGKILL)
        running[victim] = await daemons.start(victim, args[victim], leader_election=False)

    runbook = Runbook(cluster, client, condition, after_write=kill_and_restart)
    await runbook.run()
    check_invariants(cluster, runbook.flip_revision, runbook.seen)
