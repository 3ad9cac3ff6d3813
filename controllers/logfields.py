"""Eno's structured log fields (spec operations.md §7.2), so users' log queries keep working."""

from __future__ import annotations

from typing import Any

from eno.api.v1 import Composition, Symphony
from eno.api.v1.predicates import azure_operation_id, azure_operation_origin, latest_synthesis_uuid


def composition_fields(comp: Composition) -> dict[str, Any]:
    return {
        "compositionName": comp.name,
        "compositionNamespace": comp.namespace,
        "compositionGeneration": comp.generation,
        "synthesizerName": comp.spec.synthesizer.name,
        "synthesisUUID": latest_synthesis_uuid(comp),
        "operationID": azure_operation_id(comp),
        "operationOrigin": azure_operation_origin(comp),
    }


def symphony_fields(symph: Symphony) -> dict[str, Any]:
    return {
        "symphonyName": symph.name,
        "symphonyNamespace": symph.namespace,
        "symphonyGeneration": symph.generation,
        "operationID": azure_operation_id(symph),
        "operationOrigin": azure_operation_origin(symph),
    }
