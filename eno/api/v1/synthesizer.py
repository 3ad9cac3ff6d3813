"""Synthesizer: a cluster-scoped container image that turns inputs into manifests (spec api.md §2)."""

# prop() returns attrs.field(...); ruff takes it for a call in a dataclass default.
# ruff: noqa: RUF009

from __future__ import annotations

import attrs

from eno.api.v1.core import Affinity, ResourceRequirements
from eno.api.v1.kind import Kind, PrinterColumn
from eno.api.v1.model import BOOL, DURATION, STRING, STRING_MAP, List, Model, Obj, Validation, prop


@attrs.frozen
class ResourceRef(Model):
    """The type of an input; with `name` also an implicit binding (a composition binding wins, §10.6)."""

    group: str = prop("group", STRING)
    version: str = prop("version", STRING)
    kind: str = prop("kind", STRING, required=True)
    name: str = prop(
        "name", STRING, doc="With namespace: a fixed object, so compositions need no binding for this key."
    )
    namespace: str = prop("namespace", STRING)


@attrs.frozen
class Ref(Model):
    """A named input slot that compositions bind to concrete objects."""

    key: str = prop("key", STRING, required=True)
    resource: ResourceRef = prop("resource", Obj(ResourceRef), required=True)
    defer: bool = prop("defer", BOOL, doc="Changes to this input wait for the rollout cooldown.")
    optional: bool = prop("optional", BOOL, default=False, doc="A missing input does not block synthesis.")


@attrs.frozen
class PodOverrides(Model):
    """Extra settings for synthesis pods."""

    labels: dict[str, str] = prop("labels", STRING_MAP)
    annotations: dict[str, str] = prop("annotations", STRING_MAP)
    resources: ResourceRequirements = prop("resources", Obj(ResourceRequirements))
    affinity: Affinity | None = prop("affinity", Obj(Affinity), pointer=True)


@attrs.frozen
class SynthesizerSpec(Model):
    # Kept although nothing reads the timeouts, so objects written for Go Eno validate the same (§10.2).
    schema_validations = (
        Validation(
            rule="duration(self.execTimeout) <= duration(self.podTimeout)",
            message="podTimeout must be greater than execTimeout",
        ),
    )

    image: str = prop("image", STRING, doc="Image of the synthesis container.")
    command: tuple[str, ...] = prop(
        "command",
        List(STRING),
        default=["synthesize"],
        doc="Command run in the image; stdin and stdout carry a KRM ResourceList.",
    )
    exec_timeout: str = prop("execTimeout", DURATION, default="10s", doc="Deprecated: not read by Eno.")
    pod_timeout: str = prop("podTimeout", DURATION, default="2m", doc="Deprecated: not read by Eno.")
    refs: tuple[Ref, ...] = prop("refs", List(Obj(Ref)), doc="The input slots compositions bind to objects.")
    pod_overrides: PodOverrides = prop(
        "podOverrides",
        Obj(PodOverrides),
        doc="Extra labels, annotations, resources and affinity for synthesis pods.",
    )


@attrs.frozen
class SynthesizerStatus(Model):
    """Empty: Eno records nothing on a Synthesizer."""


@attrs.frozen
class Synthesizer(Kind):
    kind = "Synthesizer"
    plural = "synthesizers"
    singular = "synthesizer"
    list_kind = "SynthesizerList"
    description = (
        "A container image that turns a composition's inputs into Kubernetes manifests (KRM function)."
    )
    scope = "Cluster"
    printer_columns = (PrinterColumn("Image", "string", ".spec.image"),)

    spec: SynthesizerSpec = prop(
        "spec", Obj(SynthesizerSpec), doc="The synthesis image, its command and its inputs."
    )
    status: SynthesizerStatus = prop("status", Obj(SynthesizerStatus))
