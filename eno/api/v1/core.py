"""The Kubernetes core (`k8s.io/api/core/v1`, `meta/v1`) types that Eno's schema embeds.

Only what the CRDs need: LabelSelector (SynthesizerRef), and Affinity and ResourceRequirements
(Synthesizer podOverrides). Fields and schema facts follow the Kubernetes API.
"""

# prop() returns attrs.field(...); ruff takes it for a call in a dataclass default.
# ruff: noqa: RUF009

from __future__ import annotations

import attrs

from eno.api.v1.model import STRING, STRING_MAP, Int, List, Map, Model, Obj, Quantity, prop

_ATOMIC_STRINGS = List(STRING, list_type="atomic")


@attrs.frozen
class LabelSelectorRequirement(Model):
    key: str = prop("key", STRING, required=True)
    operator: str = prop("operator", STRING, required=True)
    values: tuple[str, ...] = prop("values", _ATOMIC_STRINGS)


@attrs.frozen
class LabelSelector(Model):
    schema_map_type = "atomic"

    match_expressions: tuple[LabelSelectorRequirement, ...] = prop(
        "matchExpressions", List(Obj(LabelSelectorRequirement), list_type="atomic")
    )
    match_labels: dict[str, str] = prop("matchLabels", STRING_MAP)


@attrs.frozen
class NodeSelectorRequirement(Model):
    key: str = prop("key", STRING, required=True)
    operator: str = prop("operator", STRING, required=True)
    values: tuple[str, ...] = prop("values", _ATOMIC_STRINGS)


_REQUIREMENTS = List(Obj(NodeSelectorRequirement), list_type="atomic")


@attrs.frozen
class NodeSelectorTerm(Model):
    schema_map_type = "atomic"

    match_expressions: tuple[NodeSelectorRequirement, ...] = prop("matchExpressions", _REQUIREMENTS)
    match_fields: tuple[NodeSelectorRequirement, ...] = prop("matchFields", _REQUIREMENTS)


@attrs.frozen
class NodeSelector(Model):
    schema_map_type = "atomic"

    node_selector_terms: tuple[NodeSelectorTerm, ...] = prop(
        "nodeSelectorTerms", List(Obj(NodeSelectorTerm), list_type="atomic"), required=True
    )


@attrs.frozen
class PreferredSchedulingTerm(Model):
    preference: NodeSelectorTerm = prop("preference", Obj(NodeSelectorTerm), required=True)
    weight: int = prop("weight", Int("int32"), required=True)


@attrs.frozen
class NodeAffinity(Model):
    required_during_scheduling_ignored_during_execution: NodeSelector | None = prop(
        "requiredDuringSchedulingIgnoredDuringExecution", Obj(NodeSelector), pointer=True
    )
    preferred_during_scheduling_ignored_during_execution: tuple[PreferredSchedulingTerm, ...] = prop(
        "preferredDuringSchedulingIgnoredDuringExecution",
        List(Obj(PreferredSchedulingTerm), list_type="atomic"),
    )


@attrs.frozen
class PodAffinityTerm(Model):
    label_selector: LabelSelector | None = prop("labelSelector", Obj(LabelSelector), pointer=True)
    namespaces: tuple[str, ...] = prop("namespaces", _ATOMIC_STRINGS)
    topology_key: str = prop("topologyKey", STRING, required=True)
    namespace_selector: LabelSelector | None = prop("namespaceSelector", Obj(LabelSelector), pointer=True)
    match_label_keys: tuple[str, ...] = prop("matchLabelKeys", _ATOMIC_STRINGS)
    mismatch_label_keys: tuple[str, ...] = prop("mismatchLabelKeys", _ATOMIC_STRINGS)


@attrs.frozen
class WeightedPodAffinityTerm(Model):
    weight: int = prop("weight", Int("int32"), required=True)
    pod_affinity_term: PodAffinityTerm = prop("podAffinityTerm", Obj(PodAffinityTerm), required=True)


_REQUIRED_TERMS = List(Obj(PodAffinityTerm), list_type="atomic")
_PREFERRED_TERMS = List(Obj(WeightedPodAffinityTerm), list_type="atomic")


@attrs.frozen
class PodAffinity(Model):
    required_during_scheduling_ignored_during_execution: tuple[PodAffinityTerm, ...] = prop(
        "requiredDuringSchedulingIgnoredDuringExecution", _REQUIRED_TERMS
    )
    preferred_during_scheduling_ignored_during_execution: tuple[WeightedPodAffinityTerm, ...] = prop(
        "preferredDuringSchedulingIgnoredDuringExecution", _PREFERRED_TERMS
    )


@attrs.frozen
class PodAntiAffinity(Model):
    required_during_scheduling_ignored_during_execution: tuple[PodAffinityTerm, ...] = prop(
        "requiredDuringSchedulingIgnoredDuringExecution", _REQUIRED_TERMS
    )
    preferred_during_scheduling_ignored_during_execution: tuple[WeightedPodAffinityTerm, ...] = prop(
        "preferredDuringSchedulingIgnoredDuringExecution", _PREFERRED_TERMS
    )


@attrs.frozen
class Affinity(Model):
    node_affinity: NodeAffinity | None = prop("nodeAffinity", Obj(NodeAffinity), pointer=True)
    pod_affinity: PodAffinity | None = prop("podAffinity", Obj(PodAffinity), pointer=True)
    pod_anti_affinity: PodAntiAffinity | None = prop("podAntiAffinity", Obj(PodAntiAffinity), pointer=True)


@attrs.frozen
class ResourceClaim(Model):
    name: str = prop("name", STRING, required=True)
    request: str = prop("request", STRING)


@attrs.frozen
class ResourceRequirements(Model):
    limits: dict[str, int | str] = prop("limits", Map(Quantity()))
    requests: dict[str, int | str] = prop("requests", Map(Quantity()))
    claims: tuple[ResourceClaim, ...] = prop(
        "claims", List(Obj(ResourceClaim), list_type="map", map_keys=("name",))
    )


__all__ = [
    "Affinity",
    "LabelSelector",
    "LabelSelectorRequirement",
    "NodeAffinity",
    "NodeSelector",
    "NodeSelectorRequirement",
    "NodeSelectorTerm",
    "PodAffinity",
    "PodAffinityTerm",
    "PodAntiAffinity",
    "PreferredSchedulingTerm",
    "ResourceClaim",
    "ResourceRequirements",
    "WeightedPodAffinityTerm",
]
