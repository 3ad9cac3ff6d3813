"""Synthesis benchmark, run by hand: `.venv/bin/python -m bench.synthesis [--compositions 40]`.

Dispatches one synthesis for each of N compositions at once (as the scheduler would, up to the controller's
concurrency) and measures, per synthesis, the time from the dispatch to its slices being written and the
status swapped (`currentSynthesis` is the dispatched UUID), and the wall time for all N. The floor, measured
in the same run: the same synthesizer process run directly N times, `--concurrency` at a time, with the
same input on stdin and its stdout read (what any design must at least do). Ratios are printed for both.
With more compositions than `--concurrency`, a synthesis's latency includes its wait for a free worker
(as the floor's does for a free slot): compare totals then. `--shim static` builds shim.c with gcc and
uses it instead of the Python shim (as a cluster would).

Everything runs in this process (API server, embedded kubelet, controllers), so the numbers include their
sharing one event loop; the synthesizer and the shim are real processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

from controllers import synthesis
from eno.api.v1 import Composition
from eno.api.v1 import constants as c
from eno.api.v1.times import now
from eno.apiserver.kubelet import Kubelet
from eno.apiserver.server import ApiServer
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.manager import Manager
from eno.synthesis.pod import PodOptions

CRDS = Path(__file__).resolve().parents[1] / "manifests" / "crds"

# A typical small synthesizer: reads its input, emits a Deployment and a Service per input.
SYNTHESIZER = """
import json, sys
doc = json.load(sys.stdin)
items = []
for i in range(5):
    meta = {"name": f"app-{i}", "namespace": "default"}
    pod = {"spec": {"containers": [{"name": "app", "image": "x"}]}}
    items.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                  "spec": {"replicas": 1, "template": pod}})
    items.append({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": {"ports": [{"port": 80}]}})
json.dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}, sys.stdout)
"""
INPUT = json.dumps({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": []}).encode()


async def floor(command: list[str], n: int, concurrency: int) -> tuple[float, list[float]]:
    gate = asyncio.Semaphore(concurrency)
    times: list[float] = []

    async def one() -> None:
        async with gate:
            started = time.perf_counter()
            proc = await asyncio.create_subprocess_exec(
                *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
            )
            out, _ = await proc.communicate(INPUT)
            json.loads(out)
            times.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return time.perf_counter() - started, times


async def through_eno(
    command: list[str], n: int, concurrency: int, shim: tuple[str, ...]
) -> tuple[float, list[float]]:
    srv = ApiServer(bookmark_interval=1.0)
    kubelet = Kubelet(srv)
    async with srv, kubelet:
        async with await Client.from_url(srv.url, qps=0) as client:
            for path in sorted(CRDS.glob("*.yaml")):
                await client.create(yaml.safe_load(path.read_text()))
            await client.create(
                {
                    "apiVersion": c.API_VERSION,
                    "kind": "Synthesizer",
                    "metadata": {"name": "bench"},
                    "spec": {"image": "bench:1", "command": command},
                }
            )
            for i in range(n):
                await client.create(
                    {
                        "apiVersion": c.API_VERSION,
                        "kind": "Composition",
                        "metadata": {
                            "name": f"c{i}",
                            "namespace": "default",
                            "finalizers": [c.FINALIZER_CLEANUP],
                        },
                        "spec": {"synthesizer": {"name": "bench"}},
                    }
                )
            options = synthesis.Options(
                pod=PodOptions(
                    namespace="default", shim_command=(sys.executable, "-m", "eno.synthesis.shim")
                ),
                pod_timeout=300,
            )
            async with await Client.from_url(srv.url, qps=0) as mclient:
                cache = Cache(mclient, by_kind=synthesis.cache_options(options))
                manager = Manager(mclient, cache=cache, health_probe_address=None, metrics_address=None)
                synthesis.setup(manager, options, concurrency=concurrency)
                task = asyncio.create_task(manager.run())
                await asyncio.wait_for(manager.leading.wait(), 30)
                try:
                    return await _dispatch_all(client, n)
                finally:
                    manager.stop()
                    await asyncio.wait_for(task, 30)


async def _dispatch_all(client: Client, n: int) -> tuple[float, list[float]]:
    dispatched: dict[str, tuple[str, float]] = {}
    started = time.perf_counter()
    for i in range(n):
        new = str(uuid.uuid4())
        body: dict[str, Any] = {
            "status": {"inFlightSynthesis": {"uuid": new, "initialized": now(), "attempts": 1}}
        }
        await client.patch(Composition, f"c{i}", "default", body, patch_type="merge", subresource="status")
        dispatched[f"c{i}"] = (new, time.perf_counter())
    latencies: dict[str, float] = {}
    async with client.watch(Composition, "default", allow_bookmarks=False) as events:
        async for event in events:
            name = event.object["metadata"]["name"]
            current = (event.object.get("status") or {}).get("currentSynthesis") or {}
            if name in dispatched and name not in latencies and current.get("uuid") == dispatched[name][0]:
                latencies[name] = time.perf_counter() - dispatched[name][1]
                if len(latencies) == n:
                    break
    return time.perf_counter() - started, list(latencies.values())


def _quantiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _build_static_shim(tmp: str) -> str:
    binary = Path(tmp) / "eno-shim"
    source = Path(__file__).resolve().parents[1] / "eno" / "synthesis" / "shim.c"
    subprocess.run(["gcc", "-static", "-Os", "-o", str(binary), str(source)], check=True)
    return str(binary)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--compositions", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument(
        "--shim", choices=("python", "static"), default="python", help="static: build shim.c with gcc"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "synth.py"
        script.write_text(SYNTHESIZER)
        command = [sys.executable, str(script)]
        shim: tuple[str, ...] = (sys.executable, "-m", "eno.synthesis.shim")
        if args.shim == "static":
            shim = (await asyncio.to_thread(_build_static_shim, tmp),)
        await floor(command, args.concurrency, args.concurrency)  # warm-up: disk caches, first imports
        floor_total, floor_times = await floor(command, args.compositions, args.concurrency)
        eno_total, eno_times = await through_eno(command, args.compositions, args.concurrency, shim)
    f50, f95 = _quantiles(floor_times)
    e50, e95 = _quantiles(eno_times)
    n, k = args.compositions, args.concurrency
    print(
        f"synthesis: {n} compositions, 10 outputs each, concurrency {k}, python synthesizer, {args.shim} shim"
    )
    print(
        f"  floor (process directly):   total {floor_total:6.2f}s  per run p50 {f50:6.3f}s  p95 {f95:6.3f}s"
    )
    print(f"  eno (dispatch -> swapped):  total {eno_total:6.2f}s  per run p50 {e50:6.3f}s  p95 {e95:6.3f}s")
    print(f"  ratio eno/floor:            total {eno_total / floor_total:5.1f}x      p50 {e50 / f50:5.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
