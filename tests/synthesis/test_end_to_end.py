"""Synthesis with the controllers around it: the scheduler dispatches, the lifecycle controller runs the
pod, the composition controller shows the outcome and cancels a failed synthesis at --pod-timeout."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from controllers import composition, scheduling, synthesis
from eno.api.v1 import Composition
from eno.apiserver.server import ApiServer
from eno.runtime.cache import Cache, InformerOptions
from eno.runtime.client import Client
from eno.runtime.gvk import GVK, KubeObject
from eno.runtime.manager import Manager
from tests.synthesis.conftest import GOOD_SH_TEMPLATE, make_synthesizer, options, script, set_command, until

PY = sys.executable


@asynccontextmanager
async def eno_controller(url: str, pod_timeout: float) -> AsyncIterator[Manager]:
    opts = options(pod_timeout=pod_timeout)
    comp_opts = composition.Options(pod_timeout=pod_timeout, synthesizer_pod_namespace="default")
    async with await Client.from_url(url, qps=0) as client:
        by_kind: dict[GVK | type[KubeObject], InformerOptions] = dict(synthesis.cache_options(opts))
        for kind, scoped in composition.cache_options(comp_opts).items():
            by_kind[kind] = scoped
        cache = Cache(client, by_kind=by_kind, informer_settings={"backoff_base": 0.05, "backoff_cap": 0.5})
        manager = Manager(
            client, cache=cache, health_probe_address=None, metrics_address=None, graceful_shutdown_timeout=5
        )
        composition.setup(manager, comp_opts)
        scheduling.setup(manager, scheduling.Options(rollout_cooldown=0.0))
        synthesis.setup(manager, opts)
        task = asyncio.create_task(manager.run())
        await asyncio.wait_for(manager.leading.wait(), 10)
        try:
            yield manager
        finally:
            manager.stop()
            await asyncio.wait_for(task, 10)


async def simplified(client: Client) -> tuple[str, str, Composition]:
    comp = await client.get(Composition, "comp", "default")
    s = comp.status.simplified
    return (s.status if s else "", s.error if s else "", comp)


async def test_create_synthesize_then_a_bad_rollout_backs_off(
    server: ApiServer, client: Client, tmp_path: Path
) -> None:
    await make_synthesizer(
        client, "synth", ["/bin/sh", script(tmp_path, "good.sh", GOOD_SH_TEMPLATE % "good")]
    )
    await client.create(
        {
            "apiVersion": "eno.azure.io/v1",
            "kind": "Composition",
            "metadata": {"name": "comp", "namespace": "default"},
            "spec": {"synthesizer": {"name": "synth"}},
        }
    )
    async with eno_controller(server.url, pod_timeout=3.0):

        async def synthesized() -> Composition | None:
            comp = await client.get(Composition, "comp", "default")
            current = comp.status.current_synthesis
            return comp if current is not None and current.synthesized else None

        first = await until(synthesized, message="the first synthesis")
        assert first is not None and first.status.current_synthesis is not None
        good = first.status.current_synthesis.uuid
        await set_command(client, "synth", [PY, "-c", "print('{not json')"])

        async def backing_off() -> tuple[str, str, Composition] | None:
            status, error, comp = await simplified(client)
            return (status, error, comp) if status == "SynthesisBackoff" else None

        result = await until(backing_off, timeout=30, message="SynthesisBackoff")
    assert result is not None
    _, error, comp = result
    assert error == "Synthesizer error: the synthesizer process wrote invalid json to stdout"
    assert comp.status.current_synthesis is not None and comp.status.current_synthesis.uuid == good
