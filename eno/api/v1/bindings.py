"""Resolving a synthesizer's refs to bound objects, and keeping `status.inputRevisions` one entry per key.

Pure functions for the executor and the input controllers (spec api.md §3.3, §6.3, §9.3).
"""

from __future__ import annotations

from collections.abc import Sequence

from eno.api.v1.common import Binding, InputRevisions, ResourceBinding
from eno.api.v1.composition import Composition
from eno.api.v1.synthesizer import Ref, Synthesizer


def binding_for(comp: Composition, key: str) -> Binding | None:
    """The composition's first binding for `key`."""
    return next((b for b in comp.spec.bindings if b.key == key), None)


def implicit_binding(ref: Ref) -> ResourceBinding | None:
    """The fixed object a ref names itself (`resource.name`, with its namespace), if any."""
    if not ref.resource.name:
        return None
    return ResourceBinding(name=ref.resource.name, namespace=ref.resource.namespace)


def ref_target(ref: Ref, comp: Composition) -> ResourceBinding | None:
    """The object to read for `ref`: the composition's binding wins over the implicit one (§10.6, kept)."""
    binding = binding_for(comp, ref.key)
    if binding is not None:
        return binding.resource
    return implicit_binding(ref)


def is_bound(synth: Synthesizer, comp: Composition, key: str) -> bool:
    """`key` has a composition binding or an implicit binding in the synthesizer."""
    if binding_for(comp, key) is not None:
        return True
    return any(ref.key == key and implicit_binding(ref) is not None for ref in synth.spec.refs)


def upsert_input_revision(revs: Sequence[InputRevisions], rev: InputRevisions) -> tuple[InputRevisions, ...]:
    """Replace the entry for `rev.key` in place, or append it."""
    out = list(revs)
    for i, existing in enumerate(out):
        if existing.key == rev.key:
            out[i] = rev
            return tuple(out)
    out.append(rev)
    return tuple(out)


def remove_input_revision(revs: Sequence[InputRevisions], key: str) -> tuple[InputRevisions, ...]:
    """Drop the entry for `key` (done when an optional input is deleted; a required one keeps its entry)."""
    return tuple(r for r in revs if r.key != key)


def prune_input_revisions(synth: Synthesizer, comp: Composition) -> tuple[InputRevisions, ...]:
    """status.inputRevisions without the entries whose key is no longer bound at all."""
    return tuple(r for r in comp.status.input_revisions if is_bound(synth, comp, r.key))
