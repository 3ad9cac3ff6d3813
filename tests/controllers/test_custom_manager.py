"""docs/custom-manager.md: Eno's symphony controller beside a user's own controller in one manager."""

from __future__ import annotations

import re
from pathlib import Path

from eno.api.v1 import Symphony
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from tests.controllers.conftest import running, until
from tests.controllers.objects import NS, symphony, variation

DOC = Path(__file__).resolve().parents[2] / "docs" / "custom-manager.md"


def doc_program() -> dict[str, object]:
    """The program shown in the doc, executed as a module namespace (without running main)."""
    source = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert source is not None
    namespace: dict[str, object] = {"__name__": "custom_manager_doc"}
    exec(compile(source.group(1), str(DOC), "exec"), namespace)
    return namespace


async def test_doc_manager_runs_eno_symphony_controller_beside_users(
    eno_server: ApiServer, client: Client
) -> None:
    program = doc_program()
    add_controllers = program["add_controllers"]
    assert callable(add_controllers)
    async with running(eno_server.url, add_controllers):
        await client.create(Symphony.from_dict(symphony("sym", variation("a"), variation("b"))))

        async def counted() -> bool:
            got = await client.get(Symphony, "sym", NS)
            assert got.annotations.get("example.com/compositions") == "2"
            assert "eno.azure.io/cleanup" in got.finalizers
            return True

        await until(counted)
