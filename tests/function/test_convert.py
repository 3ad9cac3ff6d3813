"""Decoding inputs into user types: what fits, what does not, and the path named when it does not."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.function.convert import DecodeError, decode, json_keys
from eno.function.overrides import allow_vpa, annotate_overrides, apply_to


@dataclasses.dataclass
class Port:
    container_port: int
    protocol: Literal["TCP", "UDP"] = "TCP"


@attrs.frozen
class Spec:
    ports: tuple[Port, ...]
    weight: float = 1.0
    labels: dict[str, str] = attrs.field(factory=dict)
    note: str | None = None
    kind_: str = attrs.field(default="", metadata={"json": "kind"})


@pytest.mark.parametrize(
    ("data", "type_", "expected"),
    [
        pytest.param(
            {"ports": [{"containerPort": 80}]}, Spec, Spec((Port(80),)), id="camel-case-and-defaults"
        ),
        pytest.param({"ports": [], "weight": 2}, Spec, Spec((), weight=2.0), id="int-as-float"),
        pytest.param(
            {"ports": [], "kind": "x", "extra": 1}, Spec, Spec((), kind_="x"), id="json-key-unknown-ignored"
        ),
        pytest.param({"ports": [], "note": None}, Spec, Spec(()), id="optional-null"),
        pytest.param(["a", "b"], list[str], ["a", "b"], id="list"),
        pytest.param({"a": 1}, dict[str, Any], {"a": 1}, id="any-values"),
        pytest.param("3", int | str, "3", id="union"),
        pytest.param({"n": "5"}, lambda d: int(d["n"]), 5, id="callable"),
    ],
)
def test_decodes(data, type_, expected) -> None:
    assert decode(data, type_) == expected


@pytest.mark.parametrize(
    ("data", "type_", "message"),
    [
        pytest.param(
            {"ports": [{"containerPort": "80"}]},
            Spec,
            "ports[0].containerPort: expected an integer",
            id="str",
        ),
        pytest.param(
            {"ports": [{"containerPort": True}]}, Spec, "expected an integer, got a boolean", id="bool"
        ),
        pytest.param(
            {"ports": [{"containerPort": 1, "protocol": "X"}]}, Spec, "protocol: expected one of", id="lit"
        ),
        pytest.param({}, Spec, "ports: is required", id="required"),
        pytest.param({"ports": {}}, Spec, "ports: expected a list, got an object", id="shape"),
        pytest.param({"ports": [], "labels": {"a": 1}}, Spec, "labels.a: expected a string", id="map-value"),
        pytest.param([], int | str, "no type fits", id="union"),
        pytest.param({}, lambda d: d["n"], "KeyError", id="callable"),
    ],
)
def test_refuses_with_the_path(data, type_, message) -> None:
    with pytest.raises(DecodeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        decode(data, type_)


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("name", ("name",)),
        ("container_port", ("container_port", "containerPort")),
        ("kind_", ("kind_", "kind")),
    ],
)
def test_json_keys(name, keys) -> None:
    assert json_keys(name, {}) == keys


@given(st.lists(st.tuples(st.integers(1, 65535), st.sampled_from(["TCP", "UDP"])), max_size=5))
def test_dataclass_round_trip(ports: list[tuple[int, str]]) -> None:
    data = {"ports": [{"containerPort": p, "protocol": proto} for p, proto in ports]}
    spec = decode(data, Spec)
    assert [(p.container_port, p.protocol) for p in spec.ports] == ports


def deployment(cpu: str) -> dict[str, Any]:
    container = {"name": "app", "resources": {"requests": {"cpu": cpu, "memory": "1Gi"}}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {"containers": [container]}}}}  # fmt: skip


@pytest.mark.parametrize(
    ("live", "cpu"),
    [
        pytest.param(None, "100m", id="no-live-object"),
        pytest.param(deployment("250m"), None, id="raised-by-someone-else"),
        pytest.param(deployment("50m"), "100m", id="below-ours"),
    ],
)
def test_allow_vpa(live, cpu) -> None:
    obj = annotate_overrides(deployment("100m"), allow_vpa("app", requests={"cpu": "100m", "memory": ""}))
    requests = apply_to(obj, live)["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
    assert requests.get("cpu") == cpu and requests["memory"] == "1Gi"


def test_kubernetes_model_with_nested_lists_and_maps() -> None:
    from kubernetes_asyncio.client import V1Container, V1Deployment

    data = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "labels": {"a": "b"}, "creationTimestamp": "2024-01-01T00:00:00Z"},
        "spec": {
            "selector": {"matchLabels": {"app": "d"}},
            "template": {"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}},
        },
    }
    deployment = decode(data, V1Deployment)
    container = deployment.spec.template.spec.containers[0]
    assert isinstance(container, V1Container) and container.ports[0].container_port == 80
    assert deployment.metadata.labels == {"a": "b"}
    port = data["spec"]["template"]["spec"]["containers"][0]["ports"][0]  # type: ignore[index]
    port["containerPort"] = "80"
    where = r"spec\.template\.spec\.containers\[0\]\.ports\[0\]\.containerPort: expected an integer"
    with pytest.raises(DecodeError, match=where):
        decode(data, V1Deployment)
