"""A small builder of `Observed` snapshots for the migration step tests: the example's Symphony, its two
compositions and their slices, with the example's own objects and override (examples/migration/moved.py)."""

from __future__ import annotations

import json
from typing import Any

import attrs

from eno.api.v1.constants import ANNOTATION_OVERRIDES
from eno.migrate.observed import Migration, ObjectRef, Observed, ref_of

KEY = "migration.example.com/owner"
SEED = f"composition.metadata.annotations['{KEY}'] != 'true'"
IN_FORM = (
    f"!('{KEY}' in composition.metadata.annotations) || composition.metadata.annotations['{KEY}'] != 'true'"
)
DISABLE = 'self.metadata.annotations["eno.azure.io/disable-reconciliation"]'
M = Migration("default", "migration", "migration-source", "migration-target", KEY)
CONFIG = ObjectRef("", "ConfigMap", "default", "moved-config")


def moved(writer: str, condition: str | None = SEED) -> dict[str, Any]:
    annotations = {}
    if condition is not None:
        annotations[ANNOTATION_OVERRIDES] = json.dumps(
            [{"path": DISABLE, "value": "true", "condition": condition}]
        )
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "moved-config", "namespace": "default", "annotations": annotations},
        "data": {"writer": writer},
    }


@attrs.frozen
class Side:
    """One variation: its variation annotation value, its composition's, and what it synthesizes."""

    variation: str | None = None  # the variation's value of KEY (None: no key)
    composition: str | None = None  # the composition's value of KEY
    objects: tuple[dict[str, Any], ...] = ()
    tombstones: tuple[dict[str, Any], ...] = ()
    reconciled: bool = True
    synthesizing: bool = False


def world(source: Side, target: Side, live: dict[str, Any] | None = None, symphony: bool = True) -> Observed:
    sides = (("migration-source", source), ("migration-target", target))
    variations = []
    compositions = []
    slices: dict[str, dict[str, Any]] = {}
    for synth, side in sides:
        variation: dict[str, Any] = {"synthesizer": {"name": synth}}
        if side.variation is not None:
            variation["annotations"] = {KEY: side.variation}
        variations.append(variation)
        entries = [(o, False) for o in side.objects] + [(o, True) for o in side.tombstones]
        slice_name = f"{synth}-slice"
        slices[f"default/{slice_name}"] = {
            "spec": {"resources": [{"manifest": json.dumps(o), "deleted": d} for o, d in entries]},
            "status": {"resources": [{"reconciled": side.reconciled} for _ in entries]},
        }
        status: dict[str, Any] = {
            "currentSynthesis": {
                "resourceSlices": [{"name": slice_name}],
                "reconciled": "2026-01-01T00:00:00Z" if side.reconciled else None,
            }
        }
        if side.synthesizing:
            status["inFlightSynthesis"] = {"uuid": "x"}
        compositions.append(
            {
                "metadata": {
                    "name": synth,
                    "namespace": "default",
                    "annotations": {KEY: side.composition} if side.composition else {},
                    "ownerReferences": [{"uid": "sym-uid"}],
                },
                "spec": {"synthesizer": {"name": synth}},
                "status": status,
            }
        )
    sym = {
        "metadata": {"name": "migration", "namespace": "default", "uid": "sym-uid"},
        "spec": {"variations": variations},
    }
    return Observed(
        symphony=sym if symphony else None,
        compositions=tuple(compositions),
        slices=slices,
        live={ref_of(live): live} if live is not None else {},
    )
