"""The synthesis pod garbage collector: each of Eno's deletion reasons, with its metric label."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from eno.api.v1 import Composition
from eno.api.v1 import constants as c
from eno.api.v1.times import format_time
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.synthesis.attach import POD
from tests.synthesis.conftest import options, running, until

IMAGE = "example.com/synth:1"


def minutes_ago(n: int) -> str:
    return format_time(datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=n))


def synthesis(uid: str, **extra: Any) -> dict[str, Any]:
    return {"uuid": uid, "initialized": minutes_ago(1), **extra}


# (composition status or None for no composition, synthesizer exists, pod image, pod status, result)
CASES = [
    pytest.param({"currentSynthesis": synthesis("u")}, True, IMAGE, None, "success", id="success"),
    pytest.param(
        {"inFlightSynthesis": synthesis("u", canceled=minutes_ago(0))},
        True,
        IMAGE,
        None,
        "timeout",
        id="timeout",
    ),
    pytest.param({"inFlightSynthesis": synthesis("v")}, True, IMAGE, None, "superseded", id="superseded"),
    pytest.param({"currentSynthesis": synthesis("v")}, True, IMAGE, None, "orphaned", id="orphaned"),
    pytest.param(
        {"inFlightSynthesis": synthesis("u")}, True, "old:0", None, "image_changed", id="image-changed"
    ),
    pytest.param(None, True, IMAGE, None, "composition_deleted", id="composition-deleted"),
    pytest.param({}, False, IMAGE, None, "synthesizer_deleted", id="synthesizer-deleted"),
    pytest.param(
        {"inFlightSynthesis": synthesis("u")},
        True,
        IMAGE,
        {
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": minutes_ago(1)}],
        },
        "kubelet_timeout",
        id="kubelet-timeout",
    ),
]


@pytest.mark.parametrize(("status", "synth_exists", "image", "pod_status", "result"), CASES)
async def make_pod(client: Client, image: str, pod_status: dict[str, Any] | None = None) -> None:
    await client.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "synthesis-x",
                "namespace": "default",
                "labels": {
                    c.LABEL_COMPOSITION_NAME: "comp",
                    c.LABEL_COMPOSITION_NAMESPACE: "default",
                    c.LABEL_SYNTHESIS_UUID: "u",
                    c.LABEL_SYNTHESIZER_NAME: "s",
                    c.MANAGED_BY_LABEL: c.MANAGED_BY_VALUE,
                },
            },
            "spec": {"containers": [{"name": "executor", "image": image}]},
        }
    )
    if pod_status is not None:
        await client.patch(
            POD, "synthesis-x", "default", {"status": pod_status}, patch_type="merge", subresource="status"
        )


async def make_objects(client: Client, status: dict[str, Any] | None, synth_exists: bool) -> None:
    if synth_exists:
        await client.create(
            {
                "apiVersion": c.API_VERSION,
                "kind": "Synthesizer",
                "metadata": {"name": "s"},
                "spec": {"image": IMAGE},
            }
        )
    if status is None:
        return
    # No finalizer: the lifecycle controller leaves it alone; the collector does not care.
    await client.create(
        {
            "apiVersion": c.API_VERSION,
            "kind": "Composition",
            "metadata": {"name": "comp", "namespace": "default"},
            "spec": {"synthesizer": {"name": "s"}},
        }
    )
    if status:
        await client.patch(
            Composition, "comp", "default", {"status": status}, patch_type="merge", subresource="status"
        )


@pytest.mark.parametrize(("status", "synth_exists", "image", "pod_status", "result"), CASES)
async def test_gc_reason(
    bare_server: ApiServer,
    status: dict[str, Any] | None,
    synth_exists: bool,
    image: str,
    pod_status: dict[str, Any] | None,
    result: str,
) -> None:
    async with await Client.from_url(bare_server.url, qps=0) as client:
        await make_objects(client, status, synth_exists)
        await make_pod(client, image, pod_status)
        async with running(bare_server.url, options()) as manager:

            async def gone() -> bool:
                try:
                    await client.get(POD, "synthesis-x", "default")
                except NotFound:
                    return True
                return False

            await until(gone, message=f"pod deleted as {result}")
            labels = {"synthesizer": "s", "result": result}
            assert manager.registry.get_sample_value("eno_synthesis_result_total", labels) == 1.0


async def test_gc_leaves_an_active_synthesis_pod(bare_server: ApiServer) -> None:
    async with await Client.from_url(bare_server.url, qps=0) as client:
        await make_objects(client, {"inFlightSynthesis": synthesis("u")}, True)
        await make_pod(client, IMAGE)
        async with running(bare_server.url, options()) as manager:
            labels = {"controller": "synthesis-pod-gc", "result": "requeue_after"}

            async def looked_twice() -> bool:
                return (
                    manager.registry.get_sample_value("controller_runtime_reconcile_total", labels) or 0
                ) >= 2

            await until(looked_twice, message="the collector looked at the pod twice")
        await client.get(POD, "synthesis-x", "default")
