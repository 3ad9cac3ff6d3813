"""The status write buffer: the state and error updates (spec §5) as a table, the flush pacing, and
batching on the embedded server."""

from __future__ import annotations

from typing import Any

import pytest

from eno.reconciler.writebuffer import FlushPacer, error_update, state_update, wire_state
from eno.resource.identity import ManifestRef
from tests.reconciliation.conftest import Synthesizer, configmap, until

READY = "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("existing", "update", "expected"),
    [
        pytest.param(
            {},
            state_update(deleted=False, ready=READY),
            {"reconciled": True, "ready": READY},
            id="first-state",
        ),
        pytest.param(
            {"reconciled": True, "ready": READY},
            state_update(deleted=False, ready=READY),
            None,
            id="same-state-skipped",
        ),
        pytest.param(
            {"reconciled": True, "ready": READY},
            state_update(deleted=True, ready=READY),
            {"reconciled": True, "ready": READY, "deleted": True},
            id="deleted-changes",
        ),
        pytest.param(
            {"reconciliationError": "boom"},
            state_update(deleted=False, ready=None),
            {"reconciled": True},
            id="success-clears-error",
        ),
        pytest.param(
            {"reconciled": True},
            state_update(deleted=False, ready=None, error="bad override"),
            {"reconciled": True, "reconciliationError": "bad override"},
            id="bad-input-reported-while-reconciled",
        ),
        pytest.param({}, error_update("boom"), {"reconciliationError": "boom"}, id="error-recorded"),
        pytest.param({}, error_update(""), {"reconciliationError": ""}, id="empty-summary-still-recorded"),
        pytest.param({"reconciliationError": "boom"}, error_update("boom"), None, id="same-error-skipped"),
        pytest.param({"reconciled": True}, error_update("boom"), None, id="reconciled-hides-later-errors"),
        pytest.param(
            {"ready": READY, "deleted": True, "reconciliationError": "a"},
            error_update("b"),
            {"ready": READY, "deleted": True, "reconciliationError": "b"},
            id="error-keeps-state",
        ),
    ],
)
def test_updates(existing: dict[str, Any], update: Any, expected: dict[str, Any] | None) -> None:
    assert update(existing) == expected


def test_wire_state_omits_false_and_null() -> None:
    assert wire_state() == {}
    assert wire_state(reconciled=True, deleted=False, ready=None, error="") == {
        "reconciled": True,
        "reconciliationError": "",
    }


def test_pacer_waits_longer_after_slow_flushes_and_backs_off_failures() -> None:
    pacer = FlushPacer(0.1, 8.0)
    key = ("ns", "slice")
    assert pacer.when(key) == 0.1
    assert pacer.when(key) == 0.2, "a failure backs off"
    pacer.succeeded(key, 0.5)
    assert pacer.when(key) == 2.0, "four times the last flush"
    pacer.succeeded(key, 0.01)
    assert pacer.when(key) == 0.1
    pacer.succeeded(key, 10.0)
    assert pacer.when(key) == 8.0, "capped"
    pacer.forget(key)
    assert pacer.when(key) == 0.1


async def test_many_updates_become_few_patches(eno, synth: Synthesizer, eno_server) -> None:
    await synth.create()
    await synth.synthesize([configmap(f"cm{i}") for i in range(60)])
    await synth.settled()
    patches = [
        r for r in eno_server.request_log if r.resource == "resourceslices" and r.subresource == "status"
    ]
    assert 1 <= len(patches) < 30
    assert eno.metrics.slice_updates.collect()[0].samples[0].value == len(patches)


async def test_updates_for_a_deleted_slice_are_dropped(eno, synth: Synthesizer, client) -> None:
    await synth.create()
    await synth.synthesize([configmap("a")])
    await synth.settled()
    comp = await synth.composition()
    assert comp.status.current_synthesis is not None
    name = comp.status.current_synthesis.resource_slices[0].name
    eno.buffer.patch_status(ManifestRef("default", "gone", 0), state_update(deleted=False, ready=None))
    eno.buffer.patch_status(ManifestRef("default", name, 5), state_update(deleted=False, ready=None))

    async def drained() -> bool:
        return len(eno.buffer) == 0

    await until(drained)
