"""HTTP endpoints a manager serves: /healthz and /readyz (controller-runtime's healthz), and /metrics.

Each probe endpoint runs its named checks; every endpoint has a check `ping` that always passes, as Eno's
managers register. `/healthz/<check>` runs one check; `?verbose` lists each result. A failing check makes
the endpoint answer 500 (the reason is withheld from the body and logged instead).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = structlog.get_logger(__name__)

# A check passes by returning; it fails by raising (the message is logged).
Check = Callable[[], Awaitable[None] | None]


def ping() -> None:
    return None


class Checks:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._checks: dict[str, Check] = {"ping": ping}

    def add(self, name: str, check: Check) -> None:
        if name in self._checks:
            raise ValueError(f"{self.kind} check {name!r} already registered")
        self._checks[name] = check

    async def run(self, only: str | None = None) -> list[tuple[str, str | None]]:
        """(name, error or None) per check, in registration order."""
        results: list[tuple[str, str | None]] = []
        for name, check in self._checks.items():
            if only is not None and name != only:
                continue
            try:
                outcome = check()
                if inspect.isawaitable(outcome):
                    await outcome
                results.append((name, None))
            except Exception as err:
                results.append((name, str(err) or type(err).__name__))
        return results

    def handler(self) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def serve(request: web.Request) -> web.Response:
            only = request.match_info.get("check")
            if only is not None and only not in self._checks:
                return web.Response(status=404, text=f"no such {self.kind} check: {only}\n")
            results = await self.run(only)
            failed = [(name, err) for name, err in results if err is not None]
            for name, err in failed:
                log.info("probe_check_failed", probe=self.kind, check=name, reason=err)
            if only is not None:
                return web.Response(status=500 if failed else 200, text="ok" if not failed else "")
            lines = [
                f"[{'-' if err else '+'}]{name} {'failed: reason withheld' if err else 'ok'}"
                for name, err in results
            ]
            if failed:
                return web.Response(status=500, text="\n".join([*lines, f"{self.kind} check failed"]) + "\n")
            if "verbose" in request.query:
                return web.Response(text="\n".join([*lines, f"{self.kind} check passed"]) + "\n")
            return web.Response(text="ok")

        return serve


def probes_app(healthz: Checks, readyz: Checks) -> web.Application:
    app = web.Application()
    for path, checks in (("/healthz", healthz), ("/readyz", readyz)):
        serve = checks.handler()
        app.router.add_get(path, serve)
        app.router.add_get(path + "/{check}", serve)
    return app


def metrics_app(registry: CollectorRegistry) -> web.Application:
    async def serve(_: web.Request) -> web.Response:
        body = generate_latest(registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", serve)
    return app


def parse_address(address: str) -> tuple[str, int]:
    """Go-style bind address: ":8081" (all interfaces), "127.0.0.1:0", "[::1]:8080"."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


class HttpServer:
    """One aiohttp application bound to an address; `port` is the bound port (useful with port 0)."""

    def __init__(self, app: web.Application, address: str) -> None:
        self._app = app
        self.address = address
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        host, port = parse_address(self.address)
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        addresses = self._runner.addresses
        self.port = int(addresses[0][1]) if addresses else port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
