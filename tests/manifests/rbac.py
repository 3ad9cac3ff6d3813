"""Which requests the shipped RBAC allows each daemon: a small evaluator of the manifests' rules, as the
RBAC authorizer evaluates them (apiGroups, resources with `/subresource`, verbs, `*`, namespaced Roles)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import yaml

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"
NAMESPACE = "eno-system"


@attrs.frozen
class Request:
    verb: str
    group: str
    resource: str  # with `/subresource` when there is one
    namespace: str  # "" for cluster-scoped requests and lists across namespaces


def manifest_objects() -> list[dict[str, Any]]:
    """Every object of the kustomization's resources, in its order."""
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    objects: list[dict[str, Any]] = []
    for name in kustomization["resources"]:
        objects += [d for d in yaml.safe_load_all((MANIFESTS / name).read_text()) if d]
    return objects


def _rule_allows(rule: dict[str, Any], request: Request) -> bool:
    def matches(values: list[str], value: str) -> bool:
        return "*" in values or value in values

    return (
        matches(rule.get("apiGroups", []), request.group)
        and matches(rule.get("resources", []), request.resource)
        and matches(rule.get("verbs", []), request.verb)
    )


def rules_for(service_account: str, objects: Iterable[dict[str, Any]], *, exclude: Iterable[str] = ()):
    """(namespace or None for cluster-wide, rule) for every rule bound to the service account."""
    objects = list(objects)
    roles = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in objects}
    skipped = set(exclude)
    out: list[tuple[str | None, dict[str, Any]]] = []
    for binding in objects:
        if binding["kind"] not in ("ClusterRoleBinding", "RoleBinding"):
            continue
        if not any(
            s["kind"] == "ServiceAccount" and s["name"] == service_account and s["namespace"] == NAMESPACE
            for s in binding["subjects"]
        ):
            continue
        ref = binding["roleRef"]
        if ref["name"] in skipped:
            continue
        scope = binding["metadata"].get("namespace") if binding["kind"] == "RoleBinding" else None
        role_ns = scope if ref["kind"] == "Role" else None
        role = roles[(ref["kind"], role_ns, ref["name"])]
        out += [(scope, rule) for rule in role.get("rules", [])]
    return out


def allowed(rules, request: Request) -> bool:
    return any(
        (scope is None or scope == request.namespace) and _rule_allows(rule, request) for scope, rule in rules
    )
