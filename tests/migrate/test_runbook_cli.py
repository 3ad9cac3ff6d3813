"""`eno migrate` drives examples/migration's runbook against both daemons as subprocesses on the embedded
server: each step refuses while its precondition is missing, and once it may, writes and waits until done.
The synthesizer changes (runbook steps 2 and 4) are the user's: applied from examples/migration/steps."""

from __future__ import annotations

import io
from typing import Any

from eno_cmd.migrate import DONE, REFUSED, run_step

from eno.apiserver.server import ApiServer
from eno.apiserver.store import Key
from eno.migrate.observed import Migration
from eno.migrate.steps import Step
from eno.runtime.client import Client
from tests.daemons.conftest import Daemons
from tests.migration.runbook import MOVED, Runbook, writer

M = Migration("default", "migration", "migration-source", "migration-target", "migration.example.com/owner")
STEP_TIMEOUT = 90.0


async def migrate(client: Client, step: Step, expect: int) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run_step(client, m=M, step=step, timeout=STEP_TIMEOUT, out=out, err=err)
    assert code == expect, f"{step.value}: exit {code}\n{out.getvalue()}\n{err.getvalue()}"
    return out.getvalue(), err.getvalue()


def writers(cluster: ApiServer) -> set[str | None]:
    return {writer(dict(obj)) if (obj := cluster.store.get(key)) is not None else None for key in MOVED}


def uids(cluster: ApiServer, key: Key) -> set[Any]:
    return {(e.object.get("metadata") or {}).get("uid") for e in cluster.store.history(key)}


async def test_the_runbook_through_eno_migrate(cluster: ApiServer, client: Client, daemons: Daemons) -> None:
    await daemons.start("eno-controller")
    await daemons.start("eno-reconciler", ["--readiness-poll-interval=1s"])
    runbook = Runbook(cluster, client, "seed")
    await runbook.deploy()

    _, err = await migrate(client, Step.PLAN, REFUSED)
    assert "no object moves" in err
    await migrate(client, Step.PREPARE, DONE)
    _, err = await migrate(client, Step.FLIP, REFUSED)  # runbook step 2 not deployed yet
    assert "no object moves" in err

    await runbook.step("2")
    out, _ = await migrate(client, Step.PLAN, DONE)
    assert "ConfigMap default/moved-config: after the flip written by target" in out
    assert writers(cluster) == {"source"}

    await migrate(client, Step.FLIP, DONE)
    assert writers(cluster) == {"target"}  # done means the new owner's version is live
    out, _ = await migrate(client, Step.STATUS, DONE)
    assert "default/migration-target" in out.splitlines()[1]

    await migrate(client, Step.ROLLBACK, DONE)
    assert writers(cluster) == {"source"}
    await migrate(client, Step.FLIP, DONE)
    assert writers(cluster) == {"target"}

    _, err = await migrate(client, Step.FINISH, REFUSED)
    assert "runbook step 4 not deployed" in err
    _, err = await migrate(client, Step.ROLLBACK, DONE)  # rollback is allowed until step 4
    await migrate(client, Step.FLIP, DONE)
    await runbook.step("4")
    _, err = await migrate(client, Step.ROLLBACK, REFUSED)
    assert "the source no longer synthesizes" in err
    await migrate(client, Step.FINISH, DONE)
    assert writers(cluster) == {"target"}

    for key in MOVED:
        assert len(uids(cluster, key)) == 1, f"{key} was recreated"
        assert all(e.type != "DELETED" for e in cluster.store.history(key)), f"{key} was deleted"
