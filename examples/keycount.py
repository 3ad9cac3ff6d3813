"""A complete custom controller on eno.runtime: annotate every ConfigMap with how many keys it holds.

Copy this file to start your own. Run it against any cluster (or `make run`'s embedded server):

    python -m examples.keycount --kubeconfig .eno/kubeconfig

The shape is controller-runtime's: the reconciler reads the object from the manager's cache, computes
the desired state, writes only the difference through the client, and returns a Result. It never starts
watches or sleeps; the manager owns tasks, caches, probes (:8081), metrics (:8080) and SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio

import structlog
from prometheus_client import CollectorRegistry

from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.controller import Controller
from eno.runtime.errors import NotFound
from eno.runtime.gvk import GVK
from eno.runtime.leaderelection import LeaderElectionConfig
from eno.runtime.logging import configure_logging
from eno.runtime.manager import Manager
from eno.runtime.predicates import ResourceVersionChanged
from eno.runtime.reconcile import Request, Result

CONFIGMAP = GVK("", "v1", "ConfigMap")
ANNOTATION = "example.com/keys"


class KeyCounter:
    def __init__(self, cache: Cache, client: Client) -> None:
        self.cache = cache
        self.client = client

    async def reconcile(self, request: Request) -> Result:
        log = structlog.get_logger().bind(configMapName=request.name, configMapNamespace=request.namespace)
        try:
            cm = await self.cache.get(CONFIGMAP, request.name, request.namespace)
        except NotFound:
            return Result()  # deleted: nothing to do
        keys = str(len(cm.get("data") or {}) + len(cm.get("binaryData") or {}))
        if (cm["metadata"].get("annotations") or {}).get(ANNOTATION) == keys:
            return Result()
        # A merge patch writes only our annotation; a Conflict or any error is retried with backoff.
        await self.client.patch(
            CONFIGMAP,
            request.name,
            request.namespace,
            {"metadata": {"annotations": {ANNOTATION: keys}}},
            patch_type="merge",
        )
        log.info("keys_annotated", keys=keys)
        return Result()


def add_to_manager(manager: Manager) -> Controller:
    return (
        manager.builder()
        .named("keycount", log_name="keyCountController")
        .for_(CONFIGMAP, ResourceVersionChanged)  # skip resync no-ops
        .with_options(max_concurrent_reconciles=4)
        .complete(KeyCounter(manager.cache, manager.client))
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", default=None)
    parser.add_argument("--health-probe-addr", default=":8081")
    parser.add_argument("--metrics-addr", default=":8080")
    parser.add_argument("--leader-election-id", default="", help="enables leader election when set")
    parser.add_argument("--leader-election-namespace", default="default")
    args = parser.parse_args()
    configure_logging(json=False)
    # One registry for the manager's and the client's metrics (rest_client_requests_total) on /metrics.
    registry = CollectorRegistry()
    client = (
        await Client.from_kubeconfig(args.kubeconfig, registry=registry)
        if args.kubeconfig
        else await Client.from_default_config(registry=registry)
    )
    election = (
        LeaderElectionConfig(name=args.leader_election_id, namespace=args.leader_election_namespace)
        if args.leader_election_id
        else None
    )
    async with client:
        manager = Manager(
            client,
            registry=registry,
            health_probe_address=args.health_probe_addr,
            metrics_address=args.metrics_addr,
            leader_election=election,
            handle_signals=True,
        )
        add_to_manager(manager)
        await manager.run()


if __name__ == "__main__":
    asyncio.run(main())
