"""Faults between the runtime and the embedded API server: 500s, 429 with Retry-After, cut watches, 410.

The embedded server's own fault injection is part 2 (issue 3). Until then the faults come from a small
HTTP proxy in front of the real embedded server: requests and answers pass through unchanged unless a
rule fails them, and watches can be cut mid-stream. Nothing in the client or the server is patched.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
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
FORWARDED_REQUEST_HEADERS = ("Accept", "Content-Type", "Authorization", "User-Agent")
FORWARDED_RESPONSE_HEADERS = ("Content-Type", "Retry-After", "Warning")


@attrs.define
class Fault:
    """Answer the next `times` requests matching `verb` (get, list, watch, create, ...) with `status`."""

    verb: str
    status: int
    times: int
    retry_after: int | None = None


def verb_of(request: web.Request) -> str:
    if request.method == "GET":
        if request.query.get("watch") in ("true", "1"):
            return "watch"
        # A named object's path has an even number of segments under /api, odd under /apis
        # (/api/v1/namespaces/ns/configmaps/name, /apis/group/v1/namespaces/ns/widgets/name).
        parts = [p for p in request.path.split("/") if p]
        named = len(parts) % 2 == 1 if parts[0] == "apis" else len(parts) % 2 == 0
        return "get" if named else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(request.method, "")


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.faults: list[Fault] = []
        self.answered: list[tuple[str, int]] = []  # (verb, status) of every answer, faults included
        self._watches: dict[int, web.Request] = {}
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self.cut_watches()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def fail(self, verb: str, status: int, times: int = 1, retry_after: int | None = None) -> Fault:
        fault = Fault(verb, status, times, retry_after)
        self.faults.append(fault)
        return fault

    def cut_watches(self) -> int:
        """Drop every open watch connection abruptly (no final chunk); return how many were cut."""
        cut = 0
        for request in list(self._watches.values()):
            if request.transport is not None:
                request.transport.close()
                cut += 1
        self._watches.clear()
        return cut

    @property
    def open_watches(self) -> int:
        return len(self._watches)

    def count(self, verb: str, status: int) -> int:
        return self.answered.count((verb, status))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        verb = verb_of(request)
        for fault in self.faults:
            if fault.times > 0 and fault.verb == verb:
                fault.times -= 1
                return self._fault_answer(verb, fault)
        assert self._session is not None
        headers = {h: request.headers[h] for h in FORWARDED_REQUEST_HEADERS if h in request.headers}
        body = await request.read()
        async with self._session.request(
            request.method, self.upstream + request.path_qs, headers=headers, data=body or None
        ) as upstream:
            response = web.StreamResponse(status=upstream.status)
            for h in FORWARDED_RESPONSE_HEADERS:
                if h in upstream.headers:
                    response.headers[h] = upstream.headers[h]
            await response.prepare(request)
            self.answered.append((verb, upstream.status))
            if verb == "watch":
                self._watches[id(request)] = request
            try:
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
            except (ConnectionResetError, aiohttp.ClientError):
                pass
            finally:
                self._watches.pop(id(request), None)
            return response

    def _fault_answer(self, verb: str, fault: Fault) -> web.Response:
        reasons = {410: "Expired", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable"}
        reason = reasons.get(fault.status, "")
        status = {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "code": fault.status,
            "reason": reason,
            "message": "injected fault",
        }
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        self.answered.append((verb, fault.status))
        return web.Response(
            status=fault.status, text=json.dumps(status), content_type="application/json", headers=headers
        )


@pytest.fixture
async def proxy(apiserver: ApiServer) -> AsyncIterator[FaultProxy]:
    proxy = FaultProxy(apiserver.url)
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest.fixture
async def client(proxy: FaultProxy) -> AsyncIterator[Client]:
    async with await Client.from_url(proxy.url, qps=0) as c:
        yield c


@pytest.fixture
async def direct(apiserver: ApiServer) -> AsyncIterator[Client]:
    """A client straight to the server: the source of truth, and writes that no fault touches."""
    async with await Client.from_url(apiserver.url, qps=0) as c:
        yield c


def configmap(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": NS}}


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


async def equals_server(direct: Client, informer: Informer, mirror: Mirror) -> bool:
    truth = {object_key(o): o["metadata"]["resourceVersion"] for o in await direct.list(CM, NS)}
    assert {object_key(o): o["metadata"]["resourceVersion"] for o in informer.list()} == truth
    assert mirror.state == truth
    assert mirror.contradictions == []
    return True


@pytest.fixture
async def informer(client: Client) -> AsyncIterator[tuple[Informer, Mirror]]:
    informer = Informer(client, CM, namespace=NS, **FAST)
    mirror = Mirror()
    informer.add_event_handler(mirror)
    yield informer, mirror
    await informer.stop()


# -- client ------------------------------------------------------------------------------------------------


async def test_too_many_requests_waits_retry_after_then_succeeds(proxy: FaultProxy, client: Client) -> None:
    await client.list(CM, NS)  # discovery done
    proxy.fail("get", 429, times=2, retry_after=0)
    with pytest.raises(errors.NotFound):
        await client.get(CM, "missing", NS)
    assert proxy.count("get", 429) == 2 and proxy.count("get", 404) == 1


async def test_too_many_requests_gives_up_after_its_retries(proxy: FaultProxy, client: Client) -> None:
    await client.list(CM, NS)
    proxy.fail("get", 429, times=10, retry_after=0)
    with pytest.raises(errors.TooManyRequests) as info:
        await client.get(CM, "missing", NS)
    assert info.value.retry_after == 0
    assert proxy.count("get", 429) == 1 + client.max_throttle_retries


async def test_too_many_requests_without_retry_after_is_not_retried(
    proxy: FaultProxy, client: Client
) -> None:
    await client.list(CM, NS)
    proxy.fail("get", 429, times=1)
    with pytest.raises(errors.TooManyRequests):
        await client.get(CM, "missing", NS)
    assert proxy.count("get", 429) == 1


async def test_server_errors_raise_server_error(proxy: FaultProxy, client: Client) -> None:
    await client.list(CM, NS)
    proxy.fail("create", 500)
    with pytest.raises(errors.InternalError):
        await client.create(configmap("x"))
    proxy.fail("create", 503)
    with pytest.raises(errors.ServerError):
        await client.create(configmap("x"))


async def test_cut_watch_raises_disconnected_or_ends(proxy: FaultProxy, client: Client) -> None:
    stream = client.watch(CM, NS, timeout_seconds=30)
    await stream.open()
    await settle(lambda: proxy.open_watches == 1)
    assert proxy.cut_watches() == 1
    with pytest.raises(errors.Disconnected):
        async for _ in stream:
            pass


# -- informer ----------------------------------------------------------------------------------------------


async def test_informer_retries_a_failing_list(
    proxy: FaultProxy, direct: Client, informer: tuple[Informer, Mirror]
) -> None:
    inf, mirror = informer
    await direct.create(configmap("a"))
    proxy.fail("list", 500, times=3)
    inf.start()
    assert await inf.wait_for_sync(10)
    assert proxy.count("list", 500) == 3
    await settle(lambda: equals_server(direct, inf, mirror))


async def test_informer_recovers_from_cut_watches(
    proxy: FaultProxy, direct: Client, informer: tuple[Informer, Mirror]
) -> None:
    inf, mirror = informer
    inf.start()
    assert await inf.wait_for_sync(10)
    for round_ in range(3):
        await settle(lambda: proxy.open_watches == 1)
        proxy.cut_watches()
        # Changes made while the informer reconnects arrive through the resumed watch.
        await direct.create(configmap(f"during-{round_}"))
        await direct.patch(CM, f"during-{round_}", NS, {"data": {"r": str(round_)}}, "merge")
    await direct.delete(CM, "during-0", NS)
    await settle(lambda: equals_server(direct, inf, mirror))
    assert inf.lists == 1  # resumed from the last resourceVersion each time, no relist needed


async def test_informer_recovers_from_500s_on_watch(
    proxy: FaultProxy, direct: Client, informer: tuple[Informer, Mirror]
) -> None:
    inf, mirror = informer
    inf.start()
    assert await inf.wait_for_sync(10)
    await settle(lambda: proxy.open_watches == 1)
    proxy.fail("watch", 500, times=4)
    proxy.cut_watches()
    await direct.create(configmap("while-failing"))
    await settle(lambda: equals_server(direct, inf, mirror))
    assert proxy.count("watch", 500) == 4


async def test_informer_relists_when_the_resumed_watch_is_gone(
    proxy: FaultProxy, direct: Client, informer: tuple[Informer, Mirror]
) -> None:
    inf, mirror = informer
    await direct.create(configmap("keep"))
    await direct.create(configmap("remove"))
    inf.start()
    assert await inf.wait_for_sync(10)
    await settle(lambda: proxy.open_watches == 1)
    proxy.fail("watch", 410, times=1)
    proxy.cut_watches()
    await direct.delete(CM, "remove", NS)
    await direct.create(configmap("added"))
    await settle(lambda: inf.lists == 2)
    await settle(lambda: equals_server(direct, inf, mirror))


async def test_informer_waits_out_retry_after(
    proxy: FaultProxy, direct: Client, informer: tuple[Informer, Mirror]
) -> None:
    inf, mirror = informer
    proxy.fail("list", 429, times=1 + 3 + 1, retry_after=0)  # more than the client retries by itself
    inf.start()
    assert await inf.wait_for_sync(10)
    await direct.create(configmap("after-throttle"))
    await settle(lambda: equals_server(direct, inf, mirror))


async def test_chaos_everywhere_still_converges(
    proxy: FaultProxy, direct: Client, informer: tuple[Informer, Mirror]
) -> None:
    inf, mirror = informer
    inf.start()
    assert await inf.wait_for_sync(10)
    for i in range(20):
        await direct.create(configmap(f"c{i}"))
        if i % 4 == 0:
            proxy.fail("watch", 500 if i % 8 else 410, times=1)
            proxy.cut_watches()
        if i % 5 == 0:
            await direct.delete(CM, f"c{i}", NS)
        await asyncio.sleep(0)
    await settle(lambda: equals_server(direct, inf, mirror), timeout=20)


# -- property: any interleaving of writes and faults converges ---------------------------------------------

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 5)),
        st.tuples(st.just("update"), st.integers(0, 5)),
        st.tuples(st.just("delete"), st.integers(0, 5)),
        st.tuples(st.just("cut"), st.sampled_from([None, 410, 500, 503])),
        st.tuples(st.just("fail-list"), st.sampled_from([500, 410])),
        st.tuples(st.just("yield"), st.integers(1, 3)),
    ),
    max_size=25,
)


async def _converges_after(steps: list[tuple[str, Any]]) -> None:
    async with ApiServer(bookmark_interval=0.2, history_window=20) as server:
        proxy = FaultProxy(server.url)
        await proxy.start()
        try:
            async with (
                await Client.from_url(server.url, qps=0) as direct,
                await Client.from_url(proxy.url, qps=0) as client,
            ):
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
                                await direct.create(configmap(name))
                            elif action == "update":
                                await direct.patch(
                                    CM, name, NS, {"data": {"n": str(len(mirror.state))}}, "merge"
                                )
                            elif action == "delete":
                                await direct.delete(CM, name, NS)
                        except (errors.AlreadyExists, errors.NotFound):
                            pass
                        if action == "cut":
                            if arg is not None:
                                proxy.fail("watch", arg)
                            proxy.cut_watches()
                        elif action == "fail-list":
                            proxy.fail("list", arg)
                        elif action == "yield":
                            for _ in range(arg):
                                await asyncio.sleep(0)
                    proxy.cut_watches()  # leave no open watch in a state the steps made unusual
                    await settle(lambda: equals_server(direct, informer, mirror), timeout=20)
                finally:
                    await informer.stop()
        finally:
            await proxy.stop()


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=STEPS)
def test_any_writes_and_faults_converge(steps: list[tuple[str, Any]]) -> None:
    asyncio.run(_converges_after(steps))


@pytest.mark.soak
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=STEPS)
def test_any_writes_and_faults_converge_soak(steps: list[tuple[str, Any]]) -> None:
    asyncio.run(_converges_after(steps))
