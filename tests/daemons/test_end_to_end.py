"""Both daemons as real subprocesses (the console scripts) run getting-started against the embedded API
server: synthesized, reconciled, resynthesized when the input changes, cleaned up on deletion; and every
request they sent is allowed by the shipped RBAC."""

from __future__ import annotations

from typing import Any

from eno.api.v1 import Composition
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.gvk import GVK
from tests.daemons.conftest import Daemons, apply, getting_started
from tests.eventually import eventually
from tests.manifests.rbac import Request, allowed, manifest_objects, rules_for

DEPLOYMENT = GVK("apps", "v1", "Deployment")
CONFIGMAP = GVK("", "v1", "ConfigMap")
WILDCARD_ROLES = ("eno-controller-inputs", "eno-reconciler-managed-resources")
OWN_GROUPS = ("eno.azure.io", "coordination.k8s.io")
OWN_CORE = ("namespaces", "events", "pods", "pods/attach", "pods/log")


async def ready_composition(client: Client, name: str = "getting-started") -> Composition:
    async def check() -> Composition | None:
        comp = await client.get(Composition, name, "default")
        simplified = comp.status.simplified
        return comp if simplified is not None and simplified.status == "Ready" else None

    comp: Composition | None = await eventually(check, timeout=60, interval=0.1, message=f"{name} Ready")
    assert comp is not None
    return comp


async def deployment_replicas(client: Client, replicas: int) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        try:
            deployment = await client.get(DEPLOYMENT, "hello", "default")
        except NotFound:
            return None
        return deployment if deployment["spec"]["replicas"] == replicas else None

    deployment: dict[str, Any] | None = await eventually(
        check, timeout=60, interval=0.1, message=f"deployment with {replicas} replicas"
    )
    assert deployment is not None
    return deployment


async def test_getting_started_with_both_daemons(
    cluster: ApiServer, client: Client, daemons: Daemons
) -> None:
    controller = await daemons.start("eno-controller")
    reconciler = await daemons.start("eno-reconciler", ["--readiness-poll-interval=1s"])

    await apply(client, getting_started())
    first = await ready_composition(client)
    await deployment_replicas(client, 2)

    # Change the input: Eno resynthesizes and the new Deployment is reconciled.
    await client.patch(CONFIGMAP, "getting-started-config", "default", {"data": {"replicas": "3"}})
    await deployment_replicas(client, 3)
    second = await ready_composition(client)
    assert first.status.current_synthesis is not None and second.status.current_synthesis is not None
    assert second.status.current_synthesis.uuid != first.status.current_synthesis.uuid

    assert await controller.metric("eno_syntheses_total") >= 2
    assert await reconciler.metric("eno_reconciliation_actions_total") >= 2
    assert await controller.metric("leader_election_master_status", name="controller") == 1

    # Delete the composition: its resources go, then the composition itself.
    await client.delete(Composition, "getting-started", "default")

    async def gone() -> bool:
        for kind, name in ((DEPLOYMENT, "hello"), (Composition, "getting-started")):
            try:
                await client.get(kind, name, "default")
                return False
            except NotFound:
                pass
        return True

    await eventually(gone, timeout=60, interval=0.1, message="deployment and composition deleted")

    # Logs: JSON lines with Eno's field names.
    for daemon in (controller, reconciler):
        lines = daemon.log_lines()
        assert all({"level", "ts", "msg"} <= set(line) for line in lines)
    assert any(line["msg"] == "reconciler configuration" for line in reconciler.log_lines())
    assert any(line.get("compositionName") == "getting-started" for line in controller.log_lines())

    # Every request each daemon sent is allowed by its RBAC in manifests/.
    objects = manifest_objects()
    for daemon in (controller, reconciler):
        rules = rules_for(daemon.name, objects)
        used = {
            Request(
                r.verb,
                r.group,
                f"{r.resource}/{r.subresource}" if r.subresource else r.resource,
                r.namespace,
            )
            for r in cluster.request_log
            if r.user_agent == daemon.name and r.resource
        }
        assert used, f"no requests from {daemon.name}"
        missing = sorted(str(u) for u in used if not allowed(rules, u))
        assert not missing, f"{daemon.name}'s RBAC does not cover: {missing}"
        # Eno's own kinds, leases, namespaces and pods need no wildcard role (those are for users to narrow).
        narrow = rules_for(daemon.name, objects, exclude=WILDCARD_ROLES)
        own = [u for u in used if u.group in OWN_GROUPS or u.resource in OWN_CORE]
        assert own
        missing = sorted(str(u) for u in own if not allowed(narrow, u))
        assert not missing, f"{daemon.name}'s own roles do not cover: {missing}"
