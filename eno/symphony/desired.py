"""One variation to the composition it should produce (spec controllers.md §2.5, api.md §9.8).

Everything here builds values in a fixed, deterministic order and compares normalised JSON, because a
controller that computes a slightly different spec each pass (list order, None against []) writes forever.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from eno.api.v1 import (
    Binding,
    Composition,
    CompositionDependency,
    CompositionSpec,
    EnvVar,
    Symphony,
    Variation,
)
from eno.api.v1.constants import API_VERSION


def merge_bindings(symphony: Sequence[Binding], variation: Sequence[Binding]) -> tuple[Binding, ...]:
    """Symphony bindings, the variation's overriding by key in place, new keys appended; first key wins."""
    merged = list(symphony)
    for binding in variation:
        for i, existing in enumerate(merged):
            if existing.key == binding.key:
                merged[i] = binding
                break
        else:
            merged.append(binding)
    seen: set[str] = set()
    out: list[Binding] = []
    for binding in merged:
        if binding.key not in seen:
            seen.add(binding.key)
            out.append(binding)
    return tuple(out)


def merge_env(symphony: Sequence[EnvVar], variation: Sequence[EnvVar]) -> tuple[EnvVar, ...]:
    """The variation's env (kept as written), then each symphony var whose name is not present yet."""
    out = list(variation)
    names = {env.name for env in out}
    for env in symphony:
        if env.name not in names:
            names.add(env.name)
            out.append(env)
    return tuple(out)


def owner_reference(symphony: Symphony) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "Symphony",
        "name": symphony.name,
        "uid": symphony.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def controller_owner(comp: Composition) -> Mapping[str, Any] | None:
    """The composition's controller ownerReference, of any kind (None when it has none)."""
    for ref in comp.metadata.get("ownerReferences") or ():
        if isinstance(ref, Mapping) and ref.get("controller"):
            return ref
    return None


def owned_by(comp: Composition, symphony: Symphony) -> bool:
    """The composition's controller owner is this symphony (by name, as Eno's index is)."""
    ref = controller_owner(comp)
    return ref is not None and ref.get("kind") == "Symphony" and ref.get("name") == symphony.name


def desired_spec(
    symphony: Symphony, variation: Variation, depends_on: Sequence[CompositionDependency]
) -> CompositionSpec:
    return CompositionSpec(
        synthesizer=variation.synthesizer,
        bindings=merge_bindings(symphony.spec.bindings, variation.bindings),
        synthesis_env=merge_env(symphony.spec.synthesis_env, variation.synthesis_env),
        depends_on=tuple(depends_on),
    )


def desired_composition(
    symphony: Symphony, variation: Variation, depends_on: Sequence[CompositionDependency] = ()
) -> Composition:
    """The composition to create for `variation`: labels and annotations verbatim (empty values too)."""
    metadata: dict[str, Any] = {
        "namespace": symphony.namespace,
        "generateName": variation.synthesizer.name + "-",
        "ownerReferences": [owner_reference(symphony)],
    }
    if variation.labels:
        metadata["labels"] = dict(variation.labels)
    if variation.annotations:
        metadata["annotations"] = dict(variation.annotations)
    return Composition(metadata=metadata, spec=desired_spec(symphony, variation, depends_on))


def normalised(value: Any) -> Any:
    """JSON with None, empty lists and empty maps dropped: Eno's semantic equality for specs."""
    if isinstance(value, Mapping):
        out = {k: normalised(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, [], {})}
    if isinstance(value, list | tuple):
        return [normalised(v) for v in value]
    return value


def spec_equal(a: CompositionSpec, b: CompositionSpec) -> bool:
    return bool(normalised(a.to_dict()) == normalised(b.to_dict()))


@attrs.frozen
class MetadataMerge:
    labels: dict[str, str]
    annotations: dict[str, str]
    changed: bool


def coalesce_metadata(variation: Variation, comp: Composition) -> MetadataMerge:
    """Additive merge of the variation's labels and non-empty annotations into the composition's.

    A label valued "" removes the key; an annotation valued "" is left to the prune phase. Keys the
    variation does not name are left alone.
    """
    labels = comp.labels
    annotations = comp.annotations
    changed = False
    for key, value in variation.labels.items():
        if value == "":
            if key in labels:
                del labels[key]
                changed = True
        elif labels.get(key) != value:
            labels[key] = value
            changed = True
    for key, value in variation.annotations.items():
        if value != "" and annotations.get(key) != value:
            annotations[key] = value
            changed = True
    return MetadataMerge(labels, annotations, changed)


def with_metadata_merge(comp: Composition, merge: MetadataMerge) -> Composition:
    return comp.with_metadata(labels=merge.labels or None, annotations=merge.annotations or None)


def keys_to_prune(variation: Variation, comp: Composition) -> tuple[str, ...]:
    """Annotations the variation sets to "" that the composition still carries (sorted)."""
    present = comp.annotations
    return tuple(sorted(k for k, v in variation.annotations.items() if v == "" and k in present))
