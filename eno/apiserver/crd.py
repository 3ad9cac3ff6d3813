"""CustomResourceDefinition lifecycle: validation, NamesAccepted/Established, (un)registration, cleanup.

kube-apiserver sets the conditions from controllers a moment after the write; here they are set in the same
write, so a CRD is Established in the response that creates it (a client waiting for the condition sees it
at once). Deleting a CRD deletes its objects in the same transaction (see decision 0100).
"""

from __future__ import annotations

from typing import Any

from eno.apiserver import celrules, errors, names, selectors, table
from eno.apiserver import schema as structural
from eno.apiserver.context import ApiContext
from eno.apiserver.registry import Registry, ResourceInfo
from eno.apiserver.store import DELETED, Event, Key, Transaction
from eno.apiserver.strategy import Request, rfc3339

Obj = dict[str, Any]

GROUP = "apiextensions.k8s.io"
RESOURCE = "customresourcedefinitions"


def validate(crd: Obj) -> list[dict[str, Any]]:
    """The checks of kube's ValidateCustomResourceDefinition that clients run into."""
    causes: list[dict[str, Any]] = []
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return [errors.required("spec", "")]
    group = spec.get("group") or ""
    names_ = spec.get("names") or {}
    plural = names_.get("plural") or ""
    kind = names_.get("kind") or ""
    name = crd.get("metadata", {}).get("name", "")
    if not group:
        causes.append(errors.required("spec.group", ""))
    elif "." not in group:
        causes.append(errors.invalid_value("spec.group", group, "should be a domain with at least one dot"))
    if not plural:
        causes.append(errors.required("spec.names.plural", ""))
    else:
        for message in names.is_dns1123_label(plural):
            causes.append(errors.invalid_value("spec.names.plural", plural, message))
    if not kind:
        causes.append(errors.required("spec.names.kind", ""))
    if group and plural and name != f"{plural}.{group}":
        causes.append(errors.invalid_value("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    scope = spec.get("scope")
    if scope not in ("Namespaced", "Cluster"):
        causes.append(errors.not_supported("spec.scope", scope or "", ["Cluster", "Namespaced"]))
    versions = spec.get("versions") or []
    if not versions:
        causes.append(
            errors.invalid_value(
                "spec.versions", versions, "must have exactly one version marked as storage version"
            )
        )
        return causes
    storage = [v for v in versions if isinstance(v, dict) and v.get("storage")]
    if len(storage) != 1:
        causes.append(
            errors.invalid_value(
                "spec.versions", versions, "must have exactly one version marked as storage version"
            )
        )
    for i, version in enumerate(versions):
        path = f"spec.versions[{i}]"
        if not isinstance(version, dict) or not version.get("name"):
            causes.append(errors.required(f"{path}.name", ""))
            continue
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        if not isinstance(schema, dict):
            causes.append(errors.required(f"{path}.schema.openAPIV3Schema", "schemas are required"))
        else:
            schema_path = f"{path}.schema.openAPIV3Schema"
            causes.extend(structural.structural_errors(schema, schema_path))
            causes.extend(celrules.compile_errors(schema, schema_path))
        causes.extend(
            table.printer_column_errors(
                version.get("additionalPrinterColumns"), f"{path}.additionalPrinterColumns"
            )
        )
    return causes


def _scale_paths(scale: Any) -> tuple[str, str, str] | None:
    if not isinstance(scale, dict):
        return None
    return (
        str(scale.get("specReplicasPath") or ""),
        str(scale.get("statusReplicasPath") or ""),
        str(scale.get("labelSelectorPath") or ""),
    )


def infos_for(crd: Obj) -> list[ResourceInfo]:
    spec = crd["spec"]
    names_ = spec["names"]
    out: list[ResourceInfo] = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        sub = version.get("subresources") or {}
        subresources = {s for s in ("status", "scale") if sub.get(s) is not None}
        out.append(
            ResourceInfo(
                group=spec["group"],
                version=version["name"],
                resource=names_["plural"],
                kind=names_["kind"],
                namespaced=spec.get("scope") == "Namespaced",
                list_kind=names_.get("listKind") or f"{names_['kind']}List",
                singular=names_.get("singular") or names_["kind"].lower(),
                short_names=tuple(names_.get("shortNames") or ()),
                subresources=frozenset(subresources),
                categories=tuple(names_.get("categories") or ()),
                schema=(version.get("schema") or {}).get("openAPIV3Schema"),
                printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
                builtin=False,
                selectable_fields=selectors.selectable_field_labels(version.get("selectableFields") or []),
                scale_paths=_scale_paths(sub.get("scale")),
                storage=bool(version.get("storage")),
            )
        )
    return out


def _names_conflict(registry: Registry, crd_name: str, group: str, plural: str, kind: str) -> str:
    for info in registry.all():
        if info.group != group or info in registry.crd_infos(crd_name):
            continue
        if info.resource == plural:
            return f'"{plural}" is already in use'
        if info.kind == kind:
            return f'"{kind}" is already in use'
    return ""


def _condition(type_: str, ok: bool, reason: str, message: str, now: str, old: list[Obj]) -> Obj:
    status = "True" if ok else "False"
    for cond in old:
        if cond.get("type") == type_ and cond.get("status") == status:
            now = cond.get("lastTransitionTime", now)
    return {"type": type_, "status": status, "lastTransitionTime": now, "reason": reason, "message": message}


def make_prepare(registry: Registry) -> Any:
    def prepare(req: Request, old: Obj | None, crd: Obj) -> Obj:
        if req.subresource == "status":
            return crd
        causes = validate(crd)
        if causes:
            raise errors.invalid(GROUP, "CustomResourceDefinition", crd["metadata"].get("name", ""), causes)
        spec = crd["spec"]
        names_ = dict(spec["names"])
        names_.setdefault("singular", names_["kind"].lower())
        names_.setdefault("listKind", f"{names_['kind']}List")
        spec["names"] = names_
        now = rfc3339(req.now)
        status = crd.get("status") or {}
        old_conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
        conflict = _names_conflict(
            registry, crd["metadata"]["name"], spec["group"], names_["plural"], names_["kind"]
        )
        conditions = [
            _condition(
                "NamesAccepted",
                not conflict,
                "NoConflicts" if not conflict else "AlreadyInUse",
                "no conflicts found" if not conflict else conflict,
                now,
                old_conditions,
            ),
            _condition(
                "Established",
                not conflict,
                "InitialNamesAccepted" if not conflict else "NotAccepted",
                "the initial names have been accepted" if not conflict else "not all names are accepted",
                now,
                old_conditions,
            ),
        ]
        if crd["metadata"].get("deletionTimestamp"):
            conditions.append(
                _condition("Terminating", True, "InstanceDeletionCompleted", "removed all instances", now, [])
            )
        stored = list(status.get("storedVersions") or [])
        for version in spec["versions"]:
            if version.get("storage") and version["name"] not in stored:
                stored.append(version["name"])
        crd["status"] = {
            **status,
            "acceptedNames": names_
            if not conflict
            else status.get("acceptedNames", {"plural": "", "kind": ""}),
            "conditions": conditions,
            "storedVersions": stored,
        }
        return crd

    return prepare


def _established(crd: Obj) -> bool:
    return any(
        c.get("type") == "Established" and c.get("status") == "True"
        for c in (crd.get("status") or {}).get("conditions") or []
    )


def make_after_commit(registry: Registry) -> Any:
    def after_commit(txn: Transaction, event: Event) -> None:
        if event.key.group != GROUP or event.key.resource != RESOURCE:
            return
        crd = event.object
        name = event.key.name
        group = crd["spec"]["group"]
        plural = crd["spec"]["names"]["plural"]
        terminating = bool(crd.get("metadata", {}).get("deletionTimestamp"))
        if event.type == DELETED or terminating:
            # Instances go with their definition; finalizers on instances do not hold it (decision 0100).
            for key in list(txn_keys(txn, group, plural)):
                txn.put(key, None)
        if event.type == DELETED:
            registry.remove_crd(name)
        elif _established(crd):
            registry.set_crd(name, infos_for(crd))

    return after_commit


def txn_keys(txn: Transaction, group: str, resource: str) -> list[Key]:
    return [
        Key(group, resource, o["metadata"].get("namespace", ""), o["metadata"]["name"])
        for o in txn.list(group, resource)
    ]


def make_instance_guard(ctx: ApiContext) -> Any:
    """Creating an instance of a CRD that is being deleted is refused, as kube-apiserver does."""

    def guard(req: Request, old: Obj | None, obj: Obj) -> Obj:
        if old is not None:
            return obj
        info = req.info
        crd = ctx.store.get(Key(GROUP, RESOURCE, "", f"{info.resource}.{info.group}"))
        if crd is not None and crd.get("metadata", {}).get("deletionTimestamp"):
            raise errors.method_not_allowed(info.group, info.resource, "create")
        return obj

    return guard


def restore(ctx: ApiContext) -> None:
    """Register the CRDs already in the store (after a restart with a data directory)."""
    for crd in ctx.store.list(GROUP, RESOURCE):
        if _established(crd):
            ctx.registry.set_crd(crd["metadata"]["name"], infos_for(crd))


def install(ctx: ApiContext) -> None:
    ctx.add_prepare_hook(GROUP, RESOURCE, make_prepare(ctx.registry))
    ctx.custom_hooks.insert(0, make_instance_guard(ctx))
    ctx.after_commit.append(make_after_commit(ctx.registry))
