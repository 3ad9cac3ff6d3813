"""Loading one synthesis's slices into Resources (spec reconciliation.md §2.3 "Cache fill", §2.1 filter).

Manifests are parsed in slice order, then index order. The optional `--resource-filter` program sees `self`
= the manifest as synthesized (before overrides, Eno annotations still present; a Patch document for a
Patch) and the composition; anything but exactly `true`, or an evaluation error, excludes the resource: it
does not exist for the reconciler at all.

Eno stores nothing for a synthesis with any invalid manifest (and retries forever). We return the valid
resources and the invalid ones as errors; `LoadedSynthesis.complete` tells a caller that wants Eno's
all-or-nothing rule whether every manifest parsed.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from eno.api.v1.resourceslice import ResourceSlice
from eno.cel.engine import CelError, Engine, Program
from eno.resource.errors import ResourceError
from eno.resource.identity import ManifestRef
from eno.resource.overrides import CompositionMetadata
from eno.resource.resource import Resource, parse_manifest


@attrs.frozen
class LoadedSynthesis:
    resources: tuple[Resource, ...]  # valid and admitted by the filter, in slice then index order
    errors: tuple[ResourceError, ...]  # manifests that could not be parsed
    filtered_out: int = 0  # excluded because the filter said no
    filter_errors: int = 0  # excluded because the filter failed (eno_resource_filter_eval_errors_total)

    @property
    def complete(self) -> bool:
        return not self.errors


def load_synthesis(
    slices: Sequence[ResourceSlice],
    engine: Engine,
    composition: CompositionMetadata,
    *,
    resource_filter: Program | None = None,
) -> LoadedSynthesis:
    """Parse every manifest of `slices`. `composition.deletion_timestamp` at load time is frozen into each
    resource as `composition_deleted` (spec §2.3). Never raises."""
    deleting = composition.deletion_timestamp is not None
    comp = composition.to_cel()
    resources: list[Resource] = []
    errors: list[ResourceError] = []
    filtered_out = filter_errors = 0
    for piece in slices:
        for index, manifest in enumerate(piece.spec.resources):
            slot = ManifestRef(piece.namespace, piece.name, index)
            parsed = parse_manifest(
                manifest.manifest, engine, slot, deleted=manifest.deleted, composition_deleted=deleting
            )
            if isinstance(parsed, ResourceError):
                errors.append(parsed)
                continue
            if resource_filter is not None:
                try:
                    admitted = resource_filter.evaluate({"self": parsed.manifest, "composition": comp})
                except CelError:
                    filter_errors += 1
                    continue
                if admitted is not True:
                    if not isinstance(admitted, bool):
                        filter_errors += 1  # a non-boolean result counts as an evaluation error
                    else:
                        filtered_out += 1
                    continue
            resources.append(parsed)
    return LoadedSynthesis(tuple(resources), tuple(errors), filtered_out, filter_errors)
