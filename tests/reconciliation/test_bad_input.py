"""Bad input on one resource puts a clear error on that resource's status and never stops the others
(Eno's errors_test.go and edgecase_test.go: MissingNamespace, DeletingUnknownKind, ErrorReporting)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eno.api.v1.resourceslice import ResourceState
from eno.runtime.client import Client
from tests.reconciliation.conftest import CONFIGMAP, Synthesizer, configmap, get_or_none, until

OVERRIDES = "eno.azure.io/overrides"

GOOD = configmap("good", {"k": "v"})
CASES: dict[str, dict[str, Any] | str] = {
    "malformed-overrides": configmap("malformed-overrides", {"k": "v"}, annotations={OVERRIDES: "[{"}),
    "bad-cel": configmap(
        "bad-cel",
        {"k": "v"},
        annotations={
            OVERRIDES: json.dumps([{"path": "self.data.k", "value": "x", "condition": "self.data.("}])
        },
    ),
    "bad-path": configmap(
        "bad-path", {"k": "v"}, annotations={OVERRIDES: json.dumps([{"path": "data.k", "value": "x"}])}
    ),
    "bad-readiness": configmap("bad-readiness", {"k": "v"}, annotations={"eno.azure.io/readiness": "((("}),
    # In the ConfigMaps' (infrastructure) readiness group: group 0 would wait for the failing ones.
    "unknown-kind": {
        "apiVersion": "example.com/v1",
        "kind": "Nope",
        "metadata": {
            "name": "n",
            "namespace": "default",
            "annotations": {"eno.azure.io/readiness-group": "-100"},
        },
    },
    "missing-namespace": configmap("missing-namespace", namespace=""),
    "absent-namespace": configmap("absent-namespace", namespace="nowhere"),
    "unprocessable": configmap("Bad_Name"),
    "wrong-type": {**configmap("wrong-type"), "data": "wrongType"},
    "invalid-json": "{not json",
    "no-name": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "default"}},
}
# What the error says, in a word or two.
EXPECTED = {
    "malformed-overrides": "invalid JSON",
    "bad-cel": "invalid CEL",
    "bad-path": "invalid path",
    "bad-readiness": "invalid CEL",
    "unknown-kind": "Nope",
    "missing-namespace": "namespace",
    "absent-namespace": "nowhere",
    "unprocessable": "Bad_Name",
    "wrong-type": ".data: expected map",  # the text after "failed to create typed patch object"
    "invalid-json": "invalid JSON",
    "no-name": "metadata.name",
}
# Ops that could not be parsed are inert: the resource is still reconciled, the error reported.
RECONCILED = {"malformed-overrides", "bad-cel", "bad-path", "bad-readiness"}


@pytest.fixture
async def outcome(eno, synth: Synthesizer) -> dict[str, ResourceState]:
    await synth.create()
    names = list(CASES)
    await synth.synthesize_raw([GOOD, *CASES.values()])

    async def reported() -> dict[str, ResourceState]:
        states = await synth.states()
        assert states[0].reconciled and states[0].ready, states[0]
        by_name = dict(zip(names, states[1:], strict=True))
        for name, state in by_name.items():
            assert state.reconciliation_error, f"{name}: {state}"
            if name in RECONCILED:
                assert state.reconciled, f"{name}: {state}"
        return by_name

    return await until(reported)


async def test_the_good_resource_is_reconciled(outcome: dict[str, ResourceState], client: Client) -> None:
    assert (await client.get(CONFIGMAP, "good", "default"))["data"] == {"k": "v"}


@pytest.mark.parametrize("case", list(CASES))
async def test_each_bad_resource_says_why(outcome: dict[str, ResourceState], case: str) -> None:
    state = outcome[case]
    assert EXPECTED[case] in state.reconciliation_error
    assert state.reconciled is (case in RECONCILED)


async def test_inert_ops_do_not_change_the_object(outcome: dict[str, ResourceState], client: Client) -> None:
    for name in ("malformed-overrides", "bad-cel", "bad-path"):
        assert (await client.get(CONFIGMAP, name, "default"))["data"] == {"k": "v"}, name


async def test_bad_resources_do_not_block_deletion(eno, synth: Synthesizer, client: Client) -> None:
    await synth.create()
    await synth.synthesize_raw([GOOD, CASES["unknown-kind"], CASES["missing-namespace"]])
    await until(lambda: _good_ready(synth))
    await synth.delete()

    async def deleted() -> bool:
        return all(s.deleted and s.reconciled for s in await synth.states())

    await until(deleted)
    assert await get_or_none(client, CONFIGMAP, "good") is None
    await synth.release()


async def _good_ready(synth: Synthesizer) -> bool:
    return bool((await synth.states())[0].ready)
