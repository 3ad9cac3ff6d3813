"""`eno apiserver --data-dir`: a stopped and restarted process keeps objects, history position and GC work."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.apiserver.objects import MERGE, configmap, raw_get
from tests.eventually import eventually


@contextlib.asynccontextmanager
async def serving(data_dir: Path) -> AsyncIterator[str]:
    """`eno apiserver --port 0 --data-dir DIR` as a process; yields its URL, stops it with SIGTERM."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eno_cmd.eno",
        "apiserver",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        url = ""
        while not url:
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            assert line, "eno apiserver exited before printing its URL"
            if "listening on " in line:
                url = line.split("listening on ", 1)[1].strip()
        yield url
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_a_restarted_process_keeps_objects_and_the_revision_counter(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with serving(data) as url, client.ApiClient(client.Configuration(host=url)) as api:
        core = client.CoreV1Api(api)
        await core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="team")))
        created = await core.create_namespaced_config_map("team", configmap("kept", {"k": "v"}))
        await core.patch_namespaced_config_map("kept", "team", {"data": {"k": "w"}})
        await core.create_namespaced_config_map("team", configmap("dropped"))
        await core.delete_namespaced_config_map("dropped", "team")
        last = int((await core.list_namespaced_config_map("team")).metadata.resource_version)
    assert (data / "store.sqlite").exists()

    async with serving(data) as url, client.ApiClient(client.Configuration(host=url)) as api:
        core = client.CoreV1Api(api)
        kept = await core.read_namespaced_config_map("kept", "team")
        assert kept.data == {"k": "w"}
        assert kept.metadata.uid == created.metadata.uid
        assert [c.metadata.name for c in (await core.list_namespaced_config_map("team")).items] == ["kept"]
        listed = await core.list_namespaced_config_map("team")
        assert int(listed.metadata.resource_version) == last
        # The counter carries on: nothing written after the restart reuses a resourceVersion.
        new = await core.create_namespaced_config_map("team", configmap("new"))
        assert int(new.metadata.resource_version) == last + 1
        # The event history did not survive: a watch from before the restart is told to relist.
        response = await raw_get(
            api, "/api/v1/namespaces/team/configmaps", watch="true", resourceVersion=str(last - 1)
        )
        line = await asyncio.wait_for(response.content.readline(), 10)
        response.release()
        event = json.loads(line)
        assert (event["type"], event["object"]["code"]) == ("ERROR", 410)


async def test_work_left_by_a_stopped_process_is_finished_after_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with serving(data) as url, client.ApiClient(client.Configuration(host=url)) as api:
        core = client.CoreV1Api(api)
        owner = await core.create_namespaced_config_map("default", configmap("owner"))
        ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner.metadata.uid}
        await core.create_namespaced_config_map("default", configmap("dependent", ownerReferences=[ref]))
        # A namespace still terminating when the process stops is finished by the next one.
        await core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="doomed")))
        await core.create_namespaced_config_map("doomed", configmap("c", finalizers=["example.com/hold"]))
        await core.delete_namespace("doomed")
    # The owner vanishes while no process runs (as if it crashed between the delete and the collection).
    db = sqlite3.connect(data / "store.sqlite")
    with db:
        db.execute("DELETE FROM objects WHERE resource = 'configmaps' AND name = 'owner'")
    db.close()

    async with serving(data) as url, client.ApiClient(client.Configuration(host=url)) as api:
        core = client.CoreV1Api(api)

        async def missing(read: Any):  # untyped: eventually() takes its coroutine
            try:
                await read()
            except ApiException as err:
                return err.status == 404
            return False

        await eventually(lambda: missing(lambda: core.read_namespaced_config_map("dependent", "default")))
        ns = await core.read_namespace("doomed")
        assert ns.status.phase == "Terminating"
        untyped: Any = core
        await untyped.patch_namespaced_config_map(
            "c", "doomed", {"metadata": {"finalizers": None}}, _content_type=MERGE
        )
        await eventually(lambda: missing(lambda: core.read_namespace("doomed")))
