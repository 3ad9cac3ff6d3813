"""The states the reconciler wrote, so their echo through the informer costs no pass."""

from __future__ import annotations

from eno.api.v1.resourceslice import ResourceState
from eno.resource.identity import ManifestRef

StateKey = tuple[bool, bool, str | None]  # (reconciled, deleted, ready): what the tree compares


class Echoes:
    """The states the reconciler wrote, per composition, synthesis and slot. When one comes back through
    the informer, the tree enqueues its resource again (Eno's "usually a no-op pass"); we skip that pass,
    since the pass that wrote the state had just verified the resource."""

    def __init__(self) -> None:
        self._written: dict[tuple[str, str], dict[tuple[str, ManifestRef], StateKey]] = {}

    def record(self, composition: tuple[str, str], uuid: str, slot: ManifestRef, state: StateKey) -> None:
        self._written.setdefault(composition, {})[(uuid, slot)] = state

    def is_echo(
        self, composition: tuple[str, str], uuid: str, slot: ManifestRef, state: ResourceState | None
    ) -> bool:
        written = self._written.get(composition, {})
        if state is None or written.get((uuid, slot)) != (state.reconciled, state.deleted, state.ready):
            return False
        del written[(uuid, slot)]
        return True

    def forget(self, composition: tuple[str, str], keep: set[str]) -> None:
        written = self._written.get(composition, {})
        for key in [k for k in written if k[0] not in keep]:
            del written[key]
        if not written:
            self._written.pop(composition, None)
