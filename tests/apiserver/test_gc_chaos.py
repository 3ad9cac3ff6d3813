"""Chaos: random ownership forests deleted with random policies while clients race and faults fire.

Through HTTP only: create ConfigMaps owned by earlier ones (some blocking), delete a random subset with
random propagation policies, concurrently, with injected 500s/429s that the client retries. When the
collector is idle, every object left must have an existing owner (or have had none, or have been orphaned),
nothing may stay marked for deletion, and no reference may dangle. A short run is part of the suite; the
long one is `@pytest.mark.soak`.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from eno.apiserver.server import ApiServer
from tests.eventually import eventually

NS = "default"
POLICIES = ["Background", "Foreground", "Orphan", None]


async def retrying(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Retry what the fault injector fails (500/429); a 404 means someone else got there first."""
    for _ in range(50):
        try:
            return await call(*args, **kwargs)
        except ApiException as err:
            if err.status == 404:
                return None
            if err.status not in (429, 500):
                raise
    raise AssertionError("too many injected failures")


async def chaos(apiserver: ApiServer, kube: Any, n: int, seed: int) -> None:
    rng = random.Random(seed)
    core = client.CoreV1Api(kube)
    owners: dict[int, list[int]] = {}
    uids: dict[int, str] = {}
    for i in range(n):
        picked = sorted(rng.sample(range(i), k=min(i, rng.choice([0, 1, 1, 2]))))
        owners[i] = picked
        refs = [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "name": f"o{o}",
                "uid": uids[o],
                "blockOwnerDeletion": rng.random() < 0.5,
            }
            for o in picked
        ]
        body: Any = {"metadata": {"name": f"o{i}", "ownerReferences": refs}}
        if rng.random() < 0.1:
            body["metadata"]["finalizers"] = ["example.com/hold"]
        created = await core.create_namespaced_config_map(NS, body)
        uids[i] = created.metadata.uid

    failures = [
        apiserver.faults.add(verb="delete", status=500, times=n // 5),
        apiserver.faults.add(verb="delete", status=429, retry_after=1, times=n // 5),
    ]
    doomed = rng.sample(range(n), k=n // 2)
    orphaned: set[int] = set()
    deletions = []
    for i in doomed:
        policy = rng.choice(POLICIES)
        if policy == "Orphan":
            orphaned.update(d for d, os in owners.items() if i in os)
        options = client.V1DeleteOptions(propagation_policy=policy) if policy else None
        deletions.append(retrying(core.delete_namespaced_config_map, f"o{i}", NS, body=options))
    await asyncio.gather(*deletions)
    assert all(f.exhausted for f in failures)

    # Release the finalizers a controller of ours would remove, so deletion can complete.
    for i in range(n):
        cm = await retrying(core.read_namespaced_config_map, f"o{i}", NS)
        if cm is not None and cm.metadata.finalizers and "example.com/hold" in cm.metadata.finalizers:
            rest = [f for f in cm.metadata.finalizers if f != "example.com/hold"]
            await retrying(
                core.patch_namespaced_config_map,
                f"o{i}",
                NS,
                [{"op": "replace", "path": "/metadata/finalizers", "value": rest}],
            )

    assert apiserver.gc is not None
    gc = apiserver.gc
    await eventually(lambda: gc.idle, timeout=30)

    async def settled() -> bool:
        items = (await core.list_namespaced_config_map(NS)).items
        left = {int(cm.metadata.name[1:]): cm for cm in items if cm.metadata.name.startswith("o")}
        live_uids = {cm.metadata.uid for cm in left.values()}
        for i, cm in left.items():
            assert cm.metadata.deletion_timestamp is None, f"o{i} stuck: {cm.metadata.finalizers}"
            refs = cm.metadata.owner_references or []
            assert all(r.uid in live_uids for r in refs), f"o{i} keeps a dangling reference"
            if owners[i] and i not in orphaned:
                assert refs, f"o{i} lost its owners but was not collected"
        return True

    await eventually(settled, timeout=30)


async def test_gc_chaos_short(apiserver: ApiServer, kube: Any) -> None:
    await chaos(apiserver, kube, n=40, seed=7)


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(5))
async def test_gc_chaos_soak(apiserver: ApiServer, kube: Any, seed: int) -> None:
    await chaos(apiserver, kube, n=400, seed=seed)
