"""kube's built-in printers (k8s.io/kubernetes/pkg/printers/internalversion) for the kinds we serve:
the columns `kubectl get` shows for pods, deployments, services, events, ...
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from eno.apiserver.table import (
    AGE_COLUMN,
    CREATION_TIMESTAMP_DESCRIPTION,
    NAME_COLUMN,
    NAME_DESCRIPTION,
    Cell,
    Obj,
    PrinterColumn,
    age,
    created_at,
    human_duration,
    meta_of,
    name_of,
    parse_time,
)


def _get(obj: Any, *path: str | int) -> Any:
    for part in path:
        if isinstance(part, int):
            if not isinstance(obj, list) or part >= len(obj):
                return None
            obj = obj[part]
        else:
            if not isinstance(obj, Mapping):
                return None
            obj = obj.get(part)
    return obj


def _or_none(value: Any) -> str:
    return str(value) if value not in (None, "") else "<none>"


def _format_labels(labels: Any) -> str:
    if not isinstance(labels, Mapping) or not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def _format_label_selector(selector: Any) -> str:
    if not isinstance(selector, Mapping):
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op = expr.get("operator", "")
        key = expr.get("key", "")
        values = ",".join(sorted(expr.get("values") or []))
        if op == "In":
            parts.append(f"{key} in ({values})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) if parts else "<none>"


def _count(*path: str) -> Cell:
    def cell(obj: Obj, _now: datetime) -> Any:
        value = _get(obj, *path)
        return len(value) if isinstance(value, Mapping | list) else 0

    return cell


def _field(*path: str, default: Any = "", none: bool = False) -> Cell:
    def cell(obj: Obj, _now: datetime) -> Any:
        value = _get(obj, *path)
        if none:
            return _or_none(value)
        return default if value is None else value

    return cell


def _int_field(*path: str) -> Cell:
    def cell(obj: Obj, _now: datetime) -> Any:
        value = _get(obj, *path)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return cell


def _containers(obj: Obj, _now: datetime) -> Any:
    containers = _get(obj, "spec", "template", "spec", "containers") or []
    return ",".join(str(c.get("name", "")) for c in containers if isinstance(c, Mapping))


def _images(obj: Obj, _now: datetime) -> Any:
    containers = _get(obj, "spec", "template", "spec", "containers") or []
    return ",".join(str(c.get("image", "")) for c in containers if isinstance(c, Mapping))


def _selector(obj: Obj, _now: datetime) -> Any:
    return _format_label_selector(_get(obj, "spec", "selector"))


def _ready_of(ready_path: tuple[str, ...], total_path: tuple[str, ...]) -> Cell:
    def cell(obj: Obj, _now: datetime) -> Any:
        ready = _get(obj, *ready_path) or 0
        total = _get(obj, *total_path) or 0
        return f"{ready}/{total}"

    return cell


def _pod_ready(obj: Obj, _now: datetime) -> Any:
    total = len(_get(obj, "spec", "containers") or [])
    statuses = _get(obj, "status", "containerStatuses") or []
    ready = sum(1 for s in statuses if isinstance(s, Mapping) and s.get("ready"))
    return f"{ready}/{total}"


def _pod_status(obj: Obj, _now: datetime) -> Any:
    """The STATUS column's reason, following kube's printPod for the common cases."""
    status = obj.get("status") or {}
    reason = status.get("reason") or status.get("phase") or ""
    init_reason = ""
    init_statuses = status.get("initContainerStatuses") or []
    for i, cs in enumerate(init_statuses):
        state = cs.get("state") or {}
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if terminated:
            if terminated.get("reason"):
                init_reason = f"Init:{terminated['reason']}"
            elif terminated.get("signal"):
                init_reason = f"Init:Signal:{terminated['signal']}"
            else:
                init_reason = f"Init:ExitCode:{terminated.get('exitCode', 0)}"
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            init_reason = f"Init:{waiting['reason']}"
        else:
            init_reason = f"Init:{i}/{len(_get(obj, 'spec', 'initContainers') or [])}"
        break
    if init_reason:
        reason = init_reason
    else:
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            waiting = state.get("waiting")
            terminated = state.get("terminated")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated:
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{terminated.get('exitCode', 0)}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
        if reason == "Completed" and has_running:
            ready = any(
                c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []
            )
            reason = "Running" if ready else "NotReady"
    if meta_of(obj).get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason


def _pod_restarts(obj: Obj, now: datetime) -> Any:
    restarts = 0
    last: datetime | None = None
    for cs in _get(obj, "status", "containerStatuses") or []:
        restarts += int(cs.get("restartCount") or 0)
        finished = parse_time(_get(cs, "lastState", "terminated", "finishedAt"))
        if finished is not None and (last is None or finished > last):
            last = finished
    if restarts and last is not None:
        return f"{restarts} ({human_duration((now - last).total_seconds())} ago)"
    return str(restarts)


def _readiness_gates(obj: Obj, _now: datetime) -> Any:
    gates = _get(obj, "spec", "readinessGates") or []
    if not gates:
        return "<none>"
    conditions = {c.get("type"): c.get("status") for c in _get(obj, "status", "conditions") or []}
    ready = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
    return f"{ready}/{len(gates)}"


def _service_external_ip(obj: Obj, _now: datetime) -> Any:
    spec = obj.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    external = list(spec.get("externalIPs") or [])
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if kind == "LoadBalancer":
        ingress = _get(obj, "status", "loadBalancer", "ingress") or []
        ips = [i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")]
        ips += external
        return ",".join(ips) if ips else "<pending>"
    if kind == "ExternalName":
        return spec.get("externalName") or "<none>"
    return "<unknown>"


def _service_ports(obj: Obj, _now: datetime) -> Any:
    parts = []
    for port in _get(obj, "spec", "ports") or []:
        protocol = port.get("protocol") or "TCP"
        if port.get("nodePort"):
            parts.append(f"{port.get('port')}:{port['nodePort']}/{protocol}")
        else:
            parts.append(f"{port.get('port')}/{protocol}")
    return ",".join(parts) if parts else "<none>"


def _pdb_value(field: str) -> Cell:
    def cell(obj: Obj, _now: datetime) -> Any:
        value = _get(obj, "spec", field)
        return "N/A" if value is None else str(value)

    return cell


def _role_ref(obj: Obj, _now: datetime) -> Any:
    ref = obj.get("roleRef") or {}
    return f"{ref.get('kind', '')}/{ref.get('name', '')}"


def _subjects(kind: str) -> Cell:
    def cell(obj: Obj, _now: datetime) -> Any:
        names = []
        for s in obj.get("subjects") or []:
            if s.get("kind") != kind:
                continue
            name = s.get("name", "")
            if kind == "ServiceAccount":
                name = f"{s.get('namespace', '')}/{name}"
            names.append(name)
        return ", ".join(names)

    return cell


def _event_last_seen(obj: Obj, now: datetime) -> Any:
    for path in (
        ("series", "lastObservedTime"),
        ("lastTimestamp",),
        ("deprecatedLastTimestamp",),
        ("eventTime",),
    ):
        value = _get(obj, *path)
        if value:
            return age(value, now)
    return age(meta_of(obj).get("creationTimestamp"), now)


def _event_first_seen(obj: Obj, now: datetime) -> Any:
    for path in (("firstTimestamp",), ("deprecatedFirstTimestamp",), ("eventTime",)):
        value = _get(obj, *path)
        if value:
            return age(value, now)
    return age(meta_of(obj).get("creationTimestamp"), now)


def _event_object(obj: Obj, _now: datetime) -> Any:
    ref = obj.get("involvedObject") or obj.get("regarding") or {}
    return f"{str(ref.get('kind', '')).lower()}/{ref.get('name', '')}"


def _event_message(obj: Obj, _now: datetime) -> Any:
    return str(obj.get("message") or obj.get("note") or "").strip()


def _event_source(obj: Obj, _now: datetime) -> Any:
    component = _get(obj, "source", "component") or obj.get("reportingComponent") or ""
    host = _get(obj, "source", "host")
    return f"{component}, {host}" if host else str(component)


def _event_count(obj: Obj, _now: datetime) -> Any:
    count = _get(obj, "series", "count") or obj.get("count") or obj.get("deprecatedCount") or 1
    return int(count)


def _col(name: str, kind: str, compute: Cell, description: str = "", priority: int = 0) -> PrinterColumn:
    return PrinterColumn(name, kind, description=description, priority=priority, compute=compute)


_CONTAINERS = _col("Containers", "string", _containers, "Names of each container in the template.", 1)
_IMAGES = _col("Images", "string", _images, "Images referenced by each container in the template.", 1)
_SELECTOR = _col("Selector", "string", _selector, "The label selector.", 1)

BUILTIN_COLUMNS: dict[str, list[PrinterColumn]] = {
    "Namespace": [
        NAME_COLUMN,
        _col("Status", "string", _field("status", "phase"), "The status of the namespace"),
        AGE_COLUMN,
    ],
    "ConfigMap": [
        NAME_COLUMN,
        _col(
            "Data",
            "string",
            lambda o, _n: len(o.get("data") or {}) + len(o.get("binaryData") or {}),
            "Number of data in the configmap",
        ),
        AGE_COLUMN,
    ],
    "Secret": [
        NAME_COLUMN,
        _col("Type", "string", _field("type"), "The type of the secret"),
        _col("Data", "string", _count("data"), "The number of data items in the secret"),
        AGE_COLUMN,
    ],
    "ServiceAccount": [
        NAME_COLUMN,
        _col("Secrets", "string", _count("secrets"), "The number of secrets for the service account"),
        AGE_COLUMN,
    ],
    "Service": [
        NAME_COLUMN,
        _col("Type", "string", _field("spec", "type", default="ClusterIP"), "The type of the service"),
        _col("Cluster-IP", "string", _field("spec", "clusterIP", none=True), "The cluster IP of the service"),
        _col("External-IP", "string", _service_external_ip, "The external IP of the service"),
        _col("Port(s)", "string", _service_ports, "The ports of the service"),
        AGE_COLUMN,
        _col("Selector", "string", lambda o, _n: _format_labels(_get(o, "spec", "selector")), "", 1),
    ],
    "Pod": [
        NAME_COLUMN,
        _col(
            "Ready", "string", _pod_ready, "The aggregate readiness state of this pod for accepting traffic."
        ),
        _col("Status", "string", _pod_status, "The aggregate status of the containers in this pod."),
        _col(
            "Restarts",
            "string",
            _pod_restarts,
            "The number of times the containers in this pod have been restarted.",
        ),
        AGE_COLUMN,
        _col("IP", "string", _field("status", "podIP", none=True), "IP address allocated to the pod.", 1),
        _col(
            "Node", "string", _field("spec", "nodeName", none=True), "Name of the Node this pod runs on.", 1
        ),
        _col(
            "Nominated Node",
            "string",
            _field("status", "nominatedNodeName", none=True),
            "Name of the node nominated for the pod.",
            1,
        ),
        _col("Readiness Gates", "string", _readiness_gates, "The readiness gates of the pod.", 1),
    ],
    "Deployment": [
        NAME_COLUMN,
        _col(
            "Ready",
            "string",
            _ready_of(("status", "readyReplicas"), ("spec", "replicas")),
            "Number of the pod with ready state",
        ),
        _col("Up-to-date", "string", _int_field("status", "updatedReplicas"), "Total number of updated pods"),
        _col(
            "Available", "string", _int_field("status", "availableReplicas"), "Total number of available pods"
        ),
        AGE_COLUMN,
        _CONTAINERS,
        _IMAGES,
        _SELECTOR,
    ],
    "StatefulSet": [
        NAME_COLUMN,
        _col(
            "Ready",
            "string",
            _ready_of(("status", "readyReplicas"), ("spec", "replicas")),
            "Number of the pod with ready state",
        ),
        AGE_COLUMN,
        _CONTAINERS,
        _IMAGES,
    ],
    "DaemonSet": [
        NAME_COLUMN,
        _col(
            "Desired",
            "integer",
            _int_field("status", "desiredNumberScheduled"),
            "The desired number of pods.",
        ),
        _col(
            "Current",
            "integer",
            _int_field("status", "currentNumberScheduled"),
            "The current number of pods.",
        ),
        _col("Ready", "integer", _int_field("status", "numberReady"), "The number of pods ready."),
        _col(
            "Up-to-date",
            "integer",
            _int_field("status", "updatedNumberScheduled"),
            "The number of pods updated.",
        ),
        _col(
            "Available", "integer", _int_field("status", "numberAvailable"), "The number of pods available."
        ),
        _col(
            "Node Selector",
            "string",
            lambda o, _n: _format_labels(_get(o, "spec", "template", "spec", "nodeSelector")),
            "The node selector.",
        ),
        AGE_COLUMN,
        _CONTAINERS,
        _IMAGES,
        _SELECTOR,
    ],
    "Lease": [
        NAME_COLUMN,
        _col("Holder", "string", _field("spec", "holderIdentity"), "The holder of the lease."),
        AGE_COLUMN,
    ],
    "PodDisruptionBudget": [
        NAME_COLUMN,
        _col("Min Available", "string", _pdb_value("minAvailable"), "The minimum number of pods available."),
        _col(
            "Max Unavailable",
            "string",
            _pdb_value("maxUnavailable"),
            "The maximum number of pods unavailable.",
        ),
        _col(
            "Allowed Disruptions",
            "integer",
            _int_field("status", "disruptionsAllowed"),
            "Calculated number of pods that may be disrupted at this time.",
        ),
        AGE_COLUMN,
    ],
    "Role": [NAME_COLUMN, _col("Created At", "string", created_at, CREATION_TIMESTAMP_DESCRIPTION)],
    "ClusterRole": [NAME_COLUMN, _col("Created At", "string", created_at, CREATION_TIMESTAMP_DESCRIPTION)],
    "RoleBinding": [
        NAME_COLUMN,
        _col("Role", "string", _role_ref, "Role of the binding."),
        AGE_COLUMN,
        _col("Users", "string", _subjects("User"), "Users in the binding.", 1),
        _col("Groups", "string", _subjects("Group"), "Groups in the binding.", 1),
        _col("ServiceAccounts", "string", _subjects("ServiceAccount"), "ServiceAccounts in the binding.", 1),
    ],
    "ClusterRoleBinding": [
        NAME_COLUMN,
        _col("Role", "string", _role_ref, "Role of the binding."),
        AGE_COLUMN,
        _col("Users", "string", _subjects("User"), "Users in the binding.", 1),
        _col("Groups", "string", _subjects("Group"), "Groups in the binding.", 1),
        _col("ServiceAccounts", "string", _subjects("ServiceAccount"), "ServiceAccounts in the binding.", 1),
    ],
    "Event": [
        _col("Last Seen", "string", _event_last_seen, "Time when last event from the series was seen."),
        _col("Type", "string", _field("type"), "Type of this event."),
        _col("Reason", "string", _field("reason"), "Short, machine understandable string."),
        _col("Object", "string", _event_object, "The object this Event is about."),
        _col(
            "Subobject", "string", lambda o, _n: _get(o, "involvedObject", "fieldPath") or "", "Subobject.", 1
        ),
        _col("Source", "string", _event_source, "The component reporting this event.", 1),
        _col(
            "Message",
            "string",
            _event_message,
            "A human-readable description of the status of this operation.",
        ),
        _col("First Seen", "string", _event_first_seen, "The first time the event was seen.", 1),
        _col("Count", "string", _event_count, "The number of times this event has occurred.", 1),
        _col("Name", "string", name_of, NAME_DESCRIPTION, 1),
    ],
}
