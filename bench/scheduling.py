"""Scheduling benchmark, run by hand: `.venv/bin/python -m bench.scheduling [--compositions 100]`.

N compositions are created at once and Eno's controller process does the rest: the composition
controller adds finalizers, the scheduler dispatches (at most `--concurrency` syntheses in flight, its
`--concurrency-limit`), the lifecycle controller runs each synthesis pod on the embedded kubelet. Measured:
the wall time from the first create to every composition having a current synthesis, and per composition
the time from its create to its swap. The floor, in the same run: the same synthesizer process run directly
N times, `--concurrency` at a time (bench.synthesis.floor). Everything but the processes shares one event
loop (server, kubelet, controllers).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.synthesis import CRDS, SYNTHESIZER, floor
from controllers import composition, scheduling, synthesis, watch
from eno.api.v1 import Composition
from eno.api.v1 import constants as c
from eno.apiserver.kubelet import Kubelet
from eno.apiserver.server import ApiServer
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.manager import Manager
from eno.synthesis.pod import PodOptions


async def through_eno(command: list[str], n: int, concurrency: int) -> tuple[float, list[float]]:
    srv = ApiServer()
    kubelet = Kubelet(srv)
    async with srv, kubelet, await Client.from_url(srv.url, qps=0) as client:
        for path in sorted(CRDS.glob("*.yaml")):
            await client.create(yaml.safe_load(path.read_text()))
        synth = {"image": "bench", "command": command}
        await client.create(
            {"apiVersion": c.API_VERSION, "kind": "Synthesizer", "metadata": {"name": "s"}, "spec": synth}
        )
        opts = synthesis.Options(
            pod=PodOptions(namespace="default", shim_command=(sys.executable, "-m", "eno.synthesis.shim"))
        )
        cache = Cache(client, by_kind=synthesis.cache_options(opts))
        manager = Manager(client, cache=cache, health_probe_address=None, metrics_address=None)
        composition.setup(manager, composition.Options(synthesizer_pod_namespace="default"))
        synthesis.setup(manager, opts, concurrency=concurrency)
        scheduling.setup(manager, scheduling.Options(concurrency_limit=concurrency))
        watch.setup(manager)
        task = asyncio.create_task(manager.run())
        await asyncio.wait_for(manager.leading.wait(), 10)
        created: dict[str, float] = {}
        done: dict[str, float] = {}
        started = time.perf_counter()
        for i in range(n):
            name = f"comp-{i:03d}"
            body = {
                "apiVersion": c.API_VERSION,
                "kind": "Composition",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"synthesizer": {"name": "s"}},
            }
            await client.create(body)
            created[name] = time.perf_counter()
        while len(done) < n:
            for comp in (await client.list(Composition, namespace="default")).items:
                if comp.name not in done and comp.status.current_synthesis is not None:
                    done[comp.name] = time.perf_counter()
            await asyncio.sleep(0.05)
        total = time.perf_counter() - started
        passes = manager.registry.get_sample_value("eno_scheduling_latency_seconds_count") or 0
        spent = manager.registry.get_sample_value("eno_scheduling_latency_seconds_sum") or 0
        each = 1000 * spent / max(passes, 1)
        print(f"  scheduler: {passes:.0f} passes, {spent:.2f}s in them ({each:.1f} ms each)")
        manager.stop()
        await asyncio.wait_for(task, 30)
    return total, [done[k] - created[k] for k in created]


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--compositions", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "synth.py"
        script.write_text(SYNTHESIZER)
        command = [sys.executable, str(script)]
        await floor(command, args.concurrency, args.concurrency)  # warm-up
        floor_total, floor_times = await floor(command, args.compositions, args.concurrency)
        eno_total, eno_times = await through_eno(command, args.compositions, args.concurrency)
    n, k = args.compositions, args.concurrency
    print(f"scheduling: {n} compositions created at once, concurrency {k}, python synthesizer and shim")
    print(f"  floor (process directly, {k} at a time): total {floor_total:6.2f}s")
    print(
        f"  eno (create -> current synthesis):     total {eno_total:6.2f}s  "
        f"per composition p50 {statistics.median(eno_times):6.2f}s  max {max(eno_times):6.2f}s"
    )
    per_run = statistics.median(floor_times)
    print(f"  ratio eno/floor: {eno_total / floor_total:5.1f}x (floor per run p50 {per_run:.3f}s)")


if __name__ == "__main__":
    asyncio.run(main())
