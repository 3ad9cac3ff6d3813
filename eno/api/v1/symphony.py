"""Symphony: a namespaced set of variations, each materialised as one Composition (spec api.md §4)."""

# prop() returns attrs.field(...); ruff takes it for a call in a dataclass default.
# ruff: noqa: RUF009

from __future__ import annotations

import attrs

from eno.api.v1.common import Binding, EnvVar, SynthesizerRef
from eno.api.v1.kind import Kind
from eno.api.v1.model import BOOL, STRING, STRING_MAP, TIME, Int, List, Model, Obj, prop


@attrs.frozen
class VariationDependency(Model):
    """Names another variation of the same symphony by its synthesizer."""

    synthesizer: str = prop("synthesizer", STRING)


@attrs.frozen
class Variation(Model):
    """One composition to create; its synthesizer is also its identity."""

    labels: dict[str, str] = prop("labels", STRING_MAP)
    annotations: dict[str, str] = prop("annotations", STRING_MAP)
    synthesizer: SynthesizerRef = prop("synthesizer", Obj(SynthesizerRef))
    bindings: tuple[Binding, ...] = prop(
        "bindings", List(Obj(Binding)), doc="Merged over the symphony's bindings by key; the variation wins."
    )
    synthesis_env: tuple[EnvVar, ...] = prop("synthesisEnv", List(Obj(EnvVar), max_items=25))
    optional: bool = prop("optional", BOOL, doc="Left out of the symphony status aggregation.")
    depends_on: tuple[VariationDependency, ...] = prop(
        "dependsOn", List(Obj(VariationDependency), max_items=50)
    )


@attrs.frozen
class SymphonySpec(Model):
    variations: tuple[Variation, ...] = prop(
        "variations",
        List(Obj(Variation)),
        doc="Each variation becomes one Composition; removing one deletes it.",
    )
    bindings: tuple[Binding, ...] = prop(
        "bindings", List(Obj(Binding)), doc="Bindings shared by every variation."
    )
    synthesis_env: tuple[EnvVar, ...] = prop("synthesisEnv", List(Obj(EnvVar), max_items=50))


@attrs.frozen
class SymphonyStatus(Model):
    observed_generation: int = prop("observedGeneration", Int("int64"))
    synthesized: str | None = prop("synthesized", TIME, pointer=True)
    reconciled: str | None = prop("reconciled", TIME, pointer=True)
    ready: str | None = prop("ready", TIME, pointer=True)


@attrs.frozen
class Symphony(Kind):
    kind = "Symphony"
    plural = "symphonies"
    singular = "symphony"
    list_kind = "SymphonyList"
    description = "A set of variations, each materialised as one Composition sharing bindings."

    spec: SymphonySpec = prop("spec", Obj(SymphonySpec), doc="The variations and what they share.")
    status: SymphonyStatus = prop(
        "status", Obj(SymphonyStatus), doc="Written by Eno: the latest state across the compositions."
    )
