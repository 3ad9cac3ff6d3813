"""What `eno migrate` reads from the cluster, as plain JSON objects, and the lookups the steps share."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from eno.api.v1.constants import ANNOTATION_OVERRIDES


@attrs.frozen
class Migration:
    """The command line's subject: move objects of `symphony` from variation `source` to `target`."""

    namespace: str
    symphony: str
    source: str  # synthesizer name of the source variation
    target: str  # synthesizer name of the target variation
    key: str  # the owner annotation key


@attrs.frozen(order=True)
class ObjectRef:
    """A live object's identity (version excluded, as the ownership guard keys it)."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{kind} {self.namespace}/{self.name}" if self.namespace else f"{kind} {self.name}"


@attrs.frozen
class Synthesized:
    """One manifest of a composition's current synthesis, with its slice's reconciliation state."""

    obj: Mapping[str, Any]
    deleted: bool
    reconciled: bool


@attrs.frozen
class Observed:
    """A snapshot of everything the steps look at. `live` maps each candidate object to its live state."""

    symphony: Mapping[str, Any] | None
    compositions: tuple[Mapping[str, Any], ...] = ()
    slices: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)  # by "namespace/name"
    live: Mapping[ObjectRef, Mapping[str, Any] | None] = attrs.field(factory=dict)


def ref_of(obj: Mapping[str, Any], default_namespace: str = "") -> ObjectRef:
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    metadata = obj.get("metadata") or {}
    namespace = str(metadata.get("namespace", default_namespace))
    return ObjectRef(group, str(obj.get("kind", "")), namespace, str(metadata.get("name", "")))


def metadata_of(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    metadata = obj.get("metadata") if isinstance(obj, Mapping) else None
    return metadata if isinstance(metadata, Mapping) else {}


def annotations_of(obj: Mapping[str, Any] | None) -> Mapping[str, str]:
    value = metadata_of(obj).get("annotations")
    return value if isinstance(value, Mapping) else {}


def variations(symphony: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    spec = symphony.get("spec") if isinstance(symphony, Mapping) else None
    value = spec.get("variations") if isinstance(spec, Mapping) else None
    return list(value) if isinstance(value, list) else []


def variation_for(symphony: Mapping[str, Any] | None, synthesizer: str) -> Mapping[str, Any] | None:
    for variation in variations(symphony):
        if (variation.get("synthesizer") or {}).get("name") == synthesizer:
            return variation
    return None


def composition_for(observed: Observed, synthesizer: str) -> Mapping[str, Any] | None:
    """The symphony's composition of `synthesizer` (owned by the symphony, when it has a uid)."""
    uid = metadata_of(observed.symphony).get("uid")
    for comp in observed.compositions:
        if ((comp.get("spec") or {}).get("synthesizer") or {}).get("name") != synthesizer:
            continue
        owners = metadata_of(comp).get("ownerReferences") or []
        if uid and not any(o.get("uid") == uid for o in owners):
            continue
        if metadata_of(comp).get("deletionTimestamp"):
            continue
        return comp
    return None


def current_synthesis(comp: Mapping[str, Any] | None) -> Mapping[str, Any]:
    status = comp.get("status") if isinstance(comp, Mapping) else None
    value = status.get("currentSynthesis") if isinstance(status, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def in_flight(comp: Mapping[str, Any] | None) -> bool:
    status = comp.get("status") if isinstance(comp, Mapping) else None
    return bool(isinstance(status, Mapping) and status.get("inFlightSynthesis"))


def synthesized(observed: Observed, comp: Mapping[str, Any] | None) -> dict[ObjectRef, Synthesized]:
    """The manifests of the composition's current synthesis, by object (unparseable entries skipped)."""
    out: dict[ObjectRef, Synthesized] = {}
    namespace = str(metadata_of(comp).get("namespace", ""))
    for ref in current_synthesis(comp).get("resourceSlices") or []:
        slice_ = observed.slices.get(f"{namespace}/{ref.get('name', '')}")
        if slice_ is None:
            continue
        resources = (slice_.get("spec") or {}).get("resources") or []
        states = (slice_.get("status") or {}).get("resources") or []
        for index, entry in enumerate(resources):
            try:
                obj = json.loads(entry.get("manifest", ""))
            except ValueError:
                continue
            if not isinstance(obj, dict):
                continue
            state = states[index] if index < len(states) else {}
            out[ref_of(obj)] = Synthesized(obj, bool(entry.get("deleted")), bool(state.get("reconciled")))
    return out


def mentions_key(obj: Mapping[str, Any], key: str) -> bool:
    """Whether the manifest carries an override that reads the owner key."""
    return key in str(annotations_of(obj).get(ANNOTATION_OVERRIDES, ""))
