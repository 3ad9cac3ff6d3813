"""Server-side printing: Table shape, CRD printer columns, built-in printers and kubectl-style ages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eno.apiserver.registry import BUILTINS, ResourceInfo
from eno.apiserver.table import (
    PrinterColumn,
    age,
    crd_columns,
    default_columns,
    go_float,
    go_print,
    human_duration,
    json_path_cell,
    render_for_resource,
    render_table,
)

NOW = datetime(2026, 1, 10, 12, 0, 0, tzinfo=UTC)


def ts(delta: timedelta) -> str:
    return (NOW - delta).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(-5, "<invalid>", id="future"),
        pytest.param(-1, "0s", id="clock-skew"),
        pytest.param(0, "0s", id="zero"),
        pytest.param(5, "5s", id="seconds"),
        pytest.param(119, "119s", id="under-two-minutes"),
        pytest.param(120, "2m", id="two-minutes"),
        pytest.param(182, "3m2s", id="minutes-seconds"),
        pytest.param(600, "10m", id="ten-minutes"),
        pytest.param(179 * 60, "179m", id="under-three-hours"),
        pytest.param(3 * 3600, "3h", id="hours"),
        pytest.param(5 * 3600 + 20 * 60, "5h20m", id="hours-minutes"),
        pytest.param(8 * 3600 + 59 * 60, "8h", id="eight-hours"),
        pytest.param(47 * 3600, "47h", id="under-two-days"),
        pytest.param(2 * 86400, "2d", id="days"),
        pytest.param(2 * 86400 + 3 * 3600, "2d3h", id="days-hours"),
        pytest.param(30 * 86400, "30d", id="month"),
        pytest.param(730 * 86400, "2y", id="two-years"),
        pytest.param(800 * 86400, "2y70d", id="years-days"),
        pytest.param(3000 * 86400, "8y", id="many-years"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_age_cells() -> None:
    assert age(ts(timedelta(seconds=30)), NOW) == "30s"
    assert age(None, NOW) == "<unknown>"
    assert age("not a time", NOW) == "<invalid>"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(1.5, "1.5", id="fraction"),
        pytest.param(3.0, "3", id="integral"),
        pytest.param(100000.0, "100000", id="below-threshold"),
        pytest.param(1e6, "1e+06", id="million"),
        pytest.param(12345678.0, "1.2345678e+07", id="big"),
        pytest.param(0.0001, "0.0001", id="small"),
        pytest.param(0.00001, "1e-05", id="tiny"),
        pytest.param(-2.25, "-2.25", id="negative"),
    ],
)
def test_go_float(value: float, text: str) -> None:
    assert go_float(value) == text


def test_go_print() -> None:
    assert go_print({"b": 1, "a": [True]}) == '{"a":[true],"b":1}'
    assert go_print(True) == "true"
    assert go_print(7) == "7"


CR = {
    "apiVersion": "example.com/v1",
    "kind": "Widget",
    "metadata": {"name": "w1", "namespace": "ns", "creationTimestamp": ts(timedelta(minutes=5))},
    "spec": {"size": 3, "ratio": 0.5, "on": True, "tags": ["a", "b"]},
    "status": {
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": ts(timedelta(hours=3))}]
    },
}


@pytest.mark.parametrize(
    ("path", "column_type", "cell"),
    [
        pytest.param(".spec.size", "integer", 3, id="integer"),
        pytest.param(".spec.ratio", "integer", 0, id="float-as-integer"),
        pytest.param(".spec.size", "number", 3.0, id="number"),
        pytest.param(".spec.on", "boolean", True, id="boolean"),
        pytest.param(".spec.size", "string", "3", id="string-of-int"),
        pytest.param(".spec.tags", "string", '["a","b"]', id="string-of-list"),
        pytest.param(".spec.tags[*]", "string", "a", id="first-result-only"),
        pytest.param('.status.conditions[?(@.type=="Ready")].status', "string", "True", id="filter"),
        pytest.param('.status.conditions[?(@.type=="Ready")].lastTransitionTime', "date", "3h", id="date"),
        pytest.param(".spec.missing", "string", None, id="missing"),
        pytest.param(".spec.size", "boolean", None, id="type-mismatch"),
        pytest.param(".spec[", "string", None, id="bad-path"),
    ],
)
def test_json_path_cells(path: str, column_type: str, cell: Any) -> None:
    assert json_path_cell(CR, path, column_type, NOW) == cell


def test_crd_columns_name_first_then_printer_columns_without_age() -> None:
    columns = crd_columns(
        {
            "name": "v1",
            "additionalPrinterColumns": [
                {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                {
                    "name": "Ratio",
                    "type": "number",
                    "jsonPath": ".spec.ratio",
                    "priority": 1,
                    "description": "r",
                },
            ],
        }
    )
    assert [c.name for c in columns] == ["Name", "Size", "Ratio"]
    table = render_table([CR], columns, NOW, "None")
    assert table["columnDefinitions"][0]["format"] == "name"
    assert table["columnDefinitions"][2] == {
        "name": "Ratio",
        "type": "number",
        "format": "",
        "description": "r",
        "priority": 1,
    }
    assert table["rows"] == [{"cells": ["w1", 3, 0.5]}]


def test_crd_without_columns_gets_name_and_age() -> None:
    columns = crd_columns({"name": "v1"})
    assert [(c.name, c.type) for c in columns] == [("Name", "string"), ("Age", "date")]
    assert render_table([CR], columns, NOW)["rows"][0]["cells"] == ["w1", "5m"]


@pytest.mark.parametrize(
    ("include", "expected"),
    [
        pytest.param("None", None, id="none"),
        pytest.param(
            "Metadata",
            {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": CR["metadata"]},
            id="metadata",
        ),
        pytest.param("Object", CR, id="object"),
    ],
)
def test_include_object(include: str, expected: Any) -> None:
    row = render_table([CR], crd_columns({}), NOW, include)["rows"][0]
    assert row.get("object") == expected


def test_table_shape_and_no_definitions() -> None:
    table = render_table([], [PrinterColumn("Name")], NOW, column_definitions=False)
    assert table == {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": [],
        "rows": [],
    }


POD = {
    "metadata": {"name": "p", "creationTimestamp": ts(timedelta(hours=2))},
    "spec": {"containers": [{"name": "a"}, {"name": "b"}], "nodeName": "node-1"},
    "status": {
        "phase": "Running",
        "podIP": "10.0.0.1",
        "containerStatuses": [
            {"name": "a", "ready": True, "restartCount": 0, "state": {"running": {}}},
            {
                "name": "b",
                "ready": False,
                "restartCount": 2,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"finishedAt": ts(timedelta(minutes=4))}},
            },
        ],
    },
}


@pytest.mark.parametrize(
    ("kind", "obj", "cells"),
    [
        pytest.param(
            "Pod",
            POD,
            ["p", "1/2", "CrashLoopBackOff", "2 (4m ago)", "120m", "10.0.0.1", "node-1", "<none>", "<none>"],
            id="pod",
        ),
        pytest.param(
            "Pod",
            {
                "metadata": {"name": "t", "deletionTimestamp": ts(timedelta(0))},
                "spec": {"containers": [{"name": "a"}]},
                "status": {"phase": "Running"},
            },
            ["t", "0/1", "Terminating", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"],
            id="pod-terminating",
        ),
        pytest.param(
            "ConfigMap",
            {
                "metadata": {"name": "c", "creationTimestamp": ts(timedelta(seconds=9))},
                "data": {"a": "1", "b": "2"},
            },
            ["c", 2, "9s"],
            id="configmap",
        ),
        pytest.param(
            "Namespace",
            {
                "metadata": {"name": "n", "creationTimestamp": ts(timedelta(days=3))},
                "status": {"phase": "Active"},
            },
            ["n", "Active", "3d"],
            id="namespace",
        ),
        pytest.param(
            "Deployment",
            {
                "metadata": {"name": "d", "creationTimestamp": ts(timedelta(minutes=1))},
                "spec": {
                    "replicas": 3,
                    "selector": {"matchLabels": {"app": "d"}},
                    "template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}},
                },
                "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
            },
            ["d", "2/3", 3, 2, "60s", "c", "nginx", "app=d"],
            id="deployment",
        ),
        pytest.param(
            "Service",
            {
                "metadata": {"name": "s", "creationTimestamp": ts(timedelta(seconds=1))},
                "spec": {
                    "type": "ClusterIP",
                    "clusterIP": "10.96.0.10",
                    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 80, "nodePort": 30080}],
                    "selector": {"k": "v"},
                },
            },
            ["s", "ClusterIP", "10.96.0.10", "<none>", "53/UDP,80:30080/TCP", "1s", "k=v"],
            id="service",
        ),
        pytest.param(
            "Lease",
            {
                "metadata": {"name": "l", "creationTimestamp": ts(timedelta(seconds=3))},
                "spec": {"holderIdentity": "me"},
            },
            ["l", "me", "3s"],
            id="lease",
        ),
        pytest.param(
            "CustomResourceDefinition",
            {"metadata": {"name": "widgets.example.com", "creationTimestamp": "2026-01-01T00:00:00Z"}},
            ["widgets.example.com", "2026-01-01T00:00:00Z"],
            id="default-convertor",
        ),
        pytest.param(
            "ClusterRoleBinding",
            {
                "metadata": {"name": "b", "creationTimestamp": ts(timedelta(seconds=3))},
                "roleRef": {"kind": "ClusterRole", "name": "admin"},
                "subjects": [
                    {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
                    {"kind": "User", "name": "u"},
                ],
            },
            ["b", "ClusterRole/admin", "3s", "u", "", "ns/sa"],
            id="cluster-role-binding",
        ),
        pytest.param(
            "Event",
            {
                "metadata": {"name": "e"},
                "involvedObject": {"kind": "Pod", "name": "p"},
                "reason": "Started",
                "type": "Normal",
                "message": "ok ",
                "lastTimestamp": ts(timedelta(seconds=7)),
                "count": 2,
                "source": {"component": "kubelet"},
            },
            ["7s", "Normal", "Started", "pod/p", "", "kubelet", "ok", "<unknown>", 2, "e"],
            id="event",
        ),
    ],
)
def test_builtin_printers(kind: str, obj: dict[str, Any], cells: list[Any]) -> None:
    table = render_table([obj], default_columns(kind), NOW)
    assert table["rows"][0]["cells"] == cells
    assert len(table["columnDefinitions"]) == len(cells)


def test_render_for_resource_uses_crd_columns() -> None:
    info = ResourceInfo(
        group="example.com",
        version="v1",
        resource="widgets",
        kind="Widget",
        namespaced=True,
        builtin=False,
        printer_columns=({"name": "Size", "type": "integer", "jsonPath": ".spec.size"},),
    )
    table = render_for_resource(info, [CR], "Metadata", True)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Size"]
    assert table["rows"][0]["cells"] == ["w1", 3]


def test_every_builtin_renders() -> None:
    for info in BUILTINS:
        table = render_for_resource(info, [{"metadata": {"name": "x"}}], "None", True)
        assert len(table["rows"][0]["cells"]) == len(table["columnDefinitions"])


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        pytest.param({"name": "Size", "type": "integer", "jsonPath": ".spec.size"}, [], id="valid"),
        pytest.param(
            {"name": "S", "type": "int", "jsonPath": ".spec.size"},
            [
                'c[0].type: Unsupported value: "int": '
                'supported values: "boolean", "date", "integer", "number", "string"'
            ],
            id="type",
        ),
        pytest.param({"name": "S", "type": "string"}, ["c[0].jsonPath: Required value"], id="no-path"),
        pytest.param(
            {"name": "S", "type": "string", "jsonPath": "spec.size"},
            ['c[0].jsonPath: Invalid value: "spec.size": must be a simple json path starting with .'],
            id="no-leading-dot",
        ),
        pytest.param({"type": "string", "jsonPath": ".a"}, ["c[0].name: Required value"], id="no-name"),
        pytest.param(
            {"name": "S", "type": "string", "jsonPath": ".a", "format": "weird"},
            [
                'c[0].format: Unsupported value: "weird": supported values: "byte", "date", "date-time", '
                '"double", "float", "int32", "int64", "password"'
            ],
            id="format",
        ),
    ],
)
def test_printer_column_errors(column: dict[str, Any], expected: list[str]) -> None:
    from eno.apiserver import errors
    from eno.apiserver.table import printer_column_errors

    assert [errors.field_error_string(c) for c in printer_column_errors([column], "c")] == expected
