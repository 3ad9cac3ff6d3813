"""Eno's API, `eno.azure.io/v1`: attrs types for every kind and nested type, with lossless JSON conversion.

Modules: one per kind (synthesizer, composition, symphony, resourceslice), common (shared nested types),
core (the Kubernetes core types the schema embeds), krm (ResourceList), patch (the Patch pseudo-kind),
inputs (legacy Input), constants (every eno.azure.io key), predicates (pure helper logic), bindings (ref
resolution, per-key inputRevisions), times (Time and Go duration text), model (the declarative field
machinery), crds (CRDs generated from the types).
"""

from eno.api.v1.common import Binding, EnvVar, InputRevisions, ResourceBinding, Result, SynthesizerRef
from eno.api.v1.composition import (
    BlockedByRef,
    Composition,
    CompositionDependency,
    CompositionSpec,
    CompositionStatus,
    DependencyStatus,
    ResourceSliceRef,
    SimplifiedStatus,
    Synthesis,
)
from eno.api.v1.kind import Kind
from eno.api.v1.krm import KrmResult, ResourceList
from eno.api.v1.model import DecodeError, Model
from eno.api.v1.patch import Patch, PatchSpec
from eno.api.v1.resourceslice import (
    Manifest,
    ResourceSlice,
    ResourceSliceSpec,
    ResourceSliceStatus,
    ResourceState,
)
from eno.api.v1.symphony import Symphony, SymphonySpec, SymphonyStatus, Variation, VariationDependency
from eno.api.v1.synthesizer import (
    PodOverrides,
    Ref,
    ResourceRef,
    Synthesizer,
    SynthesizerSpec,
    SynthesizerStatus,
)

KINDS: tuple[type[Kind], ...] = (Synthesizer, Composition, Symphony, ResourceSlice)

__all__ = [
    "KINDS",
    "Binding",
    "BlockedByRef",
    "Composition",
    "CompositionDependency",
    "CompositionSpec",
    "CompositionStatus",
    "DecodeError",
    "DependencyStatus",
    "EnvVar",
    "InputRevisions",
    "Kind",
    "KrmResult",
    "Manifest",
    "Model",
    "Patch",
    "PatchSpec",
    "PodOverrides",
    "Ref",
    "ResourceBinding",
    "ResourceList",
    "ResourceRef",
    "ResourceSlice",
    "ResourceSliceRef",
    "ResourceSliceSpec",
    "ResourceSliceStatus",
    "ResourceState",
    "Result",
    "SimplifiedStatus",
    "Symphony",
    "SymphonySpec",
    "SymphonyStatus",
    "Synthesis",
    "Synthesizer",
    "SynthesizerRef",
    "SynthesizerSpec",
    "SynthesizerStatus",
    "Variation",
    "VariationDependency",
]
