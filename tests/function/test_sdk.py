"""The synthesizer SDK: inputs, outputs, errors reported as results, mungers, and the helpers."""

# key() returns dataclasses.field(...); ruff takes it for a call in a dataclass default.
# ruff: noqa: RUF009

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kubernetes_asyncio.client import (
    V1ConfigMap,
    V1Deployment,
    V1DeploymentSpec,
    V1LabelSelector,
    V1ObjectMeta,
    V1PodTemplateSpec,
)

from eno.function import (
    Inputs,
    Override,
    SynthesisError,
    annotate_overrides,
    delete_patch,
    key,
    managed_by_eno,
    patch,
    reconcile_interval,
    replace_if,
    set_labels,
    set_namespace,
    synthesizer,
    with_deletion_group,
    with_readiness,
    with_readiness_group,
)
from eno.function import testing as ft
from eno.function.outputs import OutputError, read_manifest
from eno.function.overrides import apply_to

CONFIG = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "ns"}, "data": {}}


def config_map(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": dict(data)}


@synthesizer
def echo(inputs: Inputs) -> list[dict[str, Any]]:
    data = inputs.get("config")["data"]
    return [config_map("out", **data)]


@dataclasses.dataclass
class ConfigData:
    replicas: int
    image: str = "nginx"


@dataclasses.dataclass
class Config:
    metadata: dict[str, Any]
    data: ConfigData


@dataclasses.dataclass
class TypedInputs:
    config: Config = key("my-config")
    extra: dict[str, Any] | None = key("extra", default=None)


@synthesizer
def typed(inputs: TypedInputs) -> list[dict[str, Any]]:
    data = inputs.config.data
    return [
        config_map("out", replicas=str(data.replicas), image=data.image, extra=str(inputs.extra is not None))
    ]


# -- inputs ------------------------------------------------------------------------------------------


def test_inputs_by_key() -> None:
    run = ft.run(echo, {"config": config_map("in", a="b")})
    assert (run.exit_code, run.error) == (0, None)
    assert run.items == [config_map("out", a="b")]


@pytest.mark.parametrize(
    ("synth", "inputs", "message"),
    [
        pytest.param(
            echo,
            {},
            'error while reading input with key "config": input "config": input not found',
            id="missing-raw",
        ),
        pytest.param(
            typed,
            {},
            'error while reading input with key "my-config": input "my-config": input not found',
            id="missing-typed",
        ),
        pytest.param(
            typed,
            {"my-config": config_map("in", replicas="3")},
            'error while reading input with key "my-config": input "my-config": data.replicas: expected an '
            "integer, got a string '3'",
            id="mistyped",
        ),
        pytest.param(
            typed,
            {"my-config": {"metadata": {}, "data": []}},
            'input "my-config": data: expected an object, got a list',
            id="wrong-shape",
        ),
    ],
)
def test_input_problems_are_results_not_tracebacks(synth, inputs, message) -> None:
    run = ft.run(synth, inputs)
    assert run.exit_code == 0  # as Go's SDK: the result carries the error
    assert run.items == []
    assert run.error is not None and message in run.error
    assert "Traceback" not in run.stderr


def test_typed_inputs_decode_and_optional_defaults() -> None:
    cfg = {"metadata": {}, "data": {"replicas": 3}}
    run = ft.run(typed, {"my-config": cfg})
    assert ft.assert_ok(run)[0]["data"] == {"replicas": "3", "image": "nginx", "extra": "False"}
    run = ft.run(typed, {"my-config": cfg, "extra": config_map("x")})
    assert ft.assert_ok(run)[0]["data"]["extra"] == "True"


@attrs.frozen
class AttrsInputs:
    config: dict[str, Any] = attrs.field(metadata={"eno_key": "config"})
    maybe: dict[str, Any] | None = attrs.field(metadata={"eno_key": "maybe"})


@synthesizer
def with_optional(inputs: AttrsInputs) -> list[dict[str, Any]]:
    return [config_map("out", present=str(inputs.maybe is not None))]


def test_optional_ref_absent_is_none_and_required_missing_is_error() -> None:
    assert ft.assert_ok(ft.run(with_optional, {"config": CONFIG}, optional=["maybe"]))[0]["data"] == {
        "present": "False"
    }
    assert ft.run(with_optional, {"config": CONFIG}).error == (
        'error while reading input with key "maybe": input "maybe": input not found'
    )


def test_kubernetes_model_inputs() -> None:
    @synthesizer
    def synth(inputs: Inputs) -> list[Any]:
        cm = inputs.get("config", V1ConfigMap)
        assert isinstance(cm, V1ConfigMap) and isinstance(cm.metadata, V1ObjectMeta)
        return [config_map(cm.metadata.name + "-copy", **cm.data)]

    run = ft.run(synth, {"config": config_map("in", a="b")})
    assert ft.assert_ok(run) == [config_map("in-copy", a="b")]


def test_empty_stdin_means_no_inputs_and_bad_stdin_fails() -> None:
    assert echo.execute("").error is not None
    run = echo.execute("not json")
    assert run.exit_code == 1 and run.error is not None and run.error.startswith("stdin is not JSON")
    run = echo.execute('{"kind": "Other"}')
    assert run.exit_code == 1 and run.error == "stdin is not a KRM ResourceList"


# -- errors ------------------------------------------------------------------------------------------


def test_exceptions_exit_non_zero_with_one_line() -> None:
    @synthesizer
    def broken(inputs: Inputs) -> list[dict[str, Any]]:
        return [{"replicas": int("x")}]

    run = ft.run(broken)
    assert run.exit_code == 1
    assert run.items == []
    assert run.error is not None
    assert run.error.startswith("ValueError: invalid literal for int() with base 10: 'x' (test_sdk.py:")
    assert "in broken" in run.error
    assert run.stderr.strip() == f"synthesizer broken: {run.error}"


def test_traceback_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENO_TRACEBACK", "1")

    @synthesizer
    def broken(inputs: Inputs) -> list[dict[str, Any]]:
        raise KeyError("boom")

    assert "Traceback" in ft.run(broken).stderr


def test_synthesis_error_is_a_result_with_exit_zero() -> None:
    @synthesizer
    def refuses(inputs: Inputs) -> list[dict[str, Any]]:
        raise SynthesisError("replicas must be positive")

    run = ft.run(refuses)
    assert (run.exit_code, run.error, run.items) == (0, "replicas must be positive", [])


@pytest.mark.parametrize(
    ("output", "message"),
    [
        pytest.param(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "metadata.name", id="no-name"
        ),
        pytest.param(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "x", "annotations": {"eno.azure.io/readiness-group": "first"}},
            },
            "readiness-group",
            id="bad-group",
        ),
        pytest.param({"a": {1, 2}}, "is not JSON", id="not-json"),
        pytest.param("text", "not text", id="text"),
        pytest.param(object(), "cannot output a object", id="object"),
    ],
)
def test_invalid_outputs_are_refused_before_eno_sees_them(output, message) -> None:
    @synthesizer
    def bad(inputs: Inputs) -> Any:
        return [output] if not isinstance(output, str) else output

    run = ft.run(bad)
    assert run.exit_code == 1 and run.items == []
    assert run.error is not None and run.error.startswith("invalid output") and message in run.error


def test_prints_go_to_stderr_not_into_the_resource_list() -> None:
    @synthesizer
    def chatty(inputs: Inputs) -> list[dict[str, Any]]:
        print("debugging")
        return [config_map("x")]

    run = ft.run(chatty)
    assert run.items == [config_map("x")] and "debugging" in run.stderr


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_stdin_gives_a_resource_list_and_never_raises(text: str) -> None:
    run = echo.execute(text)
    assert run.exit_code in (0, 1)
    assert run.document["kind"] == "ResourceList" and isinstance(run.items, list)
    json.dumps(run.document)


def test_script_runs_as_a_process(tmp_path: Path) -> None:
    script = tmp_path / "synth.py"
    script.write_text(
        "from eno.function import Inputs, synthesizer\n"
        "@synthesizer\n"
        "def main(inputs: Inputs):\n"
        "    name = inputs.get('c')['data']['n']\n"
        "    return [{'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': name}}]\n"
        "if __name__ == '__main__':\n"
        "    main.run()\n"
    )
    stdin = json.dumps(ft.input_document({"c": config_map("in", n="made")}))
    done = subprocess.run(
        [sys.executable, str(script)], input=stdin, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["items"][0]["metadata"]["name"] == "made"
    done = subprocess.run(
        [sys.executable, str(script)], input=json.dumps(ft.input_document()), capture_output=True, text=True
    )
    assert done.returncode == 0 and "input not found" in json.loads(done.stdout)["results"][0]["message"]
    assert "Traceback" not in done.stderr


# -- outputs and mungers ----------------------------------------------------------------------------


def test_kubernetes_models_as_outputs() -> None:
    @synthesizer
    def models(inputs: Inputs) -> list[Any]:
        return [
            V1ConfigMap(metadata=V1ObjectMeta(name="cm"), data={"a": "b"}),
            V1Deployment(
                metadata=V1ObjectMeta(name="d"),
                spec=V1DeploymentSpec(
                    selector=V1LabelSelector(match_labels={"app": "d"}), template=V1PodTemplateSpec()
                ),
            ),
        ]

    cm, deploy = ft.assert_ok(ft.run(models))
    assert cm == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "b"}}
    assert deploy["apiVersion"] == "apps/v1" and deploy["kind"] == "Deployment"
    assert deploy["spec"]["selector"] == {"matchLabels": {"app": "d"}}


def test_mungers_apply_to_every_output_in_order() -> None:
    @synthesizer(
        mungers=[
            set_namespace("team"),
            set_labels({"app": "demo"}),
            managed_by_eno(),
            reconcile_interval(dt.timedelta(minutes=1)),
        ]
    )
    def many(inputs: Inputs) -> list[dict[str, Any]]:
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
        mine = config_map("b")
        mine["metadata"]["namespace"] = "other"
        mine["metadata"]["labels"] = {"app": "own"}
        return [ns, config_map("a"), mine]

    ns, a, b = ft.assert_ok(ft.run(many))
    assert "namespace" not in ns["metadata"]
    assert a["metadata"]["namespace"] == "team" and b["metadata"]["namespace"] == "other"
    assert a["metadata"]["labels"] == {"app": "demo", "app.kubernetes.io/managed-by": "Eno"}
    assert b["metadata"]["labels"]["app"] == "own"
    assert a["metadata"]["annotations"] == {"eno.azure.io/reconcile-interval": "1m0s"}


def test_mungers_do_not_touch_the_callers_objects() -> None:
    shared = config_map("x")

    @synthesizer(mungers=[set_namespace("n")])
    def synth(inputs: Inputs) -> list[dict[str, Any]]:
        return [shared]

    ft.run(synth)
    assert "namespace" not in shared["metadata"]


# -- helpers -------------------------------------------------------------------------------------------


def test_readiness_helpers() -> None:
    obj = with_readiness(config_map("x"), "self.data.ready == 'yes'")
    with_readiness(obj, "has(self.data.other)", name="other")
    with_readiness_group(obj, 2)
    with_deletion_group(obj, -1)
    assert obj["metadata"]["annotations"] == {
        "eno.azure.io/readiness": "self.data.ready == 'yes'",
        "eno.azure.io/readiness-other": "has(self.data.other)",
        "eno.azure.io/readiness-group": "2",
        "eno.azure.io/deletion-group": "-1",
    }
    assert ft.validate_resource_meta([obj]) == []
    with pytest.raises(ValueError, match="invalid readiness CEL"):
        with_readiness(config_map("x"), "self.data.(")
    with pytest.raises(ValueError, match="integer"):
        with_readiness_group(config_map("x"), "1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"path": "", "condition": "true"}, "needs a path", id="no-path"),
        pytest.param({"path": "self.a", "condition": ""}, "needs a condition", id="no-condition"),
        pytest.param({"path": "a.b", "condition": "true"}, "invalid path", id="bad-path"),
        pytest.param({"path": "self.a", "condition": "true &&"}, "invalid CEL", id="bad-cel"),
        pytest.param(
            {"path": "self.a", "condition": "true", "value": 1, "value_expression": "2"},
            "not both",
            id="both",
        ),
    ],
)
def test_override_validation(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        Override(**kwargs)


def test_overrides_annotate_apply_and_test() -> None:
    keep = Override(path="self.data.mode", condition="has(self.data.keep)", value=None)
    obj = annotate_overrides(config_map("x", mode="synthesized"), [keep])
    annotate_overrides(obj, [replace_if("self.data.mode == 'old'")])
    assert json.loads(obj["metadata"]["annotations"]["eno.azure.io/overrides"]) == [
        {"path": "self.data.mode", "condition": "has(self.data.keep)", "value": None},
        {"path": 'self.metadata.annotations["eno.azure.io/replace"]', "condition": "self.data.mode == 'old'",
         "value": "true"},
    ]  # fmt: skip
    live = config_map("x", mode="live", keep="1")
    assert keep.test(live) and not keep.test(config_map("x"))
    assert "mode" not in apply_to(obj, live).get("data", {})  # emptied maps go too
    assert apply_to(obj, config_map("x"))["data"]["mode"] == "synthesized"
    assert ft.validate_resource_meta([obj]) == []


def test_patches_pass_the_preflight() -> None:
    edit = patch("v1", "ConfigMap", "cm", [{"op": "replace", "path": "/data/v", "value": "2"}], namespace="n")
    gone = delete_patch("apps/v1", "Deployment", "d", namespace="n")
    assert edit == {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Patch",
        "metadata": {"name": "cm", "namespace": "n"},
        "patch": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "ops": [{"op": "replace", "path": "/data/v", "value": "2"}],
        },
    }
    assert gone["patch"]["ops"][0]["path"] == "/metadata/deletionTimestamp"
    assert ft.validate_resource_meta([edit, gone]) == []
    with pytest.raises(ValueError, match="apiVersion"):
        patch("a/b/c", "X", "y", [])


# -- testing helpers ------------------------------------------------------------------------------------


def test_snapshots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = ft.run(echo, {"config": config_map("in", a="b")})
    path = tmp_path / "snap.yaml"
    with pytest.raises(AssertionError, match="ENO_GEN_SNAPSHOTS=1"):
        ft.assert_snapshot(run, path)
    monkeypatch.setenv("ENO_GEN_SNAPSHOTS", "1")
    ft.assert_snapshot(run, path)
    monkeypatch.delenv("ENO_GEN_SNAPSHOTS")
    ft.assert_snapshot(run, path)
    with pytest.raises(AssertionError, match=r"(?s)differ.*-  a: b.*\+  a: c"):
        ft.assert_snapshot(ft.run(echo, {"config": config_map("in", a="c")}), path)


def test_scenarios_and_evaluate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "in" / "more").mkdir(parents=True)
    (tmp_path / "in" / "one.yaml").write_text(json.dumps({"config": config_map("in", a="1")}))
    (tmp_path / "in" / "more" / "two.json").write_text(json.dumps({"config": config_map("in", a="2")}))
    scenarios = ft.load_scenarios(tmp_path / "in")
    assert [s.name for s in scenarios] == ["two", "one"]
    monkeypatch.setenv("ENO_GEN_SNAPSHOTS", "1")
    runs = ft.evaluate(echo, scenarios, ft.snapshots(tmp_path / "out"))
    assert sorted(runs) == ["one", "two"]
    assert "a: '2'" in (tmp_path / "out" / "two.yaml").read_text()
    with pytest.raises(AssertionError, match="scenario one: synthesis failed"):
        ft.evaluate(echo, [ft.Scenario("one", {})])


def test_lint_inputs_match_synthesizer_refs(tmp_path: Path) -> None:
    synth_yaml = tmp_path / "synthesizer.yaml"
    refs = [
        {"key": k, "resource": {"group": "", "version": "v1", "kind": "ConfigMap"}}
        for k in ("my-config", "x")
    ]
    synth_yaml.write_text(
        json.dumps({"apiVersion": "eno.azure.io/v1", "kind": "Synthesizer", "spec": {"refs": refs}})
    )
    assert ft.inputs_match_synthesizer_refs(typed, synth_yaml, strict=False) == [
        "input key 'extra' is not a ref of the synthesizer"
    ]
    assert ft.inputs_match_synthesizer_refs(["my-config"], synth_yaml) == [
        "ref 'x' is not read by the synthesizer"
    ]
    assert ft.inputs_match_synthesizer_refs(["my-config", "x"], synth_yaml) == []
    with pytest.raises(ValueError, match="pass the keys"):
        ft.inputs_match_synthesizer_refs(echo, synth_yaml)


def test_lint_override_paths() -> None:
    obj = annotate_overrides(config_map("x"), [Override(path="self.data[0]", condition="true", value="v")])
    (problem,) = ft.validate_resource_meta([obj])
    assert problem.startswith("items[0] override self.data[0]:")


def test_read_manifest(tmp_path: Path) -> None:
    path = tmp_path / "static.yaml"
    first = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
    path.write_text(first + "---\n---\n" + json.dumps(config_map("b")))
    assert [o["metadata"]["name"] for o in read_manifest(path)] == ["a", "b"]
    path.write_text("- a list\n")
    with pytest.raises(OutputError, match="document 0 is not an object"):
        read_manifest(path)


def test_a_synthesizer_may_take_no_inputs() -> None:
    @synthesizer
    def constant() -> list[dict[str, Any]]:
        return [config_map("c")]

    assert ft.assert_ok(ft.run(constant)) == [config_map("c")]
    assert constant.inputs_type() is None


@given(
    st.sampled_from(["ConfigMap", "Namespace", "ClusterRole", "Widget"]),
    st.one_of(st.none(), st.sampled_from(["", "own"])),
)
def test_mungers_are_idempotent(kind: str, namespace: str | None) -> None:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}}
    if namespace is not None:
        obj["metadata"]["namespace"] = namespace
    mungers = [set_namespace("team"), set_labels({"a": "b"}), managed_by_eno()]
    once = json.loads(json.dumps(obj))
    for munge in mungers:
        munge(once)
    twice = json.loads(json.dumps(once))
    for munge in mungers:
        munge(twice)
    assert once == twice
    cluster_scoped = kind in ("Namespace", "ClusterRole")
    assert once["metadata"].get("namespace") == (namespace if cluster_scoped else namespace or "team")


def test_the_reported_frame_is_the_synthesizers_own() -> None:
    @synthesizer
    def parses(inputs: Inputs) -> list[dict[str, Any]]:
        return [json.loads("{")]

    run = ft.run(parses)
    assert run.error is not None and run.error.startswith("JSONDecodeError: ")
    assert run.error.endswith("in parses)") and "test_sdk.py:" in run.error
