"""Compositions as the reconciler reads them: typed, decoded once per resourceVersion, and the part of
their metadata a resource's pass depends on."""

from __future__ import annotations

from collections.abc import Hashable

from eno.api.v1 import Composition
from eno.api.v1 import constants as c
from eno.resource.overrides import CompositionMetadata
from eno.resource.resource import Resource
from eno.runtime.cache import Cache
from eno.runtime.errors import NotFound
from eno.runtime.frozen import thaw
from eno.runtime.gvk import gvk_of_type

COMPOSITION = gvk_of_type(Composition)


def composition_view(resource: Resource, meta: CompositionMetadata) -> Hashable:
    """What of the composition's metadata a resource's pass can depend on: all of it when it has
    overrides (they may read `composition`, or unset a cascading key); otherwise the cascading flags it
    does not set itself, the deletion timestamp and the symphony-deleting label."""
    if resource.overrides:
        return (
            meta.name,
            meta.namespace,
            tuple(sorted(meta.labels.items())),
            tuple(sorted(meta.annotations.items())),
            meta.deletion_timestamp,
        )
    annotations = resource.manifest.get("metadata", {}).get("annotations") or {}
    cascaded = tuple(
        (key, meta.annotations.get(key)) for key in c.CASCADING_ANNOTATIONS if key not in annotations
    )
    return cascaded, meta.deletion_timestamp, meta.labels.get(c.LABEL_SYMPHONY_DELETING)


class Compositions:
    """Typed compositions from the informer cache, decoded once per resourceVersion (every resource pass
    reads its composition)."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self._decoded: dict[tuple[str, str], tuple[str, Composition]] = {}

    async def get(self, namespace: str, name: str) -> Composition:
        try:
            raw = await self.cache.get(COMPOSITION, name, namespace)
        except NotFound:
            self._decoded.pop((namespace, name), None)
            raise
        version = str(raw["metadata"].get("resourceVersion") or "")
        known = self._decoded.get((namespace, name))
        if known is not None and known[0] == version:
            return known[1]
        comp = Composition.from_dict(thaw(raw))
        self._decoded[(namespace, name)] = (version, comp)
        return comp
