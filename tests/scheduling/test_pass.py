"""One scheduling pass against a scripted cache and client: what is dispatched, what waits and why
(synthesis.md §6), without a server."""

from __future__ import annotations

from typing import Any, cast

import structlog
import structlog.testing
from prometheus_client import CollectorRegistry

from controllers.scheduling import Options, SchedulingReconciler
from eno.api.v1 import Composition, Synthesizer
from eno.api.v1 import constants as c
from eno.runtime.cache import Cache
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.frozen import freeze
from eno.runtime.gvk import GVK
from eno.runtime.reconcile import Request, Result
from eno.scheduling.metrics import scheduling_metrics
from tests.scheduling.objects import T0, comp, synth, synthesis

PASS = Request("", "scheduler")
RECENT = "2999-01-01T00:00:00Z"  # a deferred synthesis "initialized" in the future: the cooldown is not over


class FakeCache:
    def __init__(self, synths: list[Synthesizer], comps: list[Composition]) -> None:
        self.synths = synths
        self.comps = comps

    async def list(self, kind: Any, namespace: str | None = None, label_selector: str | None = None) -> Any:
        if kind is Synthesizer:
            return list(self.synths)
        assert isinstance(kind, GVK) and kind.kind == "Composition"
        return [freeze(x.to_dict()) for x in self.comps]

    async def get(self, kind: Any, name: str, namespace: str | None = None) -> Any:
        for x in self.comps:
            if x.name == name:
                return x
        raise NotFound(404, "NotFound", name)


class FakeClient:
    def __init__(self) -> None:
        self.patches: list[tuple[str, str, Any, str | None]] = []

    async def patch(self, kind: Any, name: str, namespace: str | None, patch: Any, **kw: Any) -> Any:
        self.patches.append((name, kw["patch_type"], patch, kw.get("subresource")))
        return {}


async def run_pass(
    comps: list[Composition], synths: list[Synthesizer] | None = None, **options: Any
) -> tuple[Result, FakeClient, CollectorRegistry]:
    client, registry = FakeClient(), CollectorRegistry()
    reconciler = SchedulingReconciler(
        cast(Cache, FakeCache(synths or [synth()], comps)),
        cast(Client, client),
        Options(**options),
        scheduling_metrics(registry),
    )
    return await reconciler.reconcile(PASS), client, registry


def dispatched(client: FakeClient) -> list[str]:
    return [name for name, kind, _, sub in client.patches if kind == "json" and sub == "status"]


async def test_one_dispatch_per_pass_highest_priority_first() -> None:
    comps = [
        comp("b", uid="2", current=synthesis(), generation=2),  # CompositionModified
        comp("a", uid="1"),  # InitialSynthesis
    ]
    with structlog.testing.capture_logs() as logs:
        result, client, registry = await run_pass(comps)
    assert dispatched(client) == ["a"] and result == Result()
    assert registry.get_sample_value("eno_free_synthesis_slots") == 10
    (line,) = [entry for entry in logs if entry["event"] == "dispatched_synthesis"]
    assert (line["compositionName"], line["reason"], line["deferred"]) == ("a", "InitialSynthesis", False)
    assert line["synthesisUUID"] == client.patches[0][2][-1]["value"]["uuid"]


async def test_at_the_limit_nothing_is_dispatched_not_even_a_preemption() -> None:
    busy = synthesis(uuid="u2", synthesized=None)
    comps = [
        comp("a", uid="1", current=synthesis(), in_flight=busy, generation=2),  # would preempt
        comp("b", uid="2"),
    ]
    result, client, registry = await run_pass(comps, concurrency_limit=1)
    assert dispatched(client) == [] and result == Result()
    assert registry.get_sample_value("eno_free_synthesis_slots") == 0


async def test_a_waiting_deferred_op_holds_the_line() -> None:
    comps = [
        comp("a", uid="1", current=synthesis()),  # SynthesizerModified: waits for the cooldown
        comp(
            "other",
            uid="2",
            current=synthesis(synth_generation=2, deferred=True, initialized=RECENT),  # just rolled out
        ),
        comp(
            "c",
            uid="3",
            in_flight=synthesis(uuid="x", synth_generation=2, synthesized=None, canceled=T0),
            current=synthesis(synth_generation=2),
        ),
    ]
    result, client, _ = await run_pass(comps, [synth(generation=2)])
    assert dispatched(client) == []  # not even the retry, due since T0 but of lower priority
    assert result.requeue_after is not None and result.requeue_after > 0
    _, client, _ = await run_pass(comps[1:], [synth(generation=2)])
    assert dispatched(client) == ["c"]  # without the rollout ahead of it, the retry goes


async def test_a_rollout_marks_the_epoch_before_dispatching() -> None:
    comps = [comp("a", uid="1", current=synthesis())]
    _, client, _ = await run_pass(comps, [synth(generation=2)])
    (name, kind, patch, sub), *rest = client.patches
    assert (name, kind, sub, rest) == ("a", "merge", None, [])
    epoch = patch["metadata"]["annotations"][c.ANNOTATION_GLOBAL_SYNTHESIZER_EPOCH]
    marked = comp(
        "a", uid="1", current=synthesis(), annotations={c.ANNOTATION_GLOBAL_SYNTHESIZER_EPOCH: epoch}
    )
    _, client, _ = await run_pass([marked], [synth(generation=2)])
    assert dispatched(client) == ["a"]
    body = client.patches[0][2][-1]["value"]
    assert body["deferred"] is True and body["attempts"] == 1


async def test_cycles_and_unready_dependencies_are_reported_not_dispatched() -> None:
    deps = [{"name": "y", "namespace": "default"}]
    comps = [
        comp("x", uid="1", depends_on=deps),
        comp("y", uid="2", depends_on=[{"name": "x", "namespace": "default"}]),
        comp("app", uid="3", depends_on=[{"name": "base", "namespace": "default"}]),
        comp("base", uid="4", current=synthesis()),  # synthesized, not ready
    ]
    _, client, _ = await run_pass(comps)
    statuses = {
        name: p["status"]["dependencyStatus"] for name, kind, p, _ in client.patches if kind == "merge"
    }
    assert statuses["x"]["reason"] == statuses["y"]["reason"] == c.REASON_CIRCULAR_DEPENDENCY
    assert statuses["app"] == {
        "blocked": True,
        "reason": c.REASON_WAITING_ON_DEPENDENCIES,
        "blockedBy": [{"name": "base", "namespace": "default", "reason": c.REASON_DEPENDENCY_NOT_READY}],
    }
    assert dispatched(client) == []
