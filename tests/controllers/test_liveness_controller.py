"""Namespace liveness: Eno objects stranded by a force-finalized namespace get it back long enough to go."""

from __future__ import annotations

from typing import Any

import pytest

from controllers import liveness
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.errors import ApiError, NotFound
from eno.runtime.gvk import GVK
from eno.runtime.manager import Manager
from tests.controllers.conftest import running, until
from tests.controllers.objects import V1

NAMESPACE = GVK("", "v1", "Namespace")
OPTIONS = liveness.Options(checks=2, creation_grace_period=0.1)


def setup(manager: Manager) -> Any:
    return liveness.setup(manager, OPTIONS)


def stranded(kind: str, ns: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "Symphony": {},
        "Composition": {"synthesizer": {"name": "s"}},
        "ResourceSlice": {},
    }[kind]
    return {
        "apiVersion": V1,
        "kind": kind,
        "metadata": {"name": "orphan", "namespace": ns, "finalizers": ["eno.azure.io/cleanup"]},
        "spec": spec,
    }


@pytest.mark.parametrize("kind", ["Symphony", "Composition", "ResourceSlice"])
async def test_force_finalized_namespace_comes_back_for_cleanup(
    eno_server: ApiServer, client: Client, kind: str
) -> None:
    ns = f"doomed-{kind.lower()}"
    gvk = GVK("eno.azure.io", "v1", kind)
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    await client.create(stranded(kind, ns))
    await client.delete(NAMESPACE, ns)
    # Someone force-finalizes the namespace while the object's finalizer still holds it.
    body = dict(await client.get(NAMESPACE, ns))
    body["spec"] = {"finalizers": []}
    await client.request("PUT", f"/api/v1/namespaces/{ns}/finalize", body=body)

    async def ns_gone() -> bool:
        try:
            await client.get(NAMESPACE, ns)
        except NotFound:
            return True
        return False

    await until(ns_gone)
    assert (await client.get(gvk, "orphan", ns))["metadata"]["finalizers"] == ["eno.azure.io/cleanup"]

    async with running(eno_server.url, setup):

        async def recreated_and_terminating() -> bool:
            try:
                got = await client.get(NAMESPACE, ns)
            except NotFound:
                return False
            meta = got["metadata"]
            assert meta["annotations"]["eno.azure.io/recreation-reason"] == "OrphanedResources"
            return bool(meta.get("deletionTimestamp"))

        await until(recreated_and_terminating)

        # The owner's controller can now remove its finalizer: the object goes, then the namespace.
        async def released() -> bool:
            try:
                await client.patch(
                    gvk, "orphan", ns, [{"op": "remove", "path": "/metadata/finalizers"}], "json"
                )
            except NotFound:
                return True
            except ApiError:
                return False
            return False

        await until(released)
        await until(ns_gone)


async def test_namespace_cleanup_flag_off_registers_nothing(eno_server: ApiServer) -> None:
    async with await Client.from_url(eno_server.url, qps=0) as c:
        manager = Manager(c, health_probe_address=None, metrics_address=None)
        assert liveness.setup(manager, liveness.Options(namespace_cleanup=False)) is None
        assert manager.controllers == []
        assert liveness.setup(manager) is not None
