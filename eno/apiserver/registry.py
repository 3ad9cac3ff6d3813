"""What the server serves: one ResourceInfo per (group, version, resource), built-ins plus CRDs.

Discovery, OpenAPI and request routing all read from the Registry; CRD lifecycle adds and removes entries
and the change callbacks let cached documents (OpenAPI) be rebuilt.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import attrs

STANDARD_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
SUBRESOURCE_VERBS = {
    "status": ("get", "patch", "update"),
    "finalize": ("update",),
    "log": ("get",),
    "attach": ("create", "get"),
    "scale": ("get", "patch", "update"),
}


@attrs.frozen
class ResourceInfo:
    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool
    list_kind: str = ""
    singular: str = ""
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = STANDARD_VERBS
    subresources: frozenset[str] = frozenset()
    categories: tuple[str, ...] = ()
    # openAPIV3Schema of a CRD version; None for built-ins (served without schema checks).
    schema: dict[str, Any] | None = attrs.field(default=None, eq=False, hash=False)
    # A CRD version's raw additionalPrinterColumns (table.crd_columns turns them into columns).
    printer_columns: tuple[dict[str, Any], ...] = attrs.field(default=(), eq=False, hash=False)
    builtin: bool = True
    # Field labels a CRD version lets clients select on (selectableFields), beyond metadata.name/namespace.
    selectable_fields: tuple[str, ...] = ()
    # A CRD version's scale subresource: (specReplicasPath, statusReplicasPath, labelSelectorPath).
    scale_paths: tuple[str, str, str] | None = None
    # Whether this version is the one objects are stored at (CRDs); built-ins have one version each.
    storage: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def status_subresource(self) -> bool:
        return "status" in self.subresources

    @property
    def list_kind_name(self) -> str:
        return self.list_kind or f"{self.kind}List"

    @property
    def singular_name(self) -> str:
        return self.singular or self.kind.lower()


def _builtin(
    group: str,
    version: str,
    resource: str,
    kind: str,
    namespaced: bool,
    short: tuple[str, ...] = (),
    sub: Iterable[str] = (),
    categories: tuple[str, ...] = (),
    verbs: tuple[str, ...] = STANDARD_VERBS,
) -> ResourceInfo:
    return ResourceInfo(
        group=group,
        version=version,
        resource=resource,
        kind=kind,
        namespaced=namespaced,
        short_names=short,
        subresources=frozenset(sub),
        categories=categories,
        verbs=verbs,
    )


_NS_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")

BUILTINS: tuple[ResourceInfo, ...] = (
    _builtin("", "v1", "namespaces", "Namespace", False, ("ns",), ("status", "finalize"), verbs=_NS_VERBS),
    _builtin("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
    _builtin("", "v1", "secrets", "Secret", True),
    _builtin("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",)),
    _builtin("", "v1", "services", "Service", True, ("svc",), ("status",), ("all",)),
    _builtin("", "v1", "pods", "Pod", True, ("po",), ("status", "log", "attach"), ("all",)),
    _builtin("", "v1", "events", "Event", True, ("ev",)),
    _builtin("events.k8s.io", "v1", "events", "Event", True, ("ev",)),
    _builtin("coordination.k8s.io", "v1", "leases", "Lease", True),
    _builtin("apps", "v1", "deployments", "Deployment", True, ("deploy",), ("status", "scale"), ("all",)),
    _builtin("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",), ("status", "scale"), ("all",)),
    _builtin("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), ("status",), ("all",)),
    _builtin("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ("pdb",), ("status",)),
    _builtin("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    _builtin("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    _builtin("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    _builtin("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _builtin(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        ("crd", "crds"),
        ("status",),
        ("api-extensions",),
    ),
)

_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key for kube's version priority: GA before beta before alpha, higher numbers first, then others
    alphabetically (k8s.io/apimachinery version.CompareKubeAwareVersionStrings)."""
    m = _VERSION_RE.match(version)
    if not m:
        return (3, 0, 0, version)
    major = int(m.group(1))
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor, "")


ChangeCallback = Callable[[], None]


class Registry:
    """The served resources, with lookups by (group, version, resource) and by (group, kind)."""

    def __init__(self, builtins: Iterable[ResourceInfo] = BUILTINS) -> None:
        self._by_gvr: dict[tuple[str, str, str], ResourceInfo] = {}
        # CRD name -> the infos it registered, so removal is exact.
        self._crd_infos: dict[str, tuple[ResourceInfo, ...]] = {}
        self._callbacks: list[ChangeCallback] = []
        # Bumped on every change so derived documents can be cached by it.
        self.generation = 0
        for info in builtins:
            self._by_gvr[(info.group, info.version, info.resource)] = info

    def on_change(self, callback: ChangeCallback) -> None:
        self._callbacks.append(callback)

    def _changed(self) -> None:
        self.generation += 1
        for callback in self._callbacks:
            callback()

    def get(self, group: str, version: str, resource: str) -> ResourceInfo | None:
        return self._by_gvr.get((group, version, resource))

    def by_kind(self, group: str, kind: str) -> list[ResourceInfo]:
        return [i for i in self._by_gvr.values() if i.group == group and i.kind == kind]

    def find_resource(self, group: str, resource: str) -> list[ResourceInfo]:
        return [i for i in self._by_gvr.values() if i.group == group and i.resource == resource]

    def storage_info(self, group: str, resource: str) -> ResourceInfo | None:
        for info in self.find_resource(group, resource):
            if info.storage:
                return info
        return None

    def all(self) -> list[ResourceInfo]:
        return list(self._by_gvr.values())

    def groups(self) -> dict[str, list[str]]:
        """Group name -> served versions, preferred first (the core group is "")."""
        out: dict[str, set[str]] = {}
        for info in self._by_gvr.values():
            out.setdefault(info.group, set()).add(info.version)
        return {g: sorted(vs, key=version_priority) for g, vs in out.items()}

    def resources(self, group: str, version: str) -> list[ResourceInfo]:
        return sorted(
            (i for i in self._by_gvr.values() if i.group == group and i.version == version),
            key=lambda i: i.resource,
        )

    def set_crd(self, crd_name: str, infos: Iterable[ResourceInfo]) -> None:
        """Register (or re-register) the resources one CRD serves."""
        infos = tuple(infos)
        for old in self._crd_infos.pop(crd_name, ()):
            self._by_gvr.pop((old.group, old.version, old.resource), None)
        for info in infos:
            self._by_gvr[(info.group, info.version, info.resource)] = info
        if infos:
            self._crd_infos[crd_name] = infos
        self._changed()

    def remove_crd(self, crd_name: str) -> None:
        if crd_name in self._crd_infos:
            self.set_crd(crd_name, ())

    def crd_infos(self, crd_name: str) -> tuple[ResourceInfo, ...]:
        return self._crd_infos.get(crd_name, ())
