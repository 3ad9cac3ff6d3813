"""Seams for server components: extra subresource handlers and components started with the server."""

from __future__ import annotations

from aiohttp import web
from kubernetes_asyncio import client

from eno.apiserver.server import ApiServer
from tests.apiserver.objects import raw_get


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []

    async def start(self) -> None:
        self.events.append("start")

    async def stop(self) -> None:
        self.events.append("stop")


async def test_components_start_and_stop_with_the_server() -> None:
    recorder = Recorder()
    srv = ApiServer()
    srv.add_component(recorder)
    async with srv:
        assert recorder.events == ["start"]
    assert recorder.events == ["start", "stop"]


async def test_added_subresource_is_dispatched_to_its_handler() -> None:
    async def log(ctx, request, ri, info, output) -> web.StreamResponse:
        return web.Response(text=f"log of {ri.namespace}/{ri.name}")

    srv = ApiServer()
    srv.add_subresource("", "pods", "log", log)
    async with srv, client.ApiClient(client.Configuration(host=srv.url)) as api:
        response = await raw_get(api, "/api/v1/namespaces/default/pods/p/log")
        assert response.status == 200
        assert await response.text() == "log of default/p"
        missing = await raw_get(api, "/api/v1/namespaces/default/pods/p/exec")
        assert missing.status == 404
