"""From an input object to the compositions and ref keys it is bound to, and back (synthesis.md §3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from eno.api.v1 import Composition, Synthesizer
from eno.api.v1.synthesizer import ResourceRef
from eno.runtime.gvk import GVK
from eno.runtime.reconcile import Request


@attrs.frozen
class RefKey:
    """A kind-watch controller's identity: the whole ResourceRef, so two implicit names get two of them."""

    group: str
    version: str
    kind: str
    name: str = ""
    namespace: str = ""

    @classmethod
    def of(cls, ref: ResourceRef) -> RefKey:
        return cls(ref.group, ref.version, ref.kind, ref.name, ref.namespace)

    @property
    def gvk(self) -> GVK:
        return GVK(self.group, self.version, self.kind)

    @property
    def controller_name(self) -> str:
        return f"kindWatchController-{self.gvk.api_version}-{self.kind}-{self.name}-{self.namespace}"


def gvk_index_value(group: str, version: str, kind: str) -> str:
    """Go's path.Join(group, version, kind): core kinds index as `v1/ConfigMap`."""
    return "/".join(p for p in (group, version, kind) if p)


def synthesizer_ref_kinds(synth: Mapping[str, Any]) -> list[str]:
    """Index function: the kinds a (wire) synthesizer refers to."""
    spec = synth.get("spec")
    refs = spec.get("refs") if isinstance(spec, Mapping) else None
    out = set()
    for ref in refs or ():
        resource = ref.get("resource") if isinstance(ref, Mapping) else None
        if isinstance(resource, Mapping):
            out.add(
                gvk_index_value(
                    str(resource.get("group") or ""),
                    str(resource.get("version") or ""),
                    str(resource.get("kind") or ""),
                )
            )
    return sorted(out)


def binding_index_value(synth_name: str, namespace: str, name: str) -> str:
    return "/".join(p for p in (synth_name, namespace, name) if p)


def composition_bindings(comp: Mapping[str, Any]) -> list[str]:
    """Index function: `synthName/namespace/name` of every object a (wire) composition binds."""
    spec = comp.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    synth = spec.get("synthesizer")
    synth_name = str(synth.get("name") or "") if isinstance(synth, Mapping) else ""
    out = set()
    for binding in spec.get("bindings") or ():
        resource = binding.get("resource") if isinstance(binding, Mapping) else None
        if isinstance(resource, Mapping):
            out.add(
                binding_index_value(
                    synth_name, str(resource.get("namespace") or ""), str(resource.get("name") or "")
                )
            )
    return sorted(out)


def build_requests(synth: Synthesizer, comps: Iterable[Composition]) -> list[Request]:
    """Every input object `synth` reads for `comps`: implicit refs, then bound keys. Deduplicated."""
    out: dict[Request, None] = {}
    keys = set()
    for ref in synth.spec.refs:
        if ref.resource.name:
            out[Request(ref.resource.namespace, ref.resource.name)] = None
        else:
            keys.add(ref.key)
    for comp in comps:
        for binding in comp.spec.bindings:
            if binding.key in keys:
                out[Request(binding.resource.namespace, binding.resource.name)] = None
    return list(out)


def find_ref_key(comp: Composition, synth: Synthesizer, gvk: GVK, namespace: str, name: str) -> str:
    """The ref key under which `comp` reads the object, or "".

    A composition binding names the object's key; the first ref of the object's kind with that key, or
    whose own implicit binding is the object (and not overridden by a binding of the composition), wins."""
    binding_key = next(
        (b.key for b in comp.spec.bindings if b.resource.name == name and b.resource.namespace == namespace),
        "",
    )
    explicit = {b.key for b in comp.spec.bindings}
    for ref in synth.spec.refs:
        res = ref.resource
        if (res.group, res.version, res.kind) != (gvk.group, gvk.version, gvk.kind):
            continue
        if binding_key and ref.key == binding_key:
            return ref.key
        # An implicit binding the composition overrides with its own binding is not read (the synthesis
        # reads the explicit one), so it does not count either (Eno: last write wins).
        if res.name and res.name == name and res.namespace == namespace and ref.key not in explicit:
            return ref.key
    return ""


def ref_for(synth: Synthesizer, key: str) -> Any:
    return next((ref for ref in synth.spec.refs if ref.key == key), None)


def implicitly_bound(synth: Synthesizer, gvk: GVK, namespace: str, name: str) -> bool:
    """Some ref of `synth` names exactly this object itself."""
    return any(
        ref.resource.name == name
        and ref.resource.namespace == namespace
        and (ref.resource.group, ref.resource.version, ref.resource.kind)
        == (gvk.group, gvk.version, gvk.kind)
        for ref in synth.spec.refs
    )


def stale_input_key(synth: Synthesizer | None, comp: Composition) -> str | None:
    """The first status.inputRevisions key bound neither by the composition nor implicitly (pruned)."""
    bound = {b.key for b in comp.spec.bindings}
    if synth is not None:
        bound |= {ref.key for ref in synth.spec.refs if ref.resource.name}
    return next((r.key for r in comp.status.input_revisions if r.key not in bound), None)
