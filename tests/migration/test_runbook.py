"""The whole runbook of examples/migration against both daemons as subprocesses on the embedded server,
checked over the API server's full history (spec migration.md, "Invariants")."""

from __future__ import annotations

import pytest

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from tests.daemons.conftest import Daemons

from .runbook import Runbook, check_invariants

RECONCILER_ARGS = ["--readiness-poll-interval=1s"]


@pytest.mark.parametrize("condition", ["seed", "in"])
async def test_runbook(cluster: ApiServer, client: Client, daemons: Daemons, condition: str) -> None:
    await daemons.start("eno-controller")
    await daemons.start("eno-reconciler", RECONCILER_ARGS)
    runbook = Runbook(cluster, client, condition)
    await runbook.run()
    check_invariants(cluster, runbook.flip_revision, runbook.seen)
