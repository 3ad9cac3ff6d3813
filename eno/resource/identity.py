"""How a synthesized resource is named: its Ref, its GVK and where its manifest sits (spec §1)."""

from __future__ import annotations

import attrs


@attrs.frozen(order=True)
class Ref:
    """Identity of a resource inside a synthesis: (group, kind, namespace, name); the version is excluded.

    A Patch keeps group `eno.azure.io` and kind `Patch`, so it never collides with the object it targets.
    """

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"({self.group}.{self.kind})/{self.namespace}/{self.name}"


@attrs.frozen
class GroupVersionKind:
    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@attrs.frozen(order=True)
class ManifestRef:
    """Where a manifest is stored, and so where its status is written: slice and index."""

    slice_namespace: str
    slice_name: str
    index: int

    def __str__(self) -> str:
        return f"{self.slice_namespace}/{self.slice_name}[{self.index}]"


def parse_group_version(api_version: str) -> tuple[str, str]:
    """("apps", "v1") from "apps/v1", ("", "v1") from "v1". Raises ValueError for more than one slash."""
    if api_version.count("/") > 1:
        raise ValueError(f"unexpected GroupVersion string: {api_version}")
    group, _, version = api_version.rpartition("/")
    return group, version
