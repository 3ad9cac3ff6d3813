"""Watch: resourceVersion, initial ADDED, 410 past compaction, bookmarks, selectors, timeoutSeconds."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client.exceptions import ApiException

from tests.apiserver.objects import configmap, raw_get

CM_PATH = "/api/v1/namespaces/default/configmaps"


async def collect(
    func: Any, *args: Any, count: int, timeout: float = 10.0, **kwargs: Any
) -> list[tuple[str, Any]]:
    """The first `count` events of a watch, as (type, raw object)."""
    events: list[tuple[str, Any]] = []
    w = watch.Watch()

    async def run() -> None:
        async with w.stream(func, *args, **kwargs) as stream:
            async for event in stream:
                events.append((event["type"], event["raw_object"]))
                if len(events) == count:
                    return

    await asyncio.wait_for(run(), timeout)
    return events


async def test_watch_without_resource_version_starts_with_added_for_every_object(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a"))
    await core.create_namespaced_config_map("default", configmap("b"))
    events = await collect(core.list_namespaced_config_map, "default", count=2)
    assert [(t, o["metadata"]["name"]) for t, o in events] == [("ADDED", "a"), ("ADDED", "b")]


async def test_watch_from_resource_version_replays_later_events_in_order(kube) -> None:
    core = client.CoreV1Api(kube)
    start = await core.create_namespaced_config_map("default", configmap("a", {"v": "1"}))
    await core.patch_namespaced_config_map("a", "default", {"data": {"v": "2"}})
    await core.create_namespaced_config_map("default", configmap("b"))
    await core.delete_namespaced_config_map("a", "default")
    events = await collect(
        core.list_namespaced_config_map, "default", count=3, resource_version=start.metadata.resource_version
    )
    assert [(t, o["metadata"]["name"]) for t, o in events] == [
        ("MODIFIED", "a"),
        ("ADDED", "b"),
        ("DELETED", "a"),
    ]
    revisions = [int(o["metadata"]["resourceVersion"]) for _, o in events]
    assert revisions == sorted(revisions)
    assert events[0][1]["data"] == {"v": "2"}


async def test_live_events_arrive_after_the_write_returns(kube) -> None:
    core = client.CoreV1Api(kube)
    listed = await core.list_namespaced_config_map("default")
    task = asyncio.create_task(
        collect(
            core.list_namespaced_config_map,
            "default",
            count=1,
            resource_version=listed.metadata.resource_version,
        )
    )
    created = await core.create_namespaced_config_map("default", configmap("live"))
    events = await task
    assert events[0][0] == "ADDED"
    assert events[0][1]["metadata"]["resourceVersion"] == created.metadata.resource_version


async def test_watch_from_a_compacted_revision_gets_410_error_event(kube, apiserver) -> None:
    core = client.CoreV1Api(kube)
    old = await core.create_namespaced_config_map("default", configmap("a"))
    await core.patch_namespaced_config_map("a", "default", {"data": {"v": "2"}})
    apiserver.store.compact()
    with pytest.raises(ApiException) as err:
        await collect(
            core.list_namespaced_config_map,
            "default",
            count=1,
            resource_version=old.metadata.resource_version,
        )
    assert err.value.status == 410


async def test_410_event_is_an_expired_status_and_ends_the_stream(kube, apiserver) -> None:
    core = client.CoreV1Api(kube)
    old = await core.create_namespaced_config_map("default", configmap("a"))
    await core.patch_namespaced_config_map("a", "default", {"data": {"v": "2"}})
    apiserver.store.compact()
    response = await raw_get(kube, CM_PATH, watch="true", resourceVersion=old.metadata.resource_version)
    lines = (await response.read()).decode().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410
    assert event["object"]["reason"] == "Expired"
    assert event["object"]["message"].startswith("too old resource version:")


async def test_history_window_compacts_old_events(kube) -> None:
    from eno.apiserver.server import ApiServer

    async with ApiServer(history_window=2) as srv:
        api = client.ApiClient(client.Configuration(host=srv.url))
        try:
            core = client.CoreV1Api(api)
            first = await core.create_namespaced_config_map("default", configmap("a"))
            for i in range(3):
                await core.patch_namespaced_config_map("a", "default", {"data": {"v": str(i)}})
            with pytest.raises(ApiException) as err:
                await collect(
                    core.list_namespaced_config_map,
                    "default",
                    count=1,
                    resource_version=first.metadata.resource_version,
                )
            assert err.value.status == 410
        finally:
            await api.close()


async def test_bookmarks_carry_the_current_revision(kube, apiserver) -> None:
    core = client.CoreV1Api(kube)
    created = await core.create_namespaced_config_map("default", configmap("a"))
    response = await raw_get(
        kube,
        CM_PATH,
        watch="true",
        allowWatchBookmarks="true",
        resourceVersion=created.metadata.resource_version,
    )
    line = await asyncio.wait_for(response.content.readline(), 10)
    response.close()
    event = json.loads(line)
    assert event["type"] == "BOOKMARK"
    assert event["object"]["kind"] == "ConfigMap"
    assert event["object"]["metadata"]["resourceVersion"] == str(apiserver.store.revision)


async def test_no_bookmarks_unless_allowed(kube) -> None:
    response = await raw_get(kube, CM_PATH, watch="true", timeoutSeconds="1", resourceVersion="1")
    body = await asyncio.wait_for(response.read(), 10)
    assert b"BOOKMARK" not in body


async def test_timeout_seconds_ends_the_stream_cleanly(kube) -> None:
    response = await raw_get(kube, CM_PATH, watch="true", timeoutSeconds="1", resourceVersion="1")
    assert response.status == 200
    assert await asyncio.wait_for(response.read(), 10) == b""


async def test_label_selector_turns_entering_and_leaving_into_added_and_deleted(kube) -> None:
    core = client.CoreV1Api(kube)
    start = await core.create_namespaced_config_map("default", configmap("a"))
    await core.patch_namespaced_config_map("a", "default", {"metadata": {"labels": {"team": "x"}}})
    await core.patch_namespaced_config_map("a", "default", {"data": {"v": "1"}})
    await core.patch_namespaced_config_map("a", "default", {"metadata": {"labels": {"team": "y"}}})
    await core.create_namespaced_config_map("default", configmap("other"))
    events = await collect(
        core.list_namespaced_config_map,
        "default",
        count=3,
        label_selector="team=x",
        resource_version=start.metadata.resource_version,
    )
    assert [t for t, _ in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert events[2][1]["metadata"]["labels"] == {"team": "y"}


async def test_field_selector_on_name_watches_one_object(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a"))
    await core.create_namespaced_config_map("default", configmap("b"))
    events = await collect(
        core.list_namespaced_config_map, "default", count=1, field_selector="metadata.name=b"
    )
    assert events[0][1]["metadata"]["name"] == "b"


async def test_namespaced_watch_sees_only_its_namespace(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespace({"metadata": {"name": "other"}})  # type: ignore[arg-type]
    listed = await core.list_config_map_for_all_namespaces()
    await core.create_namespaced_config_map("other", configmap("x"))
    await core.create_namespaced_config_map("default", configmap("y"))
    events = await collect(
        core.list_namespaced_config_map, "default", count=1, resource_version=listed.metadata.resource_version
    )
    assert events[0][1]["metadata"]["name"] == "y"
    every = await collect(
        core.list_config_map_for_all_namespaces, count=2, resource_version=listed.metadata.resource_version
    )
    assert [o["metadata"]["name"] for _, o in every] == ["x", "y"]


async def test_watch_list_ends_initial_events_with_annotated_bookmark(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map("default", configmap("a"))
    response = await raw_get(
        kube,
        CM_PATH,
        watch="true",
        sendInitialEvents="true",
        resourceVersionMatch="NotOlderThan",
        allowWatchBookmarks="true",
    )
    first = json.loads(await asyncio.wait_for(response.content.readline(), 10))
    second = json.loads(await asyncio.wait_for(response.content.readline(), 10))
    response.close()
    assert first["type"] == "ADDED"
    assert second["type"] == "BOOKMARK"
    assert second["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


async def test_closing_the_stream_unsubscribes_the_watcher(kube, apiserver) -> None:
    response = await raw_get(kube, CM_PATH, watch="true", resourceVersion="1")
    assert apiserver.store.watcher_count == 1
    response.close()

    def gone() -> bool:
        return bool(apiserver.store.watcher_count == 0)

    from tests.eventually import eventually

    await eventually(gone, timeout=5)
