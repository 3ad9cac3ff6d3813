"""Composition: a namespaced request to run one synthesizer with particular bindings (spec api.md §3)."""

# prop() returns attrs.field(...); ruff takes it for a call in a dataclass default.
# ruff: noqa: RUF009

from __future__ import annotations

import attrs

from eno.api.v1.common import Binding, EnvVar, InputRevisions, Result, SynthesizerRef
from eno.api.v1.kind import Kind, PrinterColumn
from eno.api.v1.model import BOOL, STRING, TIME, Int, List, Model, Obj, prop


@attrs.frozen
class CompositionDependency(Model):
    """Another composition that must be Ready first. Looked up by exactly `namespace/name`."""

    name: str = prop("name", STRING)
    namespace: str = prop("namespace", STRING)


@attrs.frozen
class CompositionSpec(Model):
    synthesizer: SynthesizerRef = prop(
        "synthesizer", Obj(SynthesizerRef), doc="The Synthesizer to run, by name."
    )
    bindings: tuple[Binding, ...] = prop(
        "bindings", List(Obj(Binding)), doc="Objects bound to the synthesizer's ref keys."
    )
    synthesis_env: tuple[EnvVar, ...] = prop(
        "synthesisEnv",
        List(Obj(EnvVar), max_items=500),
        doc="Extra environment variables for the synthesis container.",
    )
    depends_on: tuple[CompositionDependency, ...] = prop(
        "dependsOn",
        List(Obj(CompositionDependency), max_items=50),
        doc="Compositions that must be Ready before this one is synthesized.",
    )


@attrs.frozen
class SimplifiedStatus(Model):
    """The summary shown in printer columns (predicates.simplified_status computes it)."""

    status: str = prop("status", STRING)
    error: str = prop("error", STRING)


@attrs.frozen
class ResourceSliceRef(Model):
    name: str = prop("name", STRING)


@attrs.frozen
class Synthesis(Model):
    """One synthesis attempt and, once it succeeded, the state of its output."""

    uuid: str = prop("uuid", STRING)
    observed_composition_generation: int = prop("observedCompositionGeneration", Int("int64"))
    observed_synthesizer_generation: int = prop("observedSynthesizerGeneration", Int("int64"))
    initialized: str | None = prop("initialized", TIME, pointer=True)
    synthesized: str | None = prop("synthesized", TIME, pointer=True)
    reconciled: str | None = prop("reconciled", TIME, pointer=True)
    ready: str | None = prop("ready", TIME, pointer=True)
    canceled: str | None = prop("canceled", TIME, pointer=True)
    attempts: int = prop("attempts", Int())
    resource_slices: tuple[ResourceSliceRef, ...] = prop("resourceSlices", List(Obj(ResourceSliceRef)))
    results: tuple[Result, ...] = prop("results", List(Obj(Result)))
    input_revisions: tuple[InputRevisions, ...] = prop("inputRevisions", List(Obj(InputRevisions)))
    deferred: bool = prop("deferred", BOOL)


@attrs.frozen
class BlockedByRef(Model):
    name: str = prop("name", STRING)
    namespace: str = prop("namespace", STRING)
    reason: str = prop("reason", STRING)


@attrs.frozen
class DependencyStatus(Model):
    """Set while dependencies (or, when deleting, dependents) block the composition."""

    blocked: bool = prop("blocked", BOOL)
    reason: str = prop("reason", STRING)
    blocked_by: tuple[BlockedByRef, ...] = prop("blockedBy", List(Obj(BlockedByRef)))


@attrs.frozen
class CompositionStatus(Model):
    simplified: SimplifiedStatus | None = prop(
        "simplified", Obj(SimplifiedStatus), pointer=True, doc="Summary status shown by kubectl."
    )
    in_flight_synthesis: Synthesis | None = prop(
        "inFlightSynthesis", Obj(Synthesis), pointer=True, doc="The synthesis running now."
    )
    current_synthesis: Synthesis | None = prop(
        "currentSynthesis",
        Obj(Synthesis),
        pointer=True,
        doc="The last successful synthesis: what is reconciled.",
    )
    previous_synthesis: Synthesis | None = prop(
        "previousSynthesis", Obj(Synthesis), pointer=True, doc="The synthesis before currentSynthesis."
    )
    input_revisions: tuple[InputRevisions, ...] = prop("inputRevisions", List(Obj(InputRevisions)))
    dependency_status: DependencyStatus | None = prop("dependencyStatus", Obj(DependencyStatus), pointer=True)


@attrs.frozen
class Composition(Kind):
    kind = "Composition"
    plural = "compositions"
    singular = "composition"
    list_kind = "CompositionList"
    description = "A request to run one synthesizer with particular inputs and reconcile its output."
    printer_columns = (
        PrinterColumn("Synthesizer", "string", ".spec.synthesizer.name"),
        PrinterColumn("Age", "date", ".status.currentSynthesis.synthesized"),
        PrinterColumn("Status", "string", ".status.simplified.status"),
        PrinterColumn("Error", "string", ".status.simplified.error"),
    )

    spec: CompositionSpec = prop(
        "spec",
        Obj(CompositionSpec),
        doc="Which synthesizer to run, with which inputs; a change resynthesizes.",
    )
    status: CompositionStatus = prop(
        "status", Obj(CompositionStatus), doc="Written by Eno: syntheses and their progress."
    )


__all__ = [
    "BlockedByRef",
    "Composition",
    "CompositionDependency",
    "CompositionSpec",
    "CompositionStatus",
    "DependencyStatus",
    "ResourceSliceRef",
    "SimplifiedStatus",
    "Synthesis",
]
