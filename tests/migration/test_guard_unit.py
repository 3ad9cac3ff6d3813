"""The guard's glue as the reconciler uses it: claims from snapshots (the seed's override on either
composition), and when the owner marker rides along a write."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from prometheus_client import CollectorRegistry

from eno.cel.engine import default_engine
from eno.reconciler.guard import OwnershipGuard, claim_of, writing_as
from eno.reconciler.ownership import OWNER_ANNOTATION, Claim, CompositionKey
from eno.resource.cache import SynthesisCache
from eno.resource.identity import ManifestRef
from eno.resource.overrides import CompositionMetadata
from eno.resource.resource import Resource, parse_manifest
from eno.resource.snapshot import snapshot

KEY = "migration.example.com/owner"
SEED = f"composition.metadata.annotations['{KEY}'] != 'true'"
DISABLE = 'self.metadata.annotations["eno.azure.io/disable-reconciliation"]'
ME = CompositionKey("default", "source")


def resource(*, deleted: bool = False) -> Resource:
    overrides = [{"path": DISABLE, "value": "true", "condition": SEED}]
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "moved",
            "namespace": "default",
            "annotations": {"eno.azure.io/overrides": json.dumps(overrides)},
        },
    }
    slot = ManifestRef("default", "s", 0)
    parsed = parse_manifest(json.dumps(obj), default_engine(), slot, deleted=deleted)
    assert isinstance(parsed, Resource)
    return parsed


@pytest.mark.parametrize(
    ("annotations", "deleted", "expected"),
    [
        pytest.param({KEY: "true"}, False, Claim(ME, True, False), id="owner-writes"),
        pytest.param({}, False, Claim(ME, False, False), id="absent-key-disabled-still-holds"),
        pytest.param({KEY: "false"}, False, Claim(ME, False, False), id="other-value-disabled"),
        pytest.param({KEY: "true"}, True, Claim(ME, True, True), id="owner-tombstone-deletes"),
        pytest.param({}, True, Claim(ME, False, False), id="non-owner-tombstone-left-alone"),
    ],
)
def test_claim_of_the_seed_override(annotations: dict[str, str], deleted: bool, expected: Claim) -> None:
    meta = CompositionMetadata(name="source", namespace="default", annotations=annotations)
    assert claim_of(ME, snapshot(resource(deleted=deleted), meta, None)) == expected


def test_writing_as_defaults_to_nobody() -> None:
    assert writing_as.get() is None


def marked(obj: dict[str, Any]) -> str | None:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(OWNER_ANNOTATION)
    return value if isinstance(value, str) else None


BODY = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "moved", "namespace": "default"}}
MARKED_LIVE = {"metadata": {"annotations": {OWNER_ANNOTATION: "default/target"}}}


@pytest.mark.parametrize(
    ("contested", "current", "dry_run", "expected"),
    [
        pytest.param(False, None, False, None, id="plain-object-stays-as-eno-writes-it"),
        pytest.param(True, None, True, None, id="dry-run-of-unmarked-object-no-marker"),
        pytest.param(True, {}, False, "default/source", id="first-real-write-while-contested"),
        pytest.param(True, MARKED_LIVE, True, "default/source", id="marked-live-kept-in-dry-run"),
        pytest.param(False, MARKED_LIVE, False, "default/source", id="marked-live-kept-uncontested"),
    ],
)
def test_marker_rides_along_only(
    contested: bool, current: dict[str, Any] | None, dry_run: bool, expected: str | None
) -> None:
    guard = OwnershipGuard(cast(Any, None), lambda: SynthesisCache(default_engine()), CollectorRegistry())
    ref = resource().ref
    guard.present(ME, ref)
    if contested:
        guard.present(CompositionKey("default", "target"), ref)
    token = writing_as.set(ME)
    try:
        assert marked(guard.mark(dict(BODY), ref, current, dry_run=dry_run)) == expected
    finally:
        writing_as.reset(token)
