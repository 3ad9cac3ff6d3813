"""Faults injected by the embedded API server (`srv.faults`): 500s, 429 with Retry-After, cut watches, 410.

Every informer test ends with the informer's cache, and the state a handler rebuilt from its events, equal to
the server's list: nothing lost, nothing duplicated.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eno.apiserver.server import ApiServer
from eno.runtime import errors
from eno.runtime.client import Client
from eno.runtime.frozen import FrozenDict
from eno.runtime.gvk import GVK
from eno.runtime.informer import Informer
from eno.runtime.store import object_key
from tests.eventually import eventually

CM = GVK("", "v1", "ConfigMap")
NS = "default"
FAST: dict[str, Any] = {"backoff_base": 0.02, "backoff_cap": 0.2}


def configmap(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": NS}}


def answered(server: ApiServer, verb: str, status: int) -> int:
    return sum(
        1 for r in server.request_log if r.verb == verb and r.resource == "configmaps" and r.status == status
    )


async def settle(check: Callable[[], Awaitable[bool] | bool], timeout: float = 10) -> None:
    done: bool = await eventually(check, timeout=timeout)
    assert done


class Mirror:
    """Rebuilds state from handler events and notes contradictions (lost or duplicated final state)."""

    def __init__(self) -> None:
        self.state: dict[str, str] = {}
        self.contradictions: list[str] = []

    def on_add(self, obj: FrozenDict) -> None:
        if object_key(obj) in self.state:
            self.contradictions.append(f"add of known {object_key(obj)}")
        self.state[object_key(obj)] = obj["metadata"]["resourceVersion"]

    def on_update(self, old: FrozenDict, new: FrozenDict) -> None:
        if self.state.get(object_key(new)) != old["metadata"]["resourceVersion"]:
            self.contradictions.append(f"update of {object_key(new)} from an unseen version")
        self.state[object_key(new)] = new["metadata"]["resourceVersion"]

    def on_delete(self, obj: FrozenDict) -> None:
        if self.state.pop(object_key(obj), None) is None:
            self.contradictions.append(f"delete of unknown {object_key(obj)}")


async def equals_server(client: Client, informer: Informer, mirror: Mirror) -> bool:
    truth = {object_key(o): o["metadata"]["resourceVersion"] for o in await client.list(CM, NS)}
    assert {object_key(o): o["metadata"]["resourceVersion"] for o in informer.list()} == truth
    assert mirror.state == truth
    assert mirror.contradictions == []
    return True


@pytest.fixture
async def client(apiserver: ApiServer) -> AsyncIterator[Client]:
    # Server-sent Retry-After is whole seconds; cap the client's wait so the tests stay fast.
    async with await Client.from_url(apiserver.url, qps=0, max_retry_after=0.01) as c:
        yield c


@pytest.fixture
async def informer(client: Client) -> AsyncIterator[tuple[Informer, Mirror]]:
    informer = Informer(client, CM, namespace=NS, **FAST)
    mirror = Mirror()
    informer.add_event_handler(mirror)
    yield informer, mirror
    await informer.stop()


# -- client ------------------------------------------------------------------------------------------------


async def test_too_many_requests_waits_retry_after_then_succeeds(
    apiserver: ApiServer, client: Client
) -> None:
    apiserver.faults.add(verb="get", resource="configmaps", status=429, retry_after=1, times=2)
    with pytest.raises(errors.NotFound):
        await client.get(CM, "missing", NS)
    assert answered(apiserver, "get", 429) == 2 and answered(apiserver, "get", 404) == 1


async def test_too_many_requests_gives_up_after_its_retries(apiserver: ApiServer, client: Client) -> None:
    apiserver.faults.add(verb="get", resource="configmaps", status=429, retry_after=1, times=None)
    with pytest.raises(errors.TooManyRequests) as info:
        await client.get(CM, "missing", NS)
    assert info.value.retry_after == 1
    assert answered(apiserver, "get", 429) == 1 + client.max_throttle_retries


@pytest.mark.parametrize(("status", "error"), [(500, errors.InternalError), (503, errors.ServiceUnavailable)])
async def test_server_errors_raise_server_error(
    apiserver: ApiServer, client: Client, status: int, error: type[errors.ApiError]
) -> None:
    apiserver.faults.add(verb="create", resource="configmaps", status=status)
    with pytest.raises(error):
        await client.create(configmap("x"))
    assert (await client.create(configmap("x")))["metadata"]["name"] == "x"


async def test_cut_watch_raises_disconnected(apiserver: ApiServer, client: Client) -> None:
    stream = client.watch(CM, NS, timeout_seconds=30)
    await stream.open()
    await settle(lambda: apiserver.faults.open_watches == 1)
    assert apiserver.faults.cut_watches(resource="configmaps") == 1
    with pytest.raises(errors.Disconnected):
        async for _ in stream:
            pass


# -- informer ----------------------------------------------------------------------------------------------


async def test_informer_retries_a_failing_list(
    apiserver: ApiServer, client: Client, informer: tuple[Informer, Mirror]
) -> None:
    inf, mirror = informer
    await client.create(configmap("a"))
    fault = apiserver.faults.add(verb="list", resource="configmaps", status=500, times=3)
    inf.start()
    assert await inf.wait_for_sync(10)
    assert fault.hits == 3
    await settle(lambda: equals_server(client, inf, mirror))


async def test_informer_recovers_from_dropped_watches(
    apiserver: ApiServer, client: Client, informer: tuple[Informer, Mirror]
) -> None:
    inf, mirror = informer
    inf.start()
    assert await inf.wait_for_sync(10)
    for round_ in range(3):
        await settle(lambda: apiserver.faults.open_watches == 1)
        apiserver.faults.cut_watches(resource="configmaps")
        # Changes made while the informer reconnects arrive through the resumed watch.
        await client.create(configmap(f"during-{round_}"))
        await client.patch(CM, f"during-{round_}", NS, {"data": {"r": str(round_)}}, "merge")
    await client.delete(CM, "during-0", NS)
    await settle(lambda: equals_server(client, inf, mirror))
    assert inf.lists == 1  # resumed from the last resourceVersion each time, no relist needed


async def test_informer_recovers_from_watches_cut_mid_stream(
    apiserver: ApiServer, client: Client, informer: tuple[Informer, Mirror]
) -> None:
    inf, mirror = informer
    cuts = apiserver.faults.add(verb="watch", resource="configmaps", cut_after=0.05, times=5)
    inf.start()
    assert await inf.wait_for_sync(10)
    for i in range(10):
        await client.create(configmap(f"c{i}"))
    await settle(lambda: cuts.exhausted)
    await settle(lambda: equals_server(client, inf, mirror))


async def test_informer_recovers_from_500s_on_watch(
    apiserver: ApiServer, client: Client, informer: tuple[Informer, Mirror]
) -> None:
    inf, mirror = informer
    inf.start()
    assert await inf.wait_for_sync(10)
    await settle(lambda: apiserver.faults.open_watches == 1)
    fault = apiserver.faults.add(verb="watch", resource="configmaps", status=500, times=4)
    apiserver.faults.cut_watches(resource="configmaps")
    await client.create(configmap("while-failing"))
    await settle(lambda: equals_server(client, inf, mirror))
    assert fault.hits == 4


async def test_informer_relists_after_compaction_and_emits_the_difference(
    apiserver: ApiServer, client: Client, informer: tuple[Informer, Mirror]
) -> None:
    inf, mirror = informer
    await client.create(configmap("keep"))
    await client.create(configmap("remove"))
    inf.start()
    assert await inf.wait_for_sync(10)
    await settle(lambda: apiserver.faults.open_watches == 1)
    # The next watch request compacts history first: resuming from the informer's revision gets 410.
    await inf.stop()
    await client.delete(CM, "remove", NS)
    await client.create(configmap("added"))
    await client.patch(CM, "keep", NS, {"data": {"v": "2"}}, "merge")
    apiserver.faults.add(verb="watch", resource="configmaps", compact=True)
    inf.start()
    await settle(lambda: inf.lists == 2)
    await settle(lambda: equals_server(client, inf, mirror))


async def test_informer_relists_when_the_watch_answers_410(
    apiserver: ApiServer, client: Client, informer: tuple[Informer, Mirror]
) -> None:
    inf, mirror = informer
    inf.start()
    assert await inf.wait_for_sync(10)
    await settle(lambda: apiserver.faults.open_watches == 1)
    apiserver.faults.add(verb="watch", resource="configmaps", status=410)
    apiserver.faults.cut_watches(resource="configmaps")
    await client.create(configmap("added"))
    await settle(lambda: inf.lists == 2)
    await settle(lambda: equals_server(client, inf, mirror))


async def test_informer_waits_out_retry_after(
    apiserver: ApiServer, client: Client, informer: tuple[Informer, Mirror]
) -> None:
    inf, mirror = informer
    # More 429s than the client retries by itself: the informer's backoff takes over.
    apiserver.faults.add(verb="list", resource="configmaps", status=429, retry_after=1, times=1 + 3 + 1)
    inf.start()
    assert await inf.wait_for_sync(10)
    await client.create(configmap("after-throttle"))
    await settle(lambda: equals_server(client, inf, mirror))


# -- property: any interleaving of writes and faults converges ---------------------------------------------

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 5)),
        st.tuples(st.just("update"), st.integers(0, 5)),
        st.tuples(st.just("delete"), st.integers(0, 5)),
        st.tuples(st.just("cut"), st.sampled_from([None, 410, 500, 503])),
        st.tuples(st.just("compact"), st.none()),
        st.tuples(st.just("fail-list"), st.sampled_from([500, 410])),
        st.tuples(st.just("yield"), st.integers(1, 3)),
    ),
    max_size=25,
)


async def _converges_after(steps: list[tuple[str, Any]]) -> None:
    async with ApiServer(bookmark_interval=0.2) as server:
        async with await Client.from_url(server.url, qps=0, max_retry_after=0.01) as client:
            informer = Informer(client, CM, namespace=NS, **FAST)
            mirror = Mirror()
            informer.add_event_handler(mirror)
            informer.start()
            try:
                assert await informer.wait_for_sync(10)
                for action, arg in steps:
                    name = f"o{arg}"
                    try:
                        if action == "create":
                            await client.create(configmap(name))
                        elif action == "update":
                            await client.patch(CM, name, NS, {"data": {"n": str(len(mirror.state))}}, "merge")
                        elif action == "delete":
                            await client.delete(CM, name, NS)
                    except (errors.AlreadyExists, errors.NotFound):
                        pass
                    if action == "cut":
                        if arg is not None:
                            server.faults.add(verb="watch", resource="configmaps", status=arg)
                        server.faults.cut_watches(resource="configmaps")
                    elif action == "compact":
                        server.faults.compact()
                        server.faults.cut_watches(resource="configmaps")
                    elif action == "fail-list":
                        server.faults.add(verb="list", resource="configmaps", status=arg)
                    elif action == "yield":
                        for _ in range(arg):
                            await asyncio.sleep(0)
                server.faults.clear()  # faults left unused would also hit the check's own list
                await settle(lambda: equals_server(client, informer, mirror), timeout=20)
            finally:
                await informer.stop()


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=STEPS)
def test_any_writes_and_faults_converge(steps: list[tuple[str, Any]]) -> None:
    asyncio.run(_converges_after(steps))


@pytest.mark.soak
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=STEPS)
def test_any_writes_and_faults_converge_soak(steps: list[tuple[str, Any]]) -> None:
    asyncio.run(_converges_after(steps))
