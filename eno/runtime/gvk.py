"""Group/version/kind and group/version/resource identities, and how typed objects name theirs."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import attrs

Unstructured = dict[str, Any]


@attrs.frozen
class GVK:
    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @classmethod
    def from_api_version(cls, api_version: str, kind: str) -> GVK:
        group, _, version = api_version.rpartition("/")
        return cls(group, version, kind)

    @classmethod
    def of(cls, obj: Unstructured) -> GVK:
        """The GVK an unstructured object declares."""
        return cls.from_api_version(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))

    def __str__(self) -> str:
        return f"{self.api_version}, Kind={self.kind}"


@attrs.frozen
class GVR:
    group: str
    version: str
    resource: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def __str__(self) -> str:
        return f"{self.api_version}, Resource={self.resource}"


@runtime_checkable
class KubeObject(Protocol):
    """A typed API object: names its apiVersion and kind and converts to and from the API's JSON."""

    api_version: ClassVar[str]
    kind: ClassVar[str]

    def to_dict(self) -> Unstructured: ...

    @classmethod
    def from_dict(cls, data: Unstructured) -> Self: ...


def gvk_of_type(cls: type[KubeObject]) -> GVK:
    return GVK.from_api_version(cls.api_version, cls.kind)
