"""The informer against the embedded API server: list-then-watch, scoping, handlers, resync, recovery.

Every test ends by checking the two views of state an informer gives: its store, and the state a handler
rebuilds from the events it was sent. Both must equal the server's list, with no event for an object the
handler had not been told about (no lost and no duplicated final state).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.frozen import FrozenDict
from eno.runtime.gvk import GVK
from eno.runtime.informer import Informer, strip_managed_fields
from eno.runtime.store import OWNER_UID_INDEX, index_by_owner_uid, object_key
from tests.eventually import eventually

CM = GVK("", "v1", "ConfigMap")
NS = "default"
FAST: dict[str, Any] = {"backoff_base": 0.02, "backoff_cap": 0.2}


def configmap(name: str, data: dict[str, str] | None = None, ns: str = NS, **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, **meta},
        "data": data or {},
    }


class Recorder:
    """Rebuilds state from events and notes any event that contradicts what it was told before."""

    def __init__(self) -> None:
        self.state: dict[str, str] = {}
        self.events: list[tuple[str, str]] = []
        self.contradictions: list[str] = []

    def on_add(self, obj: FrozenDict) -> None:
        key = object_key(obj)
        if key in self.state:
            self.contradictions.append(f"add of known {key}")
        self.state[key] = obj["metadata"]["resourceVersion"]
        self.events.append(("add", key))

    def on_update(self, old: FrozenDict, new: FrozenDict) -> None:
        key = object_key(new)
        if self.state.get(key) != old["metadata"]["resourceVersion"]:
            self.contradictions.append(f"update of {key} from an unseen version")
        self.state[key] = new["metadata"]["resourceVersion"]
        self.events.append(("update", key))

    def on_delete(self, obj: FrozenDict) -> None:
        key = object_key(obj)
        if self.state.pop(key, None) is None:
            self.contradictions.append(f"delete of unknown {key}")
        self.events.append(("delete", key))


async def settle(check: Callable[[], Awaitable[bool] | bool], timeout: float = 10) -> None:
    """`eventually`, with the check's result type pinned for mypy."""
    done: bool = await eventually(check, timeout=timeout)
    assert done


async def server_state(client: Client, **scope: Any) -> dict[str, str]:
    page = await client.list(CM, **scope)
    return {object_key(o): o["metadata"]["resourceVersion"] for o in page}


def cache_state(informer: Informer) -> dict[str, str]:
    return {object_key(o): o["metadata"]["resourceVersion"] for o in informer.list()}


async def converged(client: Client, informer: Informer, recorder: Recorder, **scope: Any) -> bool:
    want = await server_state(client, **scope)
    assert cache_state(informer) == want
    assert recorder.state == want
    assert recorder.contradictions == []
    return True


@pytest.fixture
async def client(apiserver: ApiServer) -> AsyncIterator[Client]:
    async with await Client.from_url(apiserver.url, qps=0) as c:
        yield c


@pytest.fixture
async def started() -> AsyncIterator[list[Informer]]:
    """Informers a test starts, stopped after it."""
    informers: list[Informer] = []
    yield informers
    for informer in informers:
        await informer.stop()


def run(started: list[Informer], informer: Informer, recorder: Recorder | None = None) -> Informer:
    if recorder is not None:
        informer.add_event_handler(recorder)
    informer.start()
    started.append(informer)
    return informer


async def test_lists_then_watches_and_mirrors_the_server(client: Client, started: list[Informer]) -> None:
    for i in range(3):
        await client.create(configmap(f"pre{i}"))
    recorder = Recorder()
    informer = run(started, Informer(client, CM, namespace=NS, **FAST), recorder)
    assert await informer.wait_for_sync(10)
    assert sorted(cache_state(informer)) == ["default/pre0", "default/pre1", "default/pre2"]

    await client.create(configmap("new"))
    await client.patch(CM, "pre0", NS, {"data": {"a": "1"}}, "merge")
    await client.delete(CM, "pre1", NS)
    await settle(lambda: converged(client, informer, recorder, namespace=NS))
    assert recorder.events[3:] == [
        ("add", "default/new"),
        ("update", "default/pre0"),
        ("delete", "default/pre1"),
    ]
    got = informer.get("pre0", NS)
    assert got is not None and got["data"] == {"a": "1"}
    assert informer.lists == 1


async def test_paged_initial_list(apiserver: ApiServer, client: Client, started: list[Informer]) -> None:
    for i in range(7):
        await client.create(configmap(f"page{i}"))
    recorder = Recorder()
    informer = run(started, Informer(client, CM, namespace=NS, page_size=3, **FAST), recorder)
    assert await informer.wait_for_sync(10)
    await settle(lambda: converged(client, informer, recorder, namespace=NS))
    assert len(informer.list()) == 7
    pages = [r for r in apiserver.request_log if r.verb == "list" and "limit=3" in r.query]
    assert len(pages) == 3


async def test_scoped_by_namespace_and_label_selector(client: Client, started: list[Informer]) -> None:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    await client.create(configmap("in", labels={"app": "web"}))
    await client.create(configmap("wrong-label", labels={"app": "db"}))
    await client.create(configmap("wrong-ns", ns="other", labels={"app": "web"}))
    recorder = Recorder()
    informer = run(started, Informer(client, CM, namespace=NS, label_selector="app=web", **FAST), recorder)
    assert await informer.wait_for_sync(10)
    await client.create(configmap("in2", labels={"app": "web"}))
    await client.create(configmap("out2", ns="other", labels={"app": "web"}))
    # Relabelled out of the selector: the watch reports it as deleted.
    await client.patch(CM, "in", NS, {"metadata": {"labels": {"app": "db"}}}, "merge")
    await settle(lambda: converged(client, informer, recorder, namespace=NS, label_selector="app=web"))
    assert sorted(cache_state(informer)) == ["default/in2"]


async def test_transform_runs_before_caching_and_reads_are_read_only(
    client: Client, started: list[Informer]
) -> None:
    await client.create(configmap("big", {"blob": "x" * 1000}))

    def drop_data(obj: dict[str, Any]) -> dict[str, Any]:
        obj.pop("data", None)
        return strip_managed_fields(obj)

    informer = run(started, Informer(client, CM, namespace=NS, transform=drop_data, **FAST))
    assert await informer.wait_for_sync(10)
    cached = informer.get("big", NS)
    assert cached is not None and "data" not in cached
    with pytest.raises(TypeError):
        cached["metadata"]["labels"] = {"corrupt": "yes"}
    again = informer.get("big", NS)
    assert again is not None and "labels" not in again["metadata"]


async def test_indexers_and_late_handlers(client: Client, started: list[Informer]) -> None:
    owner = await client.create(configmap("owner"))
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    await client.create(configmap("child", ownerReferences=[ref]))
    informer = run(started, Informer(client, CM, namespace=NS, **FAST))
    informer.add_indexer(OWNER_UID_INDEX, index_by_owner_uid)
    informer.add_indexer("by-first-letter", lambda o: [o["metadata"]["name"][0]])
    assert await informer.wait_for_sync(10)
    assert [object_key(o) for o in informer.by_index(OWNER_UID_INDEX, owner["metadata"]["uid"])] == [
        "default/child"
    ]
    assert sorted(object_key(o) for o in informer.by_index("by-first-letter", "o")) == ["default/owner"]
    late = Recorder()
    informer.add_event_handler(late)
    assert sorted(late.state) == ["default/child", "default/owner"]
    await client.delete(CM, "child", NS)
    await settle(lambda: informer.by_index(OWNER_UID_INDEX, owner["metadata"]["uid"]) == [])
    await settle(lambda: converged(client, informer, late, namespace=NS))


async def test_broken_handler_does_not_stop_the_others(client: Client, started: list[Informer]) -> None:
    class Broken:
        def on_add(self, obj: FrozenDict) -> None:
            raise RuntimeError("boom")

        def on_update(self, old: FrozenDict, new: FrozenDict) -> None:
            raise RuntimeError("boom")

        def on_delete(self, obj: FrozenDict) -> None:
            raise RuntimeError("boom")

    recorder = Recorder()
    informer = Informer(client, CM, namespace=NS, **FAST)
    informer.add_event_handler(Broken())
    run(started, informer, recorder)
    assert await informer.wait_for_sync(10)
    await client.create(configmap("a"))
    await settle(lambda: converged(client, informer, recorder, namespace=NS))


async def test_resync_redelivers_every_object(client: Client, started: list[Informer]) -> None:
    await client.create(configmap("r"))
    resynced: list[str] = []

    class OnUpdate(Recorder):
        def on_update(self, old: FrozenDict, new: FrozenDict) -> None:
            if old is new:
                resynced.append(object_key(new))
            else:
                super().on_update(old, new)

    informer = run(started, Informer(client, CM, namespace=NS, resync_period=0.05, **FAST), OnUpdate())
    assert await informer.wait_for_sync(10)
    await settle(lambda: resynced.count("default/r") >= 2)


async def test_server_side_watch_timeout_rewatches_without_relisting(
    client: Client, started: list[Informer]
) -> None:
    recorder = Recorder()
    informer = run(started, Informer(client, CM, namespace=NS, watch_timeout=(1, 1), **FAST), recorder)
    assert await informer.wait_for_sync(10)
    await settle(lambda: informer.watches >= 2)
    await client.create(configmap("after-timeout"))
    await settle(lambda: converged(client, informer, recorder, namespace=NS))
    assert informer.lists == 1


async def test_bookmarks_keep_a_quiet_informer_current(client: Client, started: list[Informer]) -> None:
    # Nothing in this namespace changes, but the server's bookmarks move the informer's resourceVersion,
    # so a later resume does not ask for history the server may have compacted.
    informer = run(started, Informer(client, CM, namespace="kube-public", **FAST))
    assert await informer.wait_for_sync(10)
    start = int(informer.last_resource_version)
    for i in range(3):
        await client.create(configmap(f"elsewhere{i}"))
    latest = int((await client.list(CM)).resource_version)
    assert latest > start
    await settle(lambda: int(informer.last_resource_version) >= latest)
    assert informer.list() == []


class BrokenTransformOnce:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 1:
            raise AttributeError("transform bug")
        return obj


async def test_failing_transform_is_retried_from_a_list(client: Client, started: list[Informer]) -> None:
    await client.create(configmap("t"))
    recorder = Recorder()
    informer = run(
        started, Informer(client, CM, namespace=NS, transform=BrokenTransformOnce(), **FAST), recorder
    )
    assert await informer.wait_for_sync(10)
    await settle(lambda: converged(client, informer, recorder, namespace=NS))
    assert informer.lists == 2


async def test_resume_replays_missed_events_from_history(client: Client, started: list[Informer]) -> None:
    await client.create(configmap("keep"))
    await client.create(configmap("change"))
    await client.create(configmap("remove"))
    recorder = Recorder()
    informer = run(started, Informer(client, CM, namespace=NS, **FAST), recorder)
    assert await informer.wait_for_sync(10)
    await informer.stop()
    await client.patch(CM, "change", NS, {"data": {"v": "2"}}, "merge")
    await client.delete(CM, "remove", NS)
    await client.create(configmap("added"))
    informer.start()
    await settle(lambda: converged(client, informer, recorder, namespace=NS))
    assert informer.lists == 1


async def test_gone_relists_and_emits_the_exact_difference(started: list[Informer]) -> None:
    # A short history window: after the informer stops, enough writes compact away its resourceVersion,
    # so resuming gets 410 Gone and must relist; the relist diff must say exactly what changed meanwhile.
    async with ApiServer(history_window=5, bookmark_interval=30) as srv:
        async with await Client.from_url(srv.url, qps=0) as client:
            for name in ("keep", "change", "remove"):
                await client.create(configmap(name))
            recorder = Recorder()
            informer = run(started, Informer(client, CM, namespace=NS, **FAST), recorder)
            assert await informer.wait_for_sync(10)
            await informer.stop()
            recorder.events.clear()
            await client.patch(CM, "change", NS, {"data": {"v": "2"}}, "merge")
            await client.delete(CM, "remove", NS)
            await client.create(configmap("added"))
            for i in range(10):
                await client.create(configmap(f"churn{i}", ns="kube-system"))
            informer.start()
            await settle(lambda: informer.lists == 2)
            await settle(lambda: converged(client, informer, recorder, namespace=NS))
            assert sorted(recorder.events) == [
                ("add", "default/added"),
                ("delete", "default/remove"),
                ("update", "default/change"),
            ]
            await informer.stop()


async def test_recovers_from_a_server_restart(started: list[Informer]) -> None:
    # Stopping the server drops the watch and refuses connections for a while; the same store serves on
    # the same port after the restart. The informer backs off, re-watches, and converges.
    srv = ApiServer(bookmark_interval=0.2)
    await srv.start()
    try:
        async with await Client.from_url(srv.url, qps=0) as client:
            await client.create(configmap("before"))
            recorder = Recorder()
            informer = run(started, Informer(client, CM, namespace=NS, **FAST), recorder)
            assert await informer.wait_for_sync(10)
            watches = informer.watches
            await srv.stop()
            await settle(lambda: informer.watches >= watches + 2)  # retrying, refused
            await srv.start()
            await client.create(configmap("after"))
            await client.delete(CM, "before", NS)
            await settle(lambda: converged(client, informer, recorder, namespace=NS))
            await informer.stop()
    finally:
        await srv.stop()
