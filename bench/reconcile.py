"""Reconciler benchmark, run by hand: `.venv/bin/python -m bench.reconcile [--concurrency 8]`.

Everything runs in one event loop with an embedded API server (a fresh one per measurement), so the
floor and the reconciler share the same server and CPU:
  - floor: a bare kubernetes-asyncio client server-side applying the same ConfigMaps at the same
    concurrency (one apply each, field manager `eno`, force);
  - first reconcile of 1 composition x 1,000 ConfigMaps: the synthesis is done (slices written, the
    composition's current synthesis pointing at them); from the start of the reconciler's manager (cold:
    cache sync and loading included) until every ConfigMap exists ("applied") and until every slot of the
    slice says reconciled and ready ("reconciled");
  - the same for 100 compositions x 10 ConfigMaps;
  - API requests per resource during the first reconcile, from the server's request log (everything the
    reconciler's client sent, by verb);
  - steady state (ConfigMaps with a 1 s reconcile interval): requests per resource per resync pass, then
    writes and requests per resource to roll out a change to every ConfigMap.
It prints each time and its ratio to the floor (targets: <= 1.5x for 1x1000, <= 2x for 100x10), from the
median of `--repeat` runs (floor and reconciler alternate, so a busy machine slows both alike).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import time
import uuid
from pathlib import Path
from typing import Any

import attrs
import structlog
import yaml
from kubernetes_asyncio import client as k8s_client

from controllers.reconciliation import Options, cache_options, setup
from eno.api.v1 import Composition, ResourceSlice
from eno.api.v1.composition import ResourceSliceRef, Synthesis
from eno.apiserver.server import ApiServer
from eno.apiserver.store import Event
from eno.resource.slicing import slice_outputs
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.logging import configure_logging
from eno.runtime.manager import Manager

CRDS = Path(__file__).resolve().parents[1] / "manifests" / "crds"
APPLY = "application/apply-patch+yaml"


def configmap(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"key": name, "other": "x" * 64},
    }


@attrs.frozen
class Timing:
    applied: float
    reconciled: float
    applied_cpu: float  # this process's CPU seconds (server, reconciler and client share it)
    requests: collections.Counter[str] = attrs.field(factory=collections.Counter)


class Watcher:
    """Counts from the store's commits: ConfigMaps created, and slots reconciled per slice."""

    def __init__(self, srv: ApiServer, expected: int, slices: set[str] | None = None) -> None:
        self.expected = expected
        self.slices = slices
        self.created: set[tuple[str, str]] = set()
        self.reconciled: dict[tuple[str, str], int] = {}
        self.applied_at = 0.0
        self.applied_cpu = 0.0
        self.reconciled_at = 0.0
        self.done = asyncio.Event()
        srv.store.commit_hooks.append(self._on_commit)

    def _on_commit(self, event: Event) -> None:
        key = (event.key.namespace, event.key.name)
        if event.key.resource == "configmaps" and event.type == "ADDED":
            self.created.add(key)
            if len(self.created) == self.expected and not self.applied_at:
                self.applied_at = time.monotonic()
                self.applied_cpu = time.process_time()
        elif event.key.resource == "resourceslices" and (
            self.slices is None or event.key.name in self.slices
        ):
            states = (event.object.get("status") or {}).get("resources") or []
            self.reconciled[key] = sum(1 for s in states if s.get("reconciled") and s.get("ready"))
            if sum(self.reconciled.values()) == self.expected and not self.reconciled_at:
                self.reconciled_at = time.monotonic()
                self.done.set()


async def install_crds(client: Client) -> None:
    for path in sorted(CRDS.glob("*.yaml")):
        await client.create(yaml.safe_load(path.read_text()))


async def ensure_namespace(client: Client, name: str) -> None:
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


async def floor(compositions: int, per_composition: int, concurrency: int) -> tuple[float, float]:
    """Seconds (wall, CPU) for a bare kubernetes-asyncio client to apply every ConfigMap once."""
    async with ApiServer() as srv:
        api = k8s_client.ApiClient(k8s_client.Configuration(host=srv.url))
        try:
            core = k8s_client.CoreV1Api(api)
            names = [f"ns{c}" for c in range(compositions)]
            for namespace in names:
                await core.create_namespace(
                    k8s_client.V1Namespace(metadata=k8s_client.V1ObjectMeta(name=namespace))
                )
            work = [(ns, f"cm{i}") for ns in names for i in range(per_composition)]
            gate = asyncio.Semaphore(concurrency)

            async def apply(namespace: str, name: str) -> None:
                async with gate:
                    await core.patch_namespaced_config_map(
                        name,
                        namespace,
                        configmap(name, namespace),
                        field_manager="eno",
                        force=True,
                        _content_type=APPLY,  # type: ignore[call-arg]  # accepted at runtime, not in the stubs
                    )

            started, cpu = time.monotonic(), time.process_time()
            await asyncio.gather(*(apply(ns, name) for ns, name in work))
            return time.monotonic() - started, time.process_time() - cpu
        finally:
            await api.close()


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def first_reconcile(compositions: int, per_composition: int, concurrency: int) -> Timing:
    async with ApiServer() as srv:
        async with await Client.from_url(srv.url, qps=0) as setup_client:
            await install_crds(setup_client)
            pending: list[tuple[Composition, list[str]]] = []
            for c in range(compositions):
                namespace = f"ns{c}"
                await ensure_namespace(setup_client, namespace)
                comp = await setup_client.create(
                    Composition.from_dict(
                        {
                            "metadata": {"name": "comp", "namespace": namespace},
                            "spec": {"synthesizer": {"name": "s"}},
                        }
                    )
                )
                outputs = [configmap(f"cm{i}", namespace) for i in range(per_composition)]
                names = []
                for piece in slice_outputs(comp, [], outputs).slices:
                    metadata = {k: v for k, v in piece.metadata.items() if k != "finalizers"}
                    names.append((await setup_client.create(attrs.evolve(piece, metadata=metadata))).name)
                pending.append((comp, names))

            async with await Client.from_url(srv.url, qps=0) as client:
                client.api_client.user_agent = "eno-reconciler"
                options = Options(max_concurrent_reconciles=concurrency)
                cache = Cache(
                    client, by_kind=cache_options(options)
                )  # as the eno-reconciler process builds it
                manager = Manager(client, cache=cache, health_probe_address=None, metrics_address=None)
                setup(manager, options)
                watcher = Watcher(srv, compositions * per_composition)
                # The syntheses are done (slices written, compositions pointing at them); the reconciler
                # starts cold: cache sync, loading and every apply are timed, the bench's own writes not.
                await asyncio.gather(*(_publish(setup_client, comp, names) for comp, names in pending))
                first_request = len(srv.request_log)
                started, cpu = time.monotonic(), time.process_time()
                task = asyncio.create_task(manager.run())
                try:
                    await asyncio.wait_for(watcher.done.wait(), 600)
                    requests = collections.Counter(
                        f"{r.verb} {r.resource}{'/' + r.subresource if r.subresource else ''}"
                        for r in srv.request_log[first_request:]
                        if r.user_agent.startswith("eno-reconciler")
                    )
                    return Timing(
                        watcher.applied_at - started,
                        watcher.reconciled_at - started,
                        watcher.applied_cpu - cpu,
                        requests,
                    )
                finally:
                    manager.stop()
                    await asyncio.wait_for(task, 30)


@attrs.frozen
class SteadyState:
    resync_requests_per_pass: float
    resync_passes: int
    change_writes_per_resource: float
    change_requests_per_resource: float
    change_seconds: float


def _ours(srv: ApiServer, since: int) -> list[Any]:
    return [r for r in srv.request_log[since:] if r.user_agent.startswith("eno-reconciler")]


async def steady_state(resources: int, concurrency: int) -> SteadyState:
    """After a first reconcile of ConfigMaps with a 1 s reconcile interval: requests per resync pass, then
    writes and requests per resource to roll out a change to every ConfigMap."""
    interval = {"eno.azure.io/reconcile-interval": "1s"}

    def outputs(value: str) -> list[dict[str, Any]]:
        out = []
        for i in range(resources):
            cm = configmap(f"cm{i}", "ns0")
            cm["metadata"]["annotations"] = interval
            cm["data"]["value"] = value
            out.append(cm)
        return out

    async with ApiServer() as srv, await Client.from_url(srv.url, qps=0) as setup_client:
        await install_crds(setup_client)
        await ensure_namespace(setup_client, "ns0")
        comp = await setup_client.create(
            Composition.from_dict(
                {"metadata": {"name": "comp", "namespace": "ns0"}, "spec": {"synthesizer": {"name": "s"}}}
            )
        )
        names = await _slices(setup_client, comp, outputs("1"))
        async with await Client.from_url(srv.url, qps=0) as client:
            client.api_client.user_agent = "eno-reconciler"
            options = Options(max_concurrent_reconciles=concurrency)
            cache = Cache(client, by_kind=cache_options(options))
            manager = Manager(client, cache=cache, health_probe_address=None, metrics_address=None)
            parts = setup(manager, options)
            reconciler: Any = parts.reconciliation.reconciler
            task = asyncio.create_task(manager.run())
            try:
                await asyncio.wait_for(_running(manager), 30)
                watcher = Watcher(srv, resources)
                await _publish(setup_client, comp, names)
                await asyncio.wait_for(watcher.done.wait(), 600)

                since, passes = len(srv.request_log), reconciler.passes
                await asyncio.wait_for(_passes(reconciler, passes + 2 * resources), 120)
                resync = len(_ours(srv, since)), reconciler.passes - passes

                comp = await setup_client.get(Composition, comp.name, comp.namespace)
                current = comp.status.current_synthesis
                assert current is not None
                previous = [
                    await setup_client.get(ResourceSlice, r.name, "ns0") for r in current.resource_slices
                ]
                new = await _slices(setup_client, comp, outputs("2"), previous)
                watcher = Watcher(srv, resources, set(new))
                since, started = len(srv.request_log), time.monotonic()
                await _publish(setup_client, comp, new, previous=current)
                await asyncio.wait_for(watcher.done.wait(), 600)
                took = watcher.reconciled_at - started
                change = _ours(srv, since)
                writes = [
                    r
                    for r in change
                    if r.resource == "configmaps"
                    and r.verb in ("patch", "update", "create", "delete")
                    and "dryRun" not in r.query
                ]
                return SteadyState(
                    resync[0] / max(resync[1], 1),
                    resync[1],
                    len(writes) / resources,
                    len(change) / resources,
                    took,
                )
            finally:
                manager.stop()
                await asyncio.wait_for(task, 30)


async def _passes(reconciler: Any, target: int) -> None:
    while reconciler.passes < target:  # noqa: ASYNC110  (a benchmark polling a counter)
        await asyncio.sleep(0.05)


async def _slices(
    client: Client,
    comp: Composition,
    outputs: list[dict[str, Any]],
    previous: list[ResourceSlice] | None = None,
) -> list[str]:
    names = []
    for piece in slice_outputs(comp, previous or [], outputs).slices:
        metadata = {k: v for k, v in piece.metadata.items() if k != "finalizers"}
        names.append((await client.create(attrs.evolve(piece, metadata=metadata))).name)
    return names


async def _running(manager: Manager) -> None:
    await manager.leading.wait()
    await manager.cache.wait_for_sync(30)


async def _publish(
    client: Client, comp: Composition, names: list[str], previous: Synthesis | None = None
) -> None:
    synthesis = Synthesis(
        uuid=str(uuid.uuid4()),
        synthesized=now(),
        resource_slices=tuple(ResourceSliceRef(name=n) for n in names),
    )
    fresh = await client.get(Composition, comp.name, comp.namespace)
    status = attrs.evolve(fresh.status, current_synthesis=synthesis, previous_synthesis=previous)
    await client.update_status(attrs.evolve(fresh, status=status))


def report(label: str, runs: list[tuple[tuple[float, float], Timing]], resources: int, target: float) -> None:
    """Medians over the runs. Wall-clock ratios suffer from a shared machine; the CPU ratio (this process
    runs the server, the reconciler and the floor's client alike) is the steadier figure."""
    wall = sorted(t.applied / base[0] for base, t in runs)
    reconciled = sorted(t.reconciled / base[0] for base, t in runs)
    cpu = sorted(t.applied_cpu / base[1] for base, t in runs)
    middle = len(runs) // 2
    floor_wall, timing = sorted(runs, key=lambda run: run[1].applied / run[0][0])[middle]
    total = sum(timing.requests.values())
    print(f"{label} (median of {len(runs)}):")
    print(f"  floor (bare client, one apply each): {floor_wall[0]:.2f}s")
    print(
        f"  applied:    {timing.applied:.2f}s  wall ratio {wall[middle]:.2f}x, "
        f"CPU ratio {cpu[middle]:.2f}x (target <= {target}x)"
    )
    print(f"  reconciled: {timing.reconciled:.2f}s  wall ratio {reconciled[middle]:.2f}x")
    print(
        "  all wall ratios: "
        + ", ".join(f"{r:.2f}x" for r in wall)
        + "; CPU: "
        + ", ".join(f"{r:.2f}x" for r in cpu)
    )
    print(f"  requests per resource: {total / resources:.2f}")
    for verb, count in sorted(timing.requests.items(), key=lambda kv: -kv[1]):
        print(f"    {verb}: {count} ({count / resources:.3f}/resource)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8, help="reconcile workers = floor's concurrency")
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--compositions", type=int, default=100)
    parser.add_argument("--per-composition", type=int, default=10)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per case, floor and reconciler alternating"
    )
    args = parser.parse_args()
    configure_logging(json=False)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))  # errors only
    print(f"concurrency {args.concurrency}")
    cases: list[tuple[str, int, int, float]] = [
        (f"1 composition x {args.resources} ConfigMaps", 1, args.resources, 1.5),
        (
            f"{args.compositions} compositions x {args.per_composition} ConfigMaps",
            args.compositions,
            args.per_composition,
            2.0,
        ),
    ]
    for label, compositions, per, target in cases:
        runs = []
        for _ in range(args.repeat):
            base = await floor(compositions, per, args.concurrency)
            runs.append((base, await first_reconcile(compositions, per, args.concurrency)))
        report(label, runs, compositions * per, target)
    steady = await steady_state(args.resources, args.concurrency)
    print(f"steady state, 1 composition x {args.resources} ConfigMaps with a 1 s reconcile interval:")
    print(
        f"  resync: {steady.resync_requests_per_pass:.3f} requests per resource pass "
        f"({steady.resync_passes} passes; Eno: 2)"
    )
    print(
        f"  a change to every ConfigMap: {steady.change_writes_per_resource:.2f} writes and "
        f"{steady.change_requests_per_resource:.2f} requests per resource, {steady.change_seconds:.2f}s"
    )


if __name__ == "__main__":
    asyncio.run(main())
