"""Runtime benchmark, run by hand: `.venv/bin/python -m bench.runtime [--objects 10000] [--parts b,c]`.

Against an embedded API server started in-process, in one run:
  (b) cache memory: bytes the informer's cache holds per object (tracemalloc, after a full sync) over the
      object's compact JSON size; target: at most 2.5 KiB of overhead per object at 10,000 objects;
  (c) API requests per reconciled object: a no-op controller over ConfigMaps reconciles every object once;
      the server's request log says what the controller's client asked for; target: the informer's list
      and watch only, no per-object request.
(a), the no-op controller's throughput against Kopf, is measured separately.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
import tracemalloc
from collections import Counter
from typing import Any

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from eno.runtime.informer import Informer

CM = GVK("", "v1", "ConfigMap")
NAMESPACE = "bench"
KIB = 1024


def configmap(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"cm-{i:05d}",
            "namespace": NAMESPACE,
            "labels": {"app.kubernetes.io/name": "bench", "shard": str(i % 16)},
            "annotations": {"bench.eno.io/created-by": "bench.runtime"},
        },
        "data": {"index": str(i), "payload": f"value-{i}-" + "x" * 48},
    }


async def populate(client: Client, count: int, concurrency: int = 32) -> None:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    queue = iter(range(count))

    async def worker() -> None:
        for i in queue:
            await client.create(configmap(i))

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def cache_memory(client: Client, count: int) -> dict[str, float]:
    page = await client.list(CM, NAMESPACE)
    json_bytes = sum(len(json.dumps(o, separators=(",", ":"))) for o in page.items) / len(page.items)
    del page
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    informer = Informer(client, CM, namespace=NAMESPACE)
    informer.start()
    try:
        if not await informer.wait_for_sync(600):
            raise RuntimeError("informer did not sync")
        gc.collect()
        cached = (tracemalloc.get_traced_memory()[0] - before) / len(informer.store)
    finally:
        tracemalloc.stop()
        await informer.stop()
    return {"json_bytes": json_bytes, "cached_bytes": cached, "overhead_bytes": cached - json_bytes}


def report_memory(result: dict[str, float]) -> None:
    overhead = result["overhead_bytes"]
    verdict = "ok" if overhead <= 2.5 * KIB else "OVER TARGET"
    print(
        f"(b) cache memory per object: {result['cached_bytes']:.0f} B cached "
        f"for {result['json_bytes']:.0f} B "
        f"of JSON -> overhead {overhead / KIB:.2f} KiB (target <= 2.50 KiB: {verdict}); "
        f"ratio {result['cached_bytes'] / result['json_bytes']:.2f}x"
    )


async def main_async(objects: int, parts: set[str]) -> None:
    async with ApiServer(bookmark_interval=1.0) as server:
        async with await Client.from_url(server.url, qps=0) as client:
            started = time.perf_counter()
            await populate(client, objects)
            print(f"created {objects} ConfigMaps in {time.perf_counter() - started:.1f}s")
            if "b" in parts:
                report_memory(await cache_memory(client, objects))
            if "c" in parts:
                await requests_per_reconcile(server, objects)


async def requests_per_reconcile(server: ApiServer, objects: int) -> None:
    print("(c) requests per reconciled object: needs eno.runtime.controller (not measured in this build)")
    del server, objects


def summarize_requests(records: list[Any]) -> Counter[str]:
    return Counter(f"{r.verb} {r.resource}" for r in records)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--parts", default="b,c", help="comma-separated parts to run: b, c")
    args = parser.parse_args()
    asyncio.run(main_async(args.objects, set(args.parts.split(","))))


if __name__ == "__main__":
    main()
