"""Synthesis pods: create one per in-flight synthesis, run the KRM exchange, collect it, delete the pod
(spec synthesis.md §8-§11; the design is docs/decisions/1000-synthesis-pod.md).

Two controllers:
- the lifecycle controller (per composition) creates the pod for the in-flight synthesis; once the pod
  runs it attaches, sends the input ResourceList, reads the output, and writes slices and the status swap
  (the executor's work, done here rather than in the pod: the pod needs no API access and no token);
- the pod garbage collector (per pod) deletes pods whose synthesis is over, with Eno's result reasons.

A bad output never deletes anything: every failure is recorded as an error result on the in-flight
synthesis (an Event too), and the current synthesis and its slices stay as they were.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
import structlog

from controllers.events import WARNING, EventRecorder
from eno.api.v1 import Composition, Synthesizer, common
from eno.api.v1 import constants as c
from eno.api.v1.predicates import synthesis_failed
from eno.api.v1.times import parse_time
from eno.cel.engine import Engine, default_engine
from eno.resource.slicing import MAX_SLICE_BYTES
from eno.runtime.cache import Cache, InformerOptions
from eno.runtime.client import Client
from eno.runtime.controller import Controller
from eno.runtime.errors import ApiError, Conflict, NotFound
from eno.runtime.gvk import GVK, KubeObject
from eno.runtime.handler import EnqueueRequestsFromMapFunc
from eno.runtime.manager import Manager
from eno.runtime.predicates import Funcs, new_predicate_funcs
from eno.runtime.reconcile import Request, Result
from eno.synthesis import attach, executor, metrics, output
from eno.synthesis.inputs import InputError, read_inputs
from eno.synthesis.pod import CONTAINER_NAME, PodOptions, pod_for

POD: Final = GVK("", "v1", "Pod")
NAMESPACE: Final = GVK("", "v1", "Namespace")
LIFECYCLE_NAME: Final = "synthesisPodLifecycle"
GC_NAME: Final = "synthesisPodGC"
DEFAULT_MAX_OUTPUT: Final = 50 * 1024 * 1024
_REMEMBERED: Final = 4096
_MIN_POD_AGE: Final = 1.0

log = structlog.get_logger(__name__)


@attrs.frozen
class Options:
    pod: PodOptions
    pod_timeout: float = 30.0  # --pod-timeout: from `initialized`, the whole synthesis must be done
    container_creation_ttl: float = 3.0  # --container-creation-ttl
    max_synthesis_output: int = DEFAULT_MAX_OUTPUT  # --max-synthesis-output, bytes of stdout
    max_slice_bytes: int = MAX_SLICE_BYTES


class _Remembered:
    """A bounded set of pod uids (oldest forgotten first)."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, None] = OrderedDict()

    def add(self, key: str) -> None:
        self._items[key] = None
        while len(self._items) > _REMEMBERED:
            self._items.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._items


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    labels = _meta(obj).get("labels")
    return labels if isinstance(labels, Mapping) else {}


def _container_status(pod: Mapping[str, Any]) -> Mapping[str, Any]:
    for status in (pod.get("status") or {}).get("containerStatuses") or ():
        if status.get("name") == CONTAINER_NAME:
            found: Mapping[str, Any] = status
            return found
    return {}


def _container_image(pod: Mapping[str, Any]) -> str:
    for container in (pod.get("spec") or {}).get("containers") or ():
        if container.get("name") == CONTAINER_NAME:
            return str(container.get("image") or "")
    return ""


def _age(timestamp: str | None) -> float:
    if not timestamp:
        return 0.0
    try:
        return time.time() - parse_time(timestamp).timestamp()
    except ValueError:
        return 0.0


def _composition_of(pod: Mapping[str, Any]) -> Iterable[Request]:
    labels = _labels(pod)
    name, namespace = labels.get(c.LABEL_COMPOSITION_NAME), labels.get(c.LABEL_COMPOSITION_NAMESPACE)
    return [Request(namespace, name)] if name and namespace else []


def _in_pod_namespace(options: Options) -> Callable[[Any], bool]:
    def keep(pod: Any) -> bool:
        return (
            _meta(pod).get("namespace") == options.pod.namespace
            and _labels(pod).get(c.MANAGED_BY_LABEL) == c.MANAGED_BY_VALUE
        )

    return keep


def _synthesis_pod(options: Options) -> Funcs:
    keep = _in_pod_namespace(options)
    return Funcs(
        on_create=lambda _pod: False,  # the lifecycle controller made it, and knows
        on_update=lambda _old, new: keep(new),
        on_delete=keep,
        on_generic=keep,
    )


async def _namespace_gone(cache: Cache, namespace: str) -> bool:
    """Missing or terminating, as the (cached) namespace says."""
    try:
        ns = await cache.get(NAMESPACE, namespace)
    except NotFound:
        return True
    return bool(_meta(ns).get("deletionTimestamp")) or (ns.get("status") or {}).get("phase") == "Terminating"


class LifecycleReconciler:
    def __init__(
        self,
        cache: Cache,
        client: Client,
        events: EventRecorder,
        options: Options,
        synthesis_metrics: metrics.SynthesisMetrics,
        engine: Engine,
    ) -> None:
        self.cache = cache
        self.client = client
        self.events = events
        self.options = options
        self.metrics = synthesis_metrics
        self.engine = engine
        self._created = _Remembered()  # pods this process created: only these are attached to
        self._attached = _Remembered()  # pods whose exchange ran (or ran out): never attached twice

    async def reconcile(self, request: Request) -> Result:
        try:
            comp = await self.cache.get(Composition, request.name, request.namespace)
        except NotFound:
            return Result()
        in_flight = comp.status.in_flight_synthesis
        if comp.deleting or c.FINALIZER_CLEANUP not in comp.finalizers:
            return Result()
        if in_flight is None or in_flight.canceled is not None:
            return Result()
        if synthesis_failed(in_flight):
            # Failed once: no new pod for this UUID. The composition controller cancels it at --pod-timeout
            # and the scheduler retries with a new one (Eno's pod restarts until then, to the same effect).
            return Result()
        bound = log.bind(
            controller=LIFECYCLE_NAME,
            compositionName=comp.name,
            compositionNamespace=comp.namespace,
            compositionGeneration=comp.generation,
            synthesisUUID=in_flight.uuid,
            synthesizerName=comp.spec.synthesizer.name,
        )
        if await _namespace_gone(self.cache, comp.namespace):
            return Result()
        try:
            synth = await self.cache.get(Synthesizer, comp.spec.synthesizer.name)
        except NotFound:
            return Result()
        namespace = self.options.pod.namespace
        pods = await self.client.list(
            POD, namespace=namespace, label_selector=f"{c.LABEL_SYNTHESIS_UUID}={in_flight.uuid}"
        )
        live = [p for p in pods.items if not _meta(p).get("deletionTimestamp")]
        if not live:
            created = await self.client.create(pod_for(comp, synth, in_flight.uuid, self.options.pod))
            self._created.add(str(_meta(created).get("uid")))
            self.metrics.syntheses.inc()
            if in_flight.initialized:
                self.metrics.wait.observe(max(0.0, _age(in_flight.initialized)))
            bound.info("synthesis_pod_created", podName=_meta(created).get("name"), podNamespace=namespace)
            return Result()
        pod = live[0]
        uid = str(_meta(pod).get("uid"))
        bound = bound.bind(podName=_meta(pod).get("name"), podNamespace=namespace)
        if uid in self._attached:
            return Result()
        if uid not in self._created:
            # Another process made it (or this one, before a restart): its stdin may already be spent.
            await self._delete_pod(pod)
            bound.info("replaced_unattended_synthesis_pod")
            return Result(requeue=True)  # its deletion event would do too; do not depend on its labels
        state = _container_status(pod).get("state") or {}
        attempt = executor.Attempt(comp, synth, in_flight.uuid, _container_image(pod))
        if "terminated" in state:
            self._attached.add(uid)
            code = int(state["terminated"].get("exitCode") or 0)
            detail = state["terminated"].get("message") or output.exit_error(code)
            await self._fail(
                attempt, f"the synthesis pod ended before its output was collected: {detail}", bound
            )
            return Result()
        if "running" not in state:
            return Result()  # the pod's next update brings us back
        self._attached.add(uid)
        try:
            await self._synthesize(attempt, pod, bound)
        except ApiError as err:
            # The run is over and cannot be repeated (stdin is spent): say so on the synthesis if we can.
            await self._fail(attempt, f"Synthesizer error: {err}", bound)
        return Result()

    async def _delete_pod(self, pod: Mapping[str, Any]) -> None:
        meta = _meta(pod)
        try:
            await self.client.delete(
                POD,
                str(meta.get("name")),
                str(meta.get("namespace")),
                preconditions={"uid": str(meta.get("uid"))},
            )
        except (NotFound, Conflict):
            pass

    async def _synthesize(self, attempt: executor.Attempt, pod: Mapping[str, Any], bound: Any) -> None:
        comp, synth = attempt.composition, attempt.synthesizer
        in_flight = comp.status.in_flight_synthesis
        assert in_flight is not None
        name, namespace = str(_meta(pod).get("name")), str(_meta(pod).get("namespace"))
        started = time.monotonic()
        budget = max(1.0, self.options.pod_timeout - _age(in_flight.initialized))
        try:
            inputs = await read_inputs(self.client, synth, comp)
        except InputError as err:
            await self._delete_pod(pod)
            await self._fail(attempt, f"Synthesizer error: {err}", bound)
            return
        try:
            async with asyncio.timeout(budget):
                exchanged = await attach.exchange(
                    self.client,
                    namespace,
                    name,
                    CONTAINER_NAME,
                    inputs.encode(),
                    max_stdout=self.options.max_synthesis_output,
                )
                state = await attach.wait_terminated(self.client, namespace, name, CONTAINER_NAME, budget)
        except TimeoutError:
            await self._delete_pod(pod)
            message = f"Synthesizer error: timed out after {budget:.0f}s (--pod-timeout)"
            await self._fail(attempt, message, bound, inputs.revisions)
            return
        except attach.OutputTooLarge as err:
            await self._delete_pod(pod)
            await self._fail(attempt, f"Synthesizer error: {err}", bound, inputs.revisions)
            return
        except attach.AttachError as err:
            await self._fail(attempt, f"Synthesizer error: {err}", bound, inputs.revisions)
            return
        except NotFound:
            bound.info("synthesis_pod_gone")
            return
        stderr = exchanged.stderr_tail.decode(errors="replace")
        try:
            out = output.read_result(int(state.get("exitCode") or 0), exchanged.stdout, self.engine)
        except output.OutputError as err:
            await self._fail(attempt, f"Synthesizer error: {err}", bound, inputs.revisions, stderr=stderr)
            return
        if out.error is not None:
            await self._fail(attempt, out.error, bound, inputs.revisions, results=out.results, stderr=stderr)
            return
        try:
            committed = await executor.commit(
                self.client,
                attempt,
                out.items,
                out.results,
                inputs.revisions,
                max_slice_bytes=self.options.max_slice_bytes,
            )
        except executor.NamespaceTerminating:
            bound.info("synthesis_abandoned_namespace_terminating")
            return
        if committed.skipped is not None:
            bound.info("synthesis_discarded", reason=committed.skipped)
            return
        bound.info(
            "synthesis_succeeded",
            resources=len(out.items),
            slices=len(committed.slices),
            latency=int((time.monotonic() - started) * 1000),
        )

    async def _fail(
        self,
        attempt: executor.Attempt,
        message: str,
        bound: Any,
        revisions: Sequence[common.InputRevisions] = (),
        *,
        results: Sequence[common.Result] = (),
        stderr: str = "",
    ) -> None:
        """The error on the in-flight synthesis and an Event; current and its slices stay untouched."""
        bound.info("synthesis_failed", error=message, stderr=stderr[-2048:])
        skipped = await executor.record_failure(self.client, attempt, message, revisions, results)
        if skipped is not None:
            bound.info("synthesis_discarded", reason=skipped)
            return
        await self.events.record(attempt.composition, WARNING, "SynthesisFailed", message)


class PodGarbageCollector:
    def __init__(
        self, cache: Cache, client: Client, options: Options, synthesis_metrics: metrics.SynthesisMetrics
    ) -> None:
        self.cache = cache
        self.client = client
        self.options = options
        self.metrics = synthesis_metrics

    async def reconcile(self, request: Request) -> Result:
        try:
            pod = await self.cache.get(POD, request.name, request.namespace)
        except NotFound:
            return Result()
        meta = _meta(pod)
        if meta.get("deletionTimestamp"):
            return Result()
        labels = _labels(pod)
        comp_name = labels.get(c.LABEL_COMPOSITION_NAME)
        comp_namespace = labels.get(c.LABEL_COMPOSITION_NAMESPACE)
        if not comp_name or not comp_namespace:
            log.info("synthesis_pod_without_labels", podName=request.name, controller=GC_NAME)
            return Result()
        decision = await self._decide(pod, comp_name, comp_namespace)
        if isinstance(decision, float):
            return Result(requeue_after=decision)
        if decision is None:
            return Result()
        try:
            await self.client.delete(
                POD,
                request.name,
                request.namespace,
                preconditions={
                    "uid": str(meta.get("uid")),
                    "resourceVersion": str(meta.get("resourceVersion")),
                },
            )
        except (NotFound, Conflict):
            return Result()
        synthesizer = labels.get(c.LABEL_SYNTHESIZER_NAME) or "unknown"
        self.metrics.results.labels(synthesizer=synthesizer, result=decision).inc()
        self.metrics.duration.labels(synthesizer=synthesizer, result=decision).observe(
            max(0.0, _age(meta.get("creationTimestamp")))
        )
        log.info(
            "deleted_synthesis_pod",
            controller=GC_NAME,
            podName=request.name,
            reason=decision,
            compositionName=comp_name,
            compositionNamespace=comp_namespace,
        )
        return Result()

    async def _decide(
        self, pod: Mapping[str, Any], comp_name: str, comp_namespace: str
    ) -> str | float | None:
        """A result reason to delete with, a delay to look again after, or None to leave the pod."""
        status = pod.get("status") or {}
        if not status.get("containerStatuses"):
            for condition in status.get("conditions") or ():
                if condition.get("type") == "PodScheduled" and condition.get("status") != "False":
                    waited = _age(condition.get("lastTransitionTime"))
                    if 0 < waited < self.options.container_creation_ttl:
                        return self.options.container_creation_ttl - waited
                    if waited >= self.options.container_creation_ttl:
                        return metrics.KUBELET_TIMEOUT
        try:
            comp = await self.cache.get(Composition, comp_name, comp_namespace)
        except NotFound:
            return metrics.COMPOSITION_DELETED
        if comp.deleting:
            return metrics.COMPOSITION_DELETED
        if await _namespace_gone(self.cache, comp_namespace):
            return metrics.NAMESPACE_TERMINATING
        try:
            synth = await self.cache.get(Synthesizer, comp.spec.synthesizer.name)
        except NotFound:
            return metrics.SYNTHESIZER_DELETED
        age = _age(_meta(pod).get("creationTimestamp"))
        if age < _MIN_POD_AGE:
            return _MIN_POD_AGE - age
        if _container_image(pod) != synth.spec.image:
            return metrics.IMAGE_CHANGED
        uuid = _labels(pod).get(c.LABEL_SYNTHESIS_UUID)
        in_flight = comp.status.in_flight_synthesis
        if in_flight is not None:
            if in_flight.canceled is not None:
                return metrics.TIMEOUT
            if in_flight.uuid != uuid:
                return metrics.SUPERSEDED
            return 1.0  # still running: Eno looks again every second
        current = comp.status.current_synthesis
        if current is not None and current.uuid == uuid:
            return metrics.SUCCESS
        return metrics.ORPHANED


def cache_options(options: Options) -> dict[GVK | type[KubeObject], InformerOptions]:
    """What the manager's cache should hold of pods: only synthesis pods in the pod namespace."""
    return {
        POD: InformerOptions(
            namespace=options.pod.namespace, label_selector=f"{c.MANAGED_BY_LABEL}={c.MANAGED_BY_VALUE}"
        )
    }


def setup(manager: Manager, options: Options, *, concurrency: int = 10) -> list[Controller]:
    """Register the lifecycle controller and the pod garbage collector on `manager`."""
    synthesis_metrics = metrics.synthesis_metrics(manager.registry)
    events = EventRecorder(manager.client)
    lifecycle = LifecycleReconciler(
        manager.cache, manager.client, events, options, synthesis_metrics, default_engine()
    )
    pods = _synthesis_pod(options)
    first = (
        manager.builder()
        .named("synthesis-lifecycle", log_name=LIFECYCLE_NAME)
        .for_(Composition)
        .watches(POD, EnqueueRequestsFromMapFunc(_composition_of), pods)
        .with_options(max_concurrent_reconciles=concurrency)
        .complete(lifecycle)
    )
    gc = PodGarbageCollector(manager.cache, manager.client, options, synthesis_metrics)
    second = (
        manager.builder()
        .named("synthesis-pod-gc", log_name=GC_NAME)
        .for_(POD, new_predicate_funcs(_in_pod_namespace(options)))
        .complete(gc)
    )
    return [first, second]
