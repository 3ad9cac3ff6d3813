"""Fixtures for the reconciler on the embedded API server.

Until the synthesis controller exists, `Synthesizer` plays its part over HTTP exactly as the synthesis
would: it writes ResourceSlices (tombstones included, via eno.resource.slicing) owned by the composition,
then moves the composition's current synthesis to previous and records the new one. On deletion it plays
eno-controller's part too: a deleting composition gets a fresh synthesis UUID (same slices), and the
finalizer is released once the slices say everything is deleted.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import attrs
import pytest

from controllers.reconciliation import Options, Reconcilers, cache_options, setup
from eno.api.v1 import Composition, ResourceSlice
from eno.api.v1 import constants as c
from eno.api.v1.composition import ResourceSliceRef, Synthesis
from eno.api.v1.resourceslice import Manifest, ResourceSliceSpec, ResourceState
from eno.apiserver.server import ApiServer
from eno.resource.slicing import slice_outputs
from eno.runtime.client import Client
from eno.runtime.errors import Conflict, NotFound
from eno.runtime.gvk import GVK
from eno.runtime.manager import Manager
from tests.controllers.conftest import client, eno_server, running, until

__all__ = ["CONFIGMAP", "Synthesizer", "client", "configmap", "eno_server", "until"]

CONFIGMAP = GVK("", "v1", "ConfigMap")

FAST = Options(
    readiness_poll_interval=0.1,
    min_reconcile_interval=0.01,
    write_buffer_base_delay=0.005,
    write_buffer_max_delay=0.1,
    max_concurrent_reconciles=4,
)


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def configmap(
    name: str,
    data: dict[str, Any] | None = None,
    annotations: dict[str, str] | None = None,
    namespace: str = "default",
    **extra: Any,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data or {}, **extra}


class Synthesizer:
    """Plays the synthesis (and eno-controller's deletion steps) for one composition."""

    def __init__(self, client: Client, name: str = "comp", namespace: str = "default") -> None:
        self.client = client
        self.name = name
        self.namespace = namespace

    async def composition(self) -> Composition:
        return await self.client.get(Composition, self.name, self.namespace)

    async def create(
        self,
        annotations: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        finalizers: Sequence[str] = (c.FINALIZER_CLEANUP,),
    ) -> Composition:
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if annotations:
            metadata["annotations"] = annotations
        if labels:
            metadata["labels"] = labels
        if finalizers:
            metadata["finalizers"] = list(finalizers)
        return await self.client.create(
            Composition.from_dict({"metadata": metadata, "spec": {"synthesizer": {"name": "synth"}}})
        )

    async def synthesize(self, outputs: Sequence[dict[str, Any]]) -> str:
        """Slice `outputs` (with tombstones for what the current synthesis had) and make it current."""
        comp = await self.composition()
        current = comp.status.current_synthesis
        previous = []
        for ref in current.resource_slices if current is not None else ():
            previous.append(await self.client.get(ResourceSlice, ref.name, self.namespace))
        result = slice_outputs(comp, previous, outputs)
        assert not result.failed, result.errors
        return await self._publish(comp, list(result.slices))

    async def synthesize_raw(self, manifests: Sequence[str | dict[str, Any]]) -> str:
        """One slice holding exactly `manifests` (JSON text taken verbatim: bad input is allowed)."""
        comp = await self.composition()
        texts = [m if isinstance(m, str) else json.dumps(m) for m in manifests]
        piece = attrs.evolve(
            slice_outputs(comp, [], [{}]).slices[0],
            spec=ResourceSliceSpec(resources=tuple(Manifest(manifest=t) for t in texts)),
        )
        return await self._publish(comp, [piece])

    async def _publish(self, comp: Composition, slices: list[ResourceSlice]) -> str:
        names = []
        for piece in slices:
            metadata = {k: v for k, v in piece.metadata.items() if k != "finalizers"}
            created = await self.client.create(attrs.evolve(piece, metadata=metadata))
            names.append(created.name)
        synthesis = Synthesis(
            uuid=str(uuid.uuid4()),
            observed_composition_generation=comp.generation,
            synthesized=now(),
            resource_slices=tuple(ResourceSliceRef(name=n) for n in names),
        )
        await self._set_syntheses(lambda cur: (synthesis, cur))
        return synthesis.uuid

    async def _set_syntheses(
        self, change: Callable[[Synthesis | None], tuple[Synthesis | None, Synthesis | None]]
    ) -> None:
        for _ in range(20):
            comp = await self.composition()
            current, previous = change(comp.status.current_synthesis)
            status = attrs.evolve(comp.status, current_synthesis=current, previous_synthesis=previous)
            try:
                await self.client.update_status(attrs.evolve(comp, status=status))
                return
            except Conflict:
                continue
        raise AssertionError("could not update the composition status")

    async def delete(self) -> None:
        """Delete the composition, then give its current synthesis a fresh UUID (eno-controller's step), so
        the reconciler loads it again as a deleting synthesis."""
        await self.client.delete(Composition, self.name, self.namespace)

        def renew(cur: Synthesis | None) -> tuple[Synthesis | None, Synthesis | None]:
            assert cur is not None
            return attrs.evolve(cur, uuid=str(uuid.uuid4()), synthesized=now(), reconciled=None), None

        await self._set_syntheses(renew)

    async def release(self) -> None:
        """Remove the cleanup finalizer (eno-controller does once the deleting synthesis is reconciled)."""
        comp = await self.composition()
        await self.client.update(comp.with_metadata(finalizers=None))

    async def states(self) -> list[ResourceState]:
        """The per-resource states of the current synthesis, in slice then index order (empty states for
        slots not written yet)."""
        comp = await self.composition()
        assert comp.status.current_synthesis is not None
        out: list[ResourceState] = []
        for ref in comp.status.current_synthesis.resource_slices:
            piece = await self.client.get(ResourceSlice, ref.name, self.namespace)
            states = list(piece.status.resources)
            out += states + [ResourceState()] * (len(piece.spec.resources) - len(states))
        return out

    async def settled(self, timeout: float = 10.0) -> list[ResourceState]:
        """Wait until every resource of the current synthesis is reconciled; the states."""

        async def check() -> list[ResourceState]:
            states = await self.states()
            assert all(s.reconciled for s in states), states
            return states or [ResourceState(reconciled=True)]

        return await until(check, timeout)


async def get_or_none(client: Client, kind: GVK, name: str, namespace: str = "default") -> Any:
    try:
        return await client.get(kind, name, namespace)
    except NotFound:
        return None


@asynccontextmanager
async def reconciler(url: str, options: Options = FAST) -> AsyncIterator[tuple[Manager, Reconcilers]]:
    """A manager running the reconciler controllers with `options`."""
    found: list[Reconcilers] = []
    async with running(url, lambda m: _setup(m, options, found), by_kind=cache_options(options)) as manager:
        yield manager, found[0]


def _setup(manager: Manager, options: Options, found: list[Reconcilers]) -> Any:
    found.append(setup(manager, options))
    return found[-1].reconciliation


@pytest.fixture
def synth(client: Client) -> Synthesizer:
    return Synthesizer(client)


@pytest.fixture
async def eno(eno_server: ApiServer) -> AsyncIterator[Reconcilers]:
    async with reconciler(eno_server.url) as (_, parts):
        yield parts
