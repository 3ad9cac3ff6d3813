"""Nested types shared by several kinds: bindings, synthesizer refs, env vars, results, input revisions."""

# prop() returns attrs.field(...); ruff takes it for a call in a dataclass default.
# ruff: noqa: RUF009

from __future__ import annotations

import attrs

from eno.api.v1.core import LabelSelector
from eno.api.v1.model import BOOL, STRING, STRING_MAP, Int, Model, Obj, Str, Validation, prop


@attrs.frozen
class ResourceBinding(Model):
    """The object bound to a ref key. Kind, group and version come from the synthesizer's Ref."""

    name: str = prop("name", STRING, required=True)
    namespace: str = prop("namespace", STRING)


@attrs.frozen
class Binding(Model):
    """Maps a synthesizer Ref key to a concrete object."""

    key: str = prop("key", STRING, required=True)
    resource: ResourceBinding = prop("resource", Obj(ResourceBinding), required=True)


@attrs.frozen
class SynthesizerRef(Model):
    """Which Synthesizer to use. Only `name` is read by Eno; `labelSelector` is schema-only (§10.1)."""

    schema_validations = (
        Validation(
            rule="has(self.name) || has(self.labelSelector)",
            message="at least one of name or labelSelector must be set",
        ),
    )

    name: str = prop("name", STRING)
    label_selector: LabelSelector | None = prop("labelSelector", Obj(LabelSelector), pointer=True)


@attrs.frozen
class EnvVar(Model):
    """An extra environment variable for the synthesis container."""

    name: str = prop("name", Str(max_length=100), required=True)
    value: str = prop("value", STRING)


@attrs.frozen
class Result(Model):
    """A KRM result copied from the synthesizer's output. Only severity exactly "error" is an error."""

    message: str = prop("message", STRING)
    severity: str = prop("severity", STRING)
    tags: dict[str, str] = prop("tags", STRING_MAP)


@attrs.frozen
class InputRevisions(Model):
    """The observed version of one bound input (see predicates.new_input_revisions)."""

    key: str = prop("key", STRING)
    resource_version: str = prop("resourceVersion", STRING)
    revision: int | None = prop("revision", Int(), pointer=True)
    synthesizer_generation: int | None = prop("synthesizerGeneration", Int("int64"), pointer=True)
    composition_generation: int | None = prop("compositionGeneration", Int("int64"), pointer=True)
    ignore_side_effects: bool | None = prop("ignoreSideEffects", BOOL, pointer=True)
