"""Embedded API server benchmark, run by hand: `.venv/bin/python -m bench.apiserver [--seconds 5]`.

Starts `eno apiserver` in its own process (so the clients' work does not count against it; `--in-process`
runs it in this event loop instead, `--data-dir` persists to SQLite) and measures over HTTP, each for
`--seconds`:
  - GETs/s: 16 concurrent clients reading a small ConfigMap each;
  - applies/s: 16 concurrent clients server-side applying a small ConfigMap each (a changed value every
    time, so every apply is a real write);
  - watch events/s delivered: 10 watchers on one namespace while 16 writers update ConfigMaps in it; the
    figure is every event received by every watcher, divided by the time from the first write to the last
    event received.
It prints each figure and the apply/GET ratio (the target is at least 1/3).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

CLIENTS = 16
WATCHERS = 10
NAMESPACE = "bench"
WATCHED = "bench-watch"
APPLY = "application/apply-patch+yaml"


def configmap(name: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"key": value}}


@contextlib.asynccontextmanager
async def server_process(data_dir: str) -> AsyncIterator[str]:
    """`eno apiserver --port 0` in a child process; yields its URL."""
    args = [sys.executable, "-m", "eno_cmd.eno", "apiserver", "--port", "0"]
    if data_dir:
        args += ["--data-dir", data_dir]
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        assert proc.stdout is not None
        url = ""
        while not url:
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            if not line:
                raise RuntimeError("eno apiserver exited before printing its URL")
            if "listening on " in line:
                url = line.split("listening on ", 1)[1].strip()
        yield url
    finally:
        proc.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 10)


@contextlib.asynccontextmanager
async def server_in_process(data_dir: str) -> AsyncIterator[str]:
    from eno.apiserver.server import ApiServer

    kwargs: dict[str, Any] = {"data_dir": data_dir} if data_dir else {}
    async with ApiServer(**kwargs) as srv:
        yield srv.url


async def ensure_namespace(http: aiohttp.ClientSession, url: str, name: str) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    async with http.post(f"{url}/api/v1/namespaces", json=body) as response:
        if response.status not in (201, 409):
            raise RuntimeError(f"creating namespace {name}: {response.status} {await response.text()}")


async def run_for(seconds: float, worker: Any) -> tuple[int, float]:
    """Run CLIENTS copies of `worker(i, stop_at)` (each returns its count); total count and elapsed time."""
    started = time.perf_counter()
    stop_at = started + seconds
    counts = await asyncio.gather(*(worker(i, stop_at) for i in range(CLIENTS)))
    return sum(counts), time.perf_counter() - started


async def bench_gets(http: aiohttp.ClientSession, url: str, seconds: float) -> float:
    base = f"{url}/api/v1/namespaces/{NAMESPACE}/configmaps"
    for i in range(CLIENTS):
        async with http.post(base, json=configmap(f"get-{i}", "0")) as response:
            if response.status not in (201, 409):
                raise RuntimeError(f"create: {response.status} {await response.text()}")

    async def worker(i: int, stop_at: float) -> int:
        n = 0
        while time.perf_counter() < stop_at:
            async with http.get(f"{base}/get-{i}") as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"get: {response.status}")
            n += 1
        return n

    count, elapsed = await run_for(seconds, worker)
    return count / elapsed


async def bench_applies(http: aiohttp.ClientSession, url: str, seconds: float) -> float:
    base = f"{url}/api/v1/namespaces/{NAMESPACE}/configmaps"

    async def worker(i: int, stop_at: float) -> int:
        n = 0
        name = f"apply-{i}"
        params = {"fieldManager": f"bench-{i}", "force": "true"}
        while time.perf_counter() < stop_at:
            body = json.dumps(configmap(name, str(n))).encode()
            async with http.patch(
                f"{base}/{name}", data=body, params=params, headers={"Content-Type": APPLY}
            ) as response:
                await response.read()
                if response.status not in (200, 201):
                    raise RuntimeError(f"apply: {response.status} {await response.text()}")
            n += 1
        return n

    count, elapsed = await run_for(seconds, worker)
    return count / elapsed


async def bench_watch(http: aiohttp.ClientSession, url: str, seconds: float) -> tuple[float, int, float]:
    """(events/s delivered to all watchers, events delivered, writes/s during the run)."""
    base = f"{url}/api/v1/namespaces/{WATCHED}/configmaps"
    for i in range(CLIENTS):
        async with http.post(base, json=configmap(f"w-{i}", "0")) as response:
            if response.status not in (201, 409):
                raise RuntimeError(f"create: {response.status}")
    async with http.get(base) as response:
        rv = (await response.json())["metadata"]["resourceVersion"]

    received = [0] * WATCHERS
    last_event = [0.0]
    ready = asyncio.Event()
    all_received = asyncio.Event()
    target = [0]
    opened = [0]

    async def watcher(w: int, session: aiohttp.ClientSession) -> None:
        params = {"watch": "true", "resourceVersion": rv, "timeoutSeconds": str(int(seconds) + 60)}
        async with session.get(base, params=params, timeout=aiohttp.ClientTimeout(total=None)) as response:
            opened[0] += 1
            if opened[0] == WATCHERS:
                ready.set()
            async for line in response.content:
                if line.strip():
                    received[w] += 1
                    last_event[0] = time.perf_counter()
                    if target[0] and sum(received) >= target[0]:
                        all_received.set()

    # Watchers get their own connections, so writers never wait for a pooled one.
    watch_session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=WATCHERS + 1))
    tasks = [asyncio.create_task(watcher(w, watch_session)) for w in range(WATCHERS)]
    try:
        await asyncio.wait_for(ready.wait(), 30)

        async def writer(i: int, stop_at: float) -> int:
            n = 0
            while time.perf_counter() < stop_at:
                patch = json.dumps({"data": {"key": str(n)}}).encode()
                async with http.patch(
                    f"{base}/w-{i}", data=patch, headers={"Content-Type": "application/merge-patch+json"}
                ) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"patch: {response.status}")
                n += 1
            return n

        started = time.perf_counter()
        writes, write_elapsed = await run_for(seconds, writer)
        target[0] = writes * WATCHERS
        if sum(received) < target[0]:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(all_received.wait(), 60)
        delivered = sum(received)
        elapsed = max(last_event[0], started + write_elapsed) - started
        return delivered / elapsed, delivered, writes / write_elapsed
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await watch_session.close()


async def main_async(args: argparse.Namespace) -> None:
    data_dir = args.data_dir
    temp = None
    if args.persist and not data_dir:
        temp = tempfile.TemporaryDirectory()
        data_dir = temp.name
    serve = server_in_process if args.in_process else server_process
    try:
        async with serve(data_dir) as url:
            connector = aiohttp.TCPConnector(limit=CLIENTS)
            async with aiohttp.ClientSession(connector=connector) as http:
                await ensure_namespace(http, url, NAMESPACE)
                await ensure_namespace(http, url, WATCHED)
                gets = await bench_gets(http, url, args.seconds)
                applies = await bench_applies(http, url, args.seconds)
                events, delivered, writes = await bench_watch(http, url, args.seconds)
    finally:
        if temp is not None:
            temp.cleanup()
    where = "in-process" if args.in_process else "separate process"
    storage = f"SQLite at {data_dir}" if data_dir else "memory"
    print(f"eno apiserver ({where}, storage: {storage}), {args.seconds:g}s per figure")
    print(f"  GETs/s ({CLIENTS} clients):                     {gets:9.0f}")
    print(f"  server-side applies/s ({CLIENTS} clients):      {applies:9.0f}")
    print(
        f"  watch events/s delivered ({WATCHERS} watchers):   {events:9.0f}"
        f"  ({delivered} events, {writes:.0f} writes/s)"
    )
    ratio = applies / gets if gets else 0.0
    verdict = "meets" if ratio >= 1 / 3 else "BELOW"
    print(f"  apply/GET ratio:                            {ratio:9.2f}  ({verdict} the 1/3 target)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each measurement")
    parser.add_argument("--in-process", action="store_true", help="run the server in this event loop")
    parser.add_argument("--data-dir", default="", help="persist to SQLite in this directory")
    parser.add_argument("--persist", action="store_true", help="persist to SQLite in a temporary directory")
    args = parser.parse_args()
    if args.data_dir:
        Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
