"""Fault injection: scoped, counted failures with Status bodies, latency, cut watches and compaction."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from eno.apiserver.faults import Fault, Faults, fault_error
from eno.apiserver.requestinfo import parse_request
from eno.apiserver.server import ApiServer
from tests.eventually import eventually

CM = "/api/v1/namespaces/default/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/d/deployments"


@pytest.fixture
async def faulty() -> AsyncIterator[tuple[ApiServer, Faults]]:
    """A running ApiServer and its fault injector."""
    async with ApiServer(bookmark_interval=0.2) as srv:
        yield srv, srv.faults


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _create(http: aiohttp.ClientSession, url: str, name: str) -> dict[str, Any]:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}}
    async with http.post(url + CM, json=body) as response:
        assert response.status == 201, await response.text()
        created: dict[str, Any] = await response.json()
        return created


def ri(method: str, path: str, **query: str) -> Any:
    return parse_request(method, path, query)


@pytest.mark.parametrize(
    ("fault", "method", "path", "query", "expected"),
    [
        (Fault(verb="get"), "GET", f"{CM}/x", {}, True),
        (Fault(verb="get"), "GET", CM, {}, False),
        (Fault(verb="list", resource="configmaps"), "GET", CM, {}, True),
        (Fault(verb="watch"), "GET", CM, {"watch": "true"}, True),
        (Fault(resource="secrets"), "GET", f"{CM}/x", {}, False),
        (Fault(namespace="other"), "GET", f"{CM}/x", {}, False),
        (Fault(name="x", verb="delete"), "DELETE", f"{CM}/x", {}, True),
        (
            Fault(group="apps", resource="deployments"),
            "PUT",
            "/apis/apps/v1/namespaces/d/deployments/x",
            {},
            True,
        ),
        (Fault(subresource="status"), "PUT", f"{DEPLOY}/x/status", {}, True),
        (Fault(subresource="status"), "PUT", f"{DEPLOY}/x", {}, False),
    ],
    ids=[
        "verb-get",
        "get-is-not-list",
        "list-by-resource",
        "watch",
        "other-resource",
        "other-namespace",
        "by-name",
        "group",
        "subresource",
        "not-subresource",
    ],
)
def test_fault_scope(fault: Fault, method: str, path: str, query: dict[str, str], expected: bool) -> None:
    assert fault.matches(ri(method, path, **query)) is expected


def test_faults_are_bounded_in_count_and_skip_first_matches() -> None:
    faults = Faults()
    fault = faults.add(verb="get", status=500, times=2, skip=1)
    get = ri("GET", f"{CM}/x")
    taken = [faults.take(get) for _ in range(5)]
    assert taken == [None, fault, fault, None, None]
    assert fault.hits == 2 and fault.exhausted


def test_unbounded_fault_lasts_until_removed() -> None:
    faults = Faults()
    fault = faults.add(verb="get", latency=0.1, times=None)
    get = ri("GET", f"{CM}/x")
    assert all(faults.take(get) is fault for _ in range(10))
    faults.remove(fault)
    assert faults.take(get) is None


def test_non_resource_requests_are_never_faulted() -> None:
    faults = Faults()
    faults.add(verb="get", status=500, times=None)
    assert faults.take(ri("GET", "/version")) is None
    assert faults.take(ri("GET", "/apis")) is None


def test_a_fault_must_do_something() -> None:
    with pytest.raises(ValueError, match="needs a status"):
        Faults().add(verb="get")


@pytest.mark.parametrize(
    ("status", "reason", "message_part"),
    [
        (409, "Conflict", 'Operation cannot be fulfilled on configmaps "x"'),
        (429, "TooManyRequests", "Too many requests"),
        (500, "InternalError", "Internal error occurred"),
        (503, "ServiceUnavailable", "unable to handle the request"),
    ],
    ids=["409", "429", "500", "503"],
)
def test_fault_status_bodies(status: int, reason: str, message_part: str) -> None:
    body = fault_error(Fault(status=status, retry_after=2), ri("GET", f"{CM}/x")).status_body()
    assert body["kind"] == "Status" and body["status"] == "Failure"
    assert body["code"] == status and body["reason"] == reason
    assert message_part in body["message"]
    assert body["details"]["retryAfterSeconds"] == 2


async def test_429_answers_with_retry_after_and_counts_down(faulty: Any, http: aiohttp.ClientSession) -> None:
    srv, faults = faulty
    await _create(http, srv.url, "x")
    fault = faults.add(verb="get", resource="configmaps", status=429, retry_after=3, times=2)
    statuses = []
    for _ in range(3):
        async with http.get(f"{srv.url}{CM}/x") as response:
            statuses.append(response.status)
            if response.status == 429:
                assert response.headers["Retry-After"] == "3"
                body = await response.json()
                assert body["reason"] == "TooManyRequests"
    assert statuses == [429, 429, 200]
    assert fault.hits == 2
    logged = [r.status for r in srv.request_log if r.verb == "get" and r.resource == "configmaps"]
    assert logged == [429, 429, 200]


async def test_failed_write_changes_nothing(faulty: Any, http: aiohttp.ClientSession) -> None:
    srv, faults = faulty
    created = await _create(http, srv.url, "x")
    faults.add(verb="update", name="x", status=409)
    created["data"] = {"a": "2"}
    async with http.put(f"{srv.url}{CM}/x", json=created) as response:
        assert response.status == 409
        assert (await response.json())["reason"] == "Conflict"
    async with http.get(f"{srv.url}{CM}/x") as response:
        assert (await response.json())["data"] == {"a": "1"}


async def test_latency_delays_the_answer(faulty: Any, http: aiohttp.ClientSession) -> None:
    srv, faults = faulty
    await _create(http, srv.url, "x")
    faults.add(verb="get", latency=0.3)
    get = asyncio.ensure_future(http.get(f"{srv.url}{CM}/x"))
    # A second request is not delayed, so it finishes while the first still waits.
    async with http.get(f"{srv.url}{CM}") as response:
        assert response.status == 200
    assert not get.done()
    async with await get as response:
        assert response.status == 200


async def _read_lines(response: aiohttp.ClientResponse, into: list[dict[str, Any]]) -> None:
    async for line in response.content:
        if line.strip():
            into.append(json.loads(line))


async def test_cut_watches_drops_open_streams(faulty: Any, http: aiohttp.ClientSession) -> None:
    srv, faults = faulty
    await _create(http, srv.url, "x")
    events: list[dict[str, Any]] = []
    async with http.get(f"{srv.url}{CM}", params={"watch": "true"}) as response:
        reader = asyncio.ensure_future(_read_lines(response, events))
        await eventually(lambda: len(events) == 1 and faults.open_watches == 1)
        assert faults.cut_watches(resource="secrets") == 0
        assert faults.cut_watches(resource="configmaps") == 1
        with pytest.raises(aiohttp.ClientPayloadError):
            await asyncio.wait_for(reader, 5)
    assert events[0]["type"] == "ADDED"


async def test_cut_after_ends_a_watch_mid_stream(faulty: Any, http: aiohttp.ClientSession) -> None:
    srv, faults = faulty
    fault = faults.add(verb="watch", resource="configmaps", cut_after=0.1)
    events: list[dict[str, Any]] = []
    async with http.get(f"{srv.url}{CM}", params={"watch": "true"}) as response:
        with pytest.raises(aiohttp.ClientPayloadError):
            await asyncio.wait_for(_read_lines(response, events), 5)
    assert fault.hits == 1
    # The next watch is not cut: the fault was used up.
    await eventually(lambda: faults.open_watches == 0)


async def test_compaction_makes_an_old_watch_get_410(faulty: Any, http: aiohttp.ClientSession) -> None:
    srv, faults = faulty
    created = await _create(http, srv.url, "x")
    rv = created["metadata"]["resourceVersion"]
    await _create(http, srv.url, "y")
    faults.add(verb="watch", compact=True)
    params = {"watch": "true", "resourceVersion": rv}
    async with http.get(f"{srv.url}{CM}", params=params) as response:
        line = await asyncio.wait_for(response.content.readline(), 5)
    event = json.loads(line)
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410
