"""Runtime benchmark, run by hand: `.venv/bin/python -m bench.runtime [--objects 10000] [--parts a,b,c]`.

Against an embedded API server started in-process, in one run:
  (a) throughput: objects reconciled per second by a no-op controller on eno.runtime, from its start until
      it has reconciled each of 5,000 existing ConfigMaps once, against a Kopf operator with a no-op
      `on.event` handler doing the same on the same server (best of two runs each, alternating);
      target: at least 3x Kopf;
  (b) cache memory: bytes the informer's cache holds per object (tracemalloc, after a full sync) over the
      object's compact JSON size; target: at most 2.5 KiB of overhead per object at 10,000 objects;
  (c) API requests per reconciled object: a no-op controller over ConfigMaps reconciles every object once;
      the server's request log says what the controller's client asked for; target: the informer's list
      and watch only, no per-object request.
Part (a) needs Kopf (`pip install kopf`, in the dev extra).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import time
import tracemalloc
from collections import Counter
from typing import Any

import attrs

from eno.apiserver.server import ApiServer
from eno.runtime.cache import Cache, InformerOptions
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from eno.runtime.informer import Informer, Transform, strip_managed_fields
from eno.runtime.manager import Manager
from eno.runtime.reconcile import Request, Result

CM = GVK("", "v1", "ConfigMap")
NAMESPACE = "bench"
THROUGHPUT_NAMESPACE = "bench-throughput"
KIB = 1024


def configmap(i: int, namespace: str = NAMESPACE) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"cm-{i:05d}",
            "namespace": namespace,
            "labels": {"app.kubernetes.io/name": "bench", "shard": str(i % 16)},
            "annotations": {"bench.eno.io/created-by": "bench.runtime"},
        },
        "data": {"index": str(i), "payload": f"value-{i}-" + "x" * 48},
    }


async def populate(client: Client, count: int, namespace: str = NAMESPACE, concurrency: int = 32) -> None:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    queue = iter(range(count))

    async def worker() -> None:
        for i in queue:
            await client.create(configmap(i, namespace))

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def cache_memory(client: Client, transform: Transform | None = None) -> dict[str, float]:
    page = await client.list(CM, NAMESPACE)
    json_bytes = sum(len(json.dumps(o, separators=(",", ":"))) for o in page.items) / len(page.items)
    del page
    gc.collect()
    # The API server runs in this process: leave out whatever it allocates (encoded responses it keeps).
    server_side = [
        tracemalloc.Filter(False, "*/eno/apiserver/*", all_frames=True),
        tracemalloc.Filter(False, tracemalloc.__file__),
    ]
    tracemalloc.start(8)
    before = tracemalloc.take_snapshot().filter_traces(server_side)
    informer = Informer(client, CM, namespace=NAMESPACE, transform=transform)
    informer.start()
    try:
        if not await informer.wait_for_sync(600):
            raise RuntimeError("informer did not sync")
        gc.collect()
        after = tracemalloc.take_snapshot().filter_traces(server_side)
        grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
        cached = grown / len(informer.store)
    finally:
        tracemalloc.stop()
        await informer.stop()
    return {"json_bytes": json_bytes, "cached_bytes": cached, "overhead_bytes": cached - json_bytes}


def report_memory(result: dict[str, float], variant: str) -> None:
    overhead = result["overhead_bytes"]
    verdict = "ok" if overhead <= 2.5 * KIB else "OVER TARGET"
    print(
        f"(b) cache memory per object, {variant}: {result['cached_bytes']:.0f} B cached "
        f"for {result['json_bytes']:.0f} B "
        f"of JSON -> overhead {overhead / KIB:.2f} KiB (target <= 2.50 KiB: {verdict}); "
        f"ratio {result['cached_bytes'] / result['json_bytes']:.2f}x"
    )


async def main_async(objects: int, throughput_objects: int, parts: set[str]) -> None:
    run: ControllerRun | None = None
    async with ApiServer(bookmark_interval=1.0) as server:
        async with await Client.from_url(server.url, qps=0) as client:
            if "a" in parts:
                await populate(client, throughput_objects, THROUGHPUT_NAMESPACE)
                print(f"created {throughput_objects} ConfigMaps in {THROUGHPUT_NAMESPACE!r}")
                await throughput(server, client, throughput_objects)
            if parts & {"b", "c"}:
                started = time.perf_counter()
                await populate(client, objects)
                print(f"created {objects} ConfigMaps in {time.perf_counter() - started:.1f}s")
            if "b" in parts:
                report_memory(await cache_memory(client), "as served")
                stripped = await cache_memory(client, strip_managed_fields)
                report_memory(stripped, "managedFields stripped (JSON size still counts them)")
            if "c" in parts:
                run = await run_noop_controller(server, client, objects)
    if run is not None:
        report_requests(run, server.request_log)


async def kopf_noop_seconds(server: ApiServer, objects: int, namespace: str) -> float:
    """Seconds from a Kopf operator's start until its no-op handler has seen every ConfigMap once."""
    import kopf  # only part (a) needs it

    registry = kopf.OperatorRegistry()
    seen: set[str] = set()
    all_seen = asyncio.Event()

    @kopf.on.login(registry=registry)
    def login(**_: Any) -> kopf.ConnectionInfo:
        return kopf.ConnectionInfo(server=server.url, insecure=True)

    @kopf.on.startup(registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        settings.posting.enabled = False  # no Kubernetes Events: the no-op must not write

    @kopf.on.event("v1", "configmaps", registry=registry)
    async def handler(name: str, **_: Any) -> None:
        seen.add(name)
        if len(seen) >= objects:
            all_seen.set()

    stop = asyncio.Event()
    started = time.perf_counter()
    operator = asyncio.create_task(
        kopf.operator(registry=registry, standalone=True, namespaces=[namespace], stop_flag=stop)
    )
    try:
        await asyncio.wait_for(all_seen.wait(), 600)
        return time.perf_counter() - started
    finally:
        stop.set()
        try:
            await asyncio.wait_for(operator, 30)
        except TimeoutError:
            operator.cancel()


async def throughput(server: ApiServer, writer: Client, objects: int) -> None:
    logging.getLogger("kopf").setLevel(logging.WARNING)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(2):  # alternate, so neither side always meets the server's warm caches first
        run = await run_noop_controller(server, writer, objects, THROUGHPUT_NAMESPACE, update=False)
        ours.append(run.sync_seconds)
        theirs.append(await kopf_noop_seconds(server, objects, THROUGHPUT_NAMESPACE))
    ours_rate, theirs_rate = objects / min(ours), objects / min(theirs)
    ratio = ours_rate / theirs_rate
    verdict = "ok" if ratio >= 3 else "UNDER TARGET"
    print(
        f"(a) no-op controller throughput over {objects} ConfigMaps: eno.runtime {ours_rate:.0f}/s, "
        f"Kopf {theirs_rate:.0f}/s -> {ratio:.1f}x Kopf (target >= 3x: {verdict})"
    )


class CountingReconciler:
    """A no-op reconciler that notes which objects it has seen, and how often."""

    def __init__(self) -> None:
        self.reconciles = 0
        self.seen: set[Request] = set()
        self._progress = asyncio.Event()

    async def reconcile(self, request: Request) -> Result:
        self.reconciles += 1
        self.seen.add(request)
        self._progress.set()
        return Result()

    async def wait_for(self, reconciles: int, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while self.reconciles < reconciles:
                self._progress.clear()
                await self._progress.wait()


@attrs.frozen
class ControllerRun:
    user_agent: str
    objects: int
    reconciles: int
    sync_seconds: float


async def run_noop_controller(
    server: ApiServer, writer: Client, objects: int, namespace: str = NAMESPACE, update: bool = True
) -> ControllerRun:
    """Run a no-op controller over a namespace's ConfigMaps: a full sync, then (optionally) one update of
    every object."""
    user_agent = f"eno-bench-controller-{namespace}"
    async with await Client.from_url(server.url, qps=0) as client:
        client.api_client.user_agent = user_agent
        cache = Cache(client, by_kind={CM: InformerOptions(namespace=namespace)})
        manager = Manager(client, cache=cache, health_probe_address=None, metrics_address=None)
        reconciler = CountingReconciler()
        manager.builder().for_(CM).with_options(max_concurrent_reconciles=4).complete(reconciler)
        running = asyncio.create_task(manager.run())
        try:
            started = time.perf_counter()
            await reconciler.wait_for(objects, timeout=600)
            sync_seconds = time.perf_counter() - started
            if update:
                # Steady state: every object changes once; the controller should learn it from its watch.
                for i in range(objects):
                    patch = {"data": {"index": f"{i}-v2"}}
                    await writer.patch(CM, f"cm-{i:05d}", namespace, patch, "merge")
                await reconciler.wait_for(2 * objects, timeout=600)
        finally:
            manager.stop()
            await running
    return ControllerRun(user_agent, objects, reconciler.reconciles, sync_seconds)


# Requests that address one object: what a controller reading from its cache never needs.
PER_OBJECT_VERBS = frozenset({"get", "update", "patch", "delete", "create"})


def report_requests(run: ControllerRun, log: list[Any]) -> None:
    """Count the controller's requests in the server's log (read after the server stopped: a watch is
    logged when it ends)."""
    mine = [r for r in log if r.user_agent == run.user_agent]
    per_object = [r for r in mine if r.verb in PER_OBJECT_VERBS and r.resource == "configmaps"]
    verdict = "ok" if not per_object else "PER-OBJECT REQUESTS"
    print(
        f"(c) API requests per reconciled object: {len(mine)} requests for {run.reconciles} reconciles "
        f"({run.objects} objects synced, then each updated once) = "
        f"{len(mine) / run.reconciles:.5f}/reconcile; "
        f"{dict(summarize_requests(mine))}; per-object requests: {len(per_object)} "
        f"(target: the informer's list and watch only: {verdict}); "
        f"initial sync {run.objects / run.sync_seconds:.0f} reconciles/s"
    )


def summarize_requests(records: list[Any]) -> Counter[str]:
    return Counter(f"{r.verb} {r.resource or r.path}" for r in records)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=10_000, help="ConfigMaps for parts b and c")
    parser.add_argument("--throughput-objects", type=int, default=5_000, help="ConfigMaps for part a")
    parser.add_argument("--parts", default="a,b,c", help="comma-separated parts to run: a, b, c")
    args = parser.parse_args()
    asyncio.run(main_async(args.objects, args.throughput_objects, set(args.parts.split(","))))


if __name__ == "__main__":
    main()
