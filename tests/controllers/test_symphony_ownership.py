"""The ownership guard, symphony layer: a moved annotation is on at most one composition at every revision.

Random sequences of symphony edits (the owner flipped between 2-4 variations back to back, variations
added and removed, other annotations set and unset) run against the symphony controller, with controller
restarts (a cold cache) and injected 409s and 500s in between. After each sequence the test replays every
revision the API server stored for the sequence's compositions and asserts that no revision ever held the
owner value on two of them, and that the final state matches the last symphony spec.

Only the symphony controller runs: compositions have no finalizer, so a deleted composition is gone at
once. (A composition kept by its finalizer while its variation's removal and the flip land in one edit is
the resource layer's case: migration.md.)
"""

from __future__ import annotations

import asyncio
import itertools
from contextlib import AsyncExitStack
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from controllers import composition as composition_controller
from controllers import symphony as symphony_controller
from eno.api.v1 import Composition, Symphony
from eno.apiserver.server import ApiServer
from eno.apiserver.store import Event
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from eno.runtime.manager import Manager
from tests.controllers.conftest import History, Setup, running, server_faults, until
from tests.controllers.objects import symphony

OWNER = "example.com/migrate-owner"
OTHER = "example.com/other"
NAMES = ("a", "b", "c", "d")
NAMESPACE = GVK("", "v1", "Namespace")

Op = tuple[Any, ...]
ops = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 3)),
    st.tuples(st.just("flip"), st.integers(0, 3)),
    st.tuples(st.just("flip"), st.integers(0, 3)),
    st.tuples(st.just("add"), st.sampled_from(NAMES)),
    st.tuples(st.just("remove"), st.sampled_from(NAMES)),
    st.tuples(st.just("other"), st.sampled_from(NAMES), st.sampled_from([None, "", "x", "y"])),
    st.tuples(st.just("restart")),
    st.tuples(
        st.just("fault"),
        st.sampled_from([409, 500]),
        st.sampled_from(["update", "create", "list", "patch", "delete"]),
        st.integers(1, 3),
    ),
    # The user's pace: most edits land back to back, some after a short pause.
    st.tuples(st.just("pause"), st.sampled_from([0.0, 0.01, 0.05, 0.2])),
)
sequences = st.tuples(st.integers(2, 4), st.integers(0, 3), st.lists(ops, min_size=1, max_size=25))


@attrs.define
class Model:
    """The symphony the user means: variation names in order, who owns the key, other annotations."""

    names: list[str]
    owner: str | None
    others: dict[str, dict[str, str]] = attrs.Factory(dict)

    def apply(self, op: Op) -> bool:
        """Change the model by `op`; True when the symphony must be written."""
        kind = op[0]
        if kind == "flip":
            self.owner = self.names[op[1] % len(self.names)]
        elif kind == "add" and op[1] not in self.names and len(self.names) < 4:
            self.names.append(op[1])
        elif kind == "remove" and op[1] in self.names and len(self.names) > 1:
            self.names.remove(op[1])
            if self.owner == op[1]:
                self.owner = None
        elif kind == "other" and op[1] in self.names:
            if op[2] is None:
                self.others.get(op[1], {}).pop(OTHER, None)
            else:
                self.others.setdefault(op[1], {})[OTHER] = op[2]
        else:
            return False
        return True

    def variations(self) -> list[dict[str, Any]]:
        return [
            {
                "synthesizer": {"name": n},
                "annotations": {OWNER: "true" if n == self.owner else "", **self.others.get(n, {})},
            }
            for n in self.names
        ]


def owner_holders_per_revision(
    events: list[Event], namespace: str, deleting_count: bool = True
) -> list[tuple[int, list[str]]]:
    """After each stored revision: which compositions of `namespace` carry the owner value (with
    `deleting_count` False, compositions already being deleted are left out)."""
    live: dict[str, dict[str, Any]] = {}
    out = []
    for event in events:
        if event.key.namespace != namespace:
            continue
        if event.type == "DELETED":
            live.pop(event.key.name, None)
        else:
            live[event.key.name] = event.object
        holders = sorted(
            name
            for name, obj in live.items()
            if ((obj.get("metadata") or {}).get("annotations") or {}).get(OWNER) == "true"
            and (deleting_count or not (obj.get("metadata") or {}).get("deletionTimestamp"))
        )
        out.append((event.revision, holders))
    return out


def converged(model: Model, comps: list[Composition]) -> bool:
    by_synth = {c.spec.synthesizer.name: c for c in comps}
    assert len(by_synth) == len(comps), "duplicate compositions"
    assert set(by_synth) == set(model.names)
    for variation in model.variations():
        annotations = by_synth[variation["synthesizer"]["name"]].annotations
        for key, value in variation["annotations"].items():
            assert annotations.get(key) == (value or None), (variation, annotations)
    return True


_namespaces = itertools.count()


def symphony_only(manager: Manager) -> Any:
    return symphony_controller.setup(manager)


def with_composition_controller(manager: Manager) -> Any:
    symphony_controller.setup(manager)
    return composition_controller.setup(
        manager, composition_controller.Options(synthesizer_pod_namespace="default")
    )


async def run_sequence(
    srv: ApiServer, client: Client, sequence: tuple[int, int, list[Op]], setup: Setup = symphony_only
) -> None:
    count, owner, steps = sequence
    ns = f"seq-{next(_namespaces)}"
    await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    history = History(srv, "compositions")
    try:
        await drive(srv, client, ns, Model(list(NAMES[:count]), NAMES[owner % count]), steps, setup)
    finally:
        history.close()
    # With the composition controller, a composition whose variation was removed in the same edit as the
    # flip keeps the value while its finalizer holds it: the resource layer's case, left out here.
    deleting_count = setup is symphony_only
    for revision, holders in owner_holders_per_revision(history.events, ns, deleting_count):
        assert len(holders) <= 1, f"revision {revision}: {holders} all carry {OWNER}"


async def drive(srv: ApiServer, client: Client, ns: str, model: Model, steps: list[Op], setup: Setup) -> None:
    """Run the symphony controller through the edits, restarts and faults; wait for the final state."""
    faults = server_faults(srv)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(running(srv.url, setup))
        await client.create(Symphony.from_dict(symphony("sym", *model.variations(), ns=ns)))
        try:
            for op in steps:
                if op[0] == "restart":
                    await stack.aclose()
                    await stack.enter_async_context(running(srv.url, setup))
                elif op[0] == "fault":
                    faults.add(status=op[1], verb=op[2], resource="compositions", times=op[3])
                elif op[0] == "pause":
                    await asyncio.sleep(op[1])  # pacing the user's edits, not waiting for a condition
                elif model.apply(op):
                    await client.patch(Symphony, "sym", ns, {"spec": {"variations": model.variations()}})
        finally:
            faults.clear()

        async def settled() -> bool:
            return converged(model, list((await client.list(Composition, namespace=ns)).items))

        await until(settled, timeout=20)
        # Delete the symphony while the controller runs, so later sequences do not inherit its objects
        # (every restart reconciles every symphony in the cluster).
        await client.delete(Symphony, "sym", ns)

        async def cleaned_up() -> bool:
            left = await client.list(Composition, namespace=ns)
            return not left.items and not (await client.list(Symphony, namespace=ns)).items

        await until(cleaned_up, timeout=20)


SHORT = settings(
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SOAK = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SHORT
@given(sequence=sequences)
async def test_owner_annotation_on_at_most_one_composition(
    eno_server: ApiServer, client: Client, sequence: tuple[int, int, list[Op]]
) -> None:
    await run_sequence(eno_server, client, sequence)


@settings(SHORT, max_examples=6)
@given(sequence=sequences)
async def test_owner_annotation_with_composition_controller_running(
    eno_server: ApiServer, client: Client, sequence: tuple[int, int, list[Op]]
) -> None:
    """The composition controller writes too (finalizers, status): conflicts, and deletions that wait."""
    await run_sequence(eno_server, client, sequence, with_composition_controller)


@pytest.mark.soak
@SOAK
@given(sequence=sequences)
async def test_owner_annotation_on_at_most_one_composition_soak(
    eno_server: ApiServer, client: Client, sequence: tuple[int, int, list[Op]]
) -> None:
    await run_sequence(eno_server, client, sequence)


def test_holders_replay_counts_live_compositions() -> None:
    from eno.apiserver.store import Key

    def ev(rev: int, kind: str, name: str, owner: bool) -> Event:
        obj = {"metadata": {"name": name, "annotations": {OWNER: "true"} if owner else {}}}
        return Event(kind, Key("eno.azure.io", "compositions", "n", name), obj, None, rev)

    events = [ev(1, "ADDED", "a", True), ev(2, "ADDED", "b", False), ev(3, "DELETED", "a", True)]
    events.append(ev(4, "MODIFIED", "b", True))
    assert owner_holders_per_revision(events, "n") == [(1, ["a"]), (2, ["a"]), (3, []), (4, ["b"])]


@pytest.mark.soak
@SOAK
@given(sequence=sequences)
async def test_owner_annotation_with_composition_controller_running_soak(
    eno_server: ApiServer, client: Client, sequence: tuple[int, int, list[Op]]
) -> None:
    await run_sequence(eno_server, client, sequence, with_composition_controller)
