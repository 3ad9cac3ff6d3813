"""The input ResourceList a synthesizer reads on stdin (spec synthesis.md §10, api.md §6.3).

For each of the synthesizer's refs, in order: the bound object (the composition's binding wins over the
ref's own name), read in full, with annotation `eno.azure.io/input-key: <key>` added to the copy sent.
A missing optional input is left out; `functionConfig.optionalRefs` lists every optional key.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import attrs

from eno.api.v1 import constants as c
from eno.api.v1.bindings import ref_target
from eno.api.v1.common import InputRevisions
from eno.api.v1.composition import Composition
from eno.api.v1.krm import function_config
from eno.api.v1.predicates import new_input_revisions
from eno.api.v1.synthesizer import Synthesizer
from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.gvk import GVK

Obj = dict[str, Any]


class InputError(Exception):
    """A required input cannot be read: the synthesis cannot start."""


@attrs.frozen
class Inputs:
    items: tuple[Obj, ...]
    revisions: tuple[InputRevisions, ...]
    optional_refs: tuple[str, ...]

    def resource_list(self) -> Obj:
        # Go Eno sends `"items": null` with no inputs; an empty list is what a KRM reader expects.
        return {
            "apiVersion": c.KRM_API_VERSION,
            "kind": c.KRM_KIND,
            "items": list(self.items),
            "functionConfig": function_config(list(self.optional_refs)),
        }

    def encode(self) -> bytes:
        """The stdin document: JSON and a trailing newline, as Eno's executor writes it."""
        return json.dumps(self.resource_list(), separators=(",", ":")).encode() + b"\n"


def with_input_key(obj: Mapping[str, Any], key: str) -> Obj:
    """A copy of `obj` carrying the input-key annotation (other annotations kept)."""
    out = copy.deepcopy(dict(obj))
    metadata = dict(out.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), c.ANNOTATION_INPUT_KEY: key}
    out["metadata"] = metadata
    return out


async def read_inputs(client: Client, synth: Synthesizer, comp: Composition) -> Inputs:
    """Read every bound input of `comp` from the server (not a cache: the synthesis sees the latest)."""
    items: list[Obj] = []
    revisions: list[InputRevisions] = []
    for ref in synth.spec.refs:
        target = ref_target(ref, comp)
        if target is None:
            if ref.optional:
                continue
            raise InputError(f'input "{ref.key}" is not bound by the composition')
        gvk = GVK(ref.resource.group, ref.resource.version, ref.resource.kind)
        try:
            obj = await client.get(gvk, target.name, target.namespace or None)
        except NotFound:
            if ref.optional:
                continue
            raise InputError(
                f'input "{ref.key}" ({ref.resource.kind} {target.namespace}/{target.name}) not found'
            ) from None
        items.append(with_input_key(obj, ref.key))
        revisions.append(new_input_revisions(obj, ref.key))
    optional = tuple(ref.key for ref in synth.spec.refs if ref.optional)
    return Inputs(tuple(items), tuple(revisions), optional)
