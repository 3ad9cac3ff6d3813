"""Pure parts of synthesis: output parsing and validation, the pod spec, the channel framing, the shim."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.api.v1 import Composition, Synthesizer
from eno.apiserver import channel
from eno.cel.engine import default_engine
from eno.synthesis import output
from eno.synthesis.pod import PodOptions, affinity_for, parse_key_values, pod_for

RL = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList"}
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}


@pytest.mark.parametrize(
    ("stdout", "items", "error"),
    [
        (json.dumps({**RL, "items": [CM]}), 1, None),
        (json.dumps({**RL, "items": None}), 0, None),
        (json.dumps({**RL}), 0, None),
        (json.dumps({**RL, "items": [], "results": [{"message": "w", "severity": "warning"}]}), 0, None),
        (json.dumps({**RL, "items": [], "results": [{"message": "bad", "severity": "error"}]}), 0, "bad"),
        (json.dumps({**RL, "items": [], "results": [{"message": "x"}]}), 0, None),
    ],
    ids=["one-item", "items-null", "items-missing", "warning", "error-result", "no-severity-is-not-error"],
)
def test_parse_output(stdout: str, items: int, error: str | None) -> None:
    out = output.parse_output(stdout.encode())
    assert len(out.items) == items
    assert out.error == error


@pytest.mark.parametrize(
    ("stdout", "message"),
    [
        (b"", "invalid json"),
        (b"{", "invalid json"),
        (b"[]", "JSON array"),
        (b'"x"', "JSON string"),
        (json.dumps({"kind": "List", "items": []}).encode(), "kind 'List'"),
        (json.dumps({"items": []}).encode(), "without kind"),
        (json.dumps({**RL, "items": {}}).encode(), "not a list"),
        (json.dumps({**RL, "items": [], "results": {}}).encode(), "results is a JSON object"),
        (json.dumps({**RL, "items": [], "results": [1]}).encode(), "result is a JSON number"),
    ],
    ids=[
        "empty",
        "truncated",
        "array",
        "string",
        "other-kind",
        "no-kind",
        "items-object",
        "results-object",
        "result-number",
    ],
)
def test_parse_output_refuses(stdout: bytes, message: str) -> None:
    with pytest.raises(output.OutputError, match=message):
        output.parse_output(stdout)


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (CM, None),
        ({"kind": "ConfigMap", "metadata": {"name": "x"}}, "apiVersion"),
        ({"apiVersion": "v1", "metadata": {"name": "x"}}, "kind"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "metadata.name"),
        ("not an object", "JSON object"),
        (
            {**CM, "metadata": {"name": "x", "annotations": {"eno.azure.io/readiness-group": "one"}}},
            "readiness",
        ),
        ({**CM, "metadata": {"name": "x", "annotations": {"eno.azure.io/overrides": "{"}}}, "overrides"),
    ],
    ids=["ok", "no-apiversion", "no-kind", "no-name", "not-object", "bad-readiness-group", "bad-overrides"],
)
def test_strict_preflight(item: Any, problem: str | None) -> None:
    problems = output.validate_items([item], default_engine())
    if problem is None:
        assert problems == []
    else:
        assert problems and problem in problems[0]
        with pytest.raises(output.OutputError, match=r"invalid output: items\[0\]"):
            output.check_items([item], default_engine())


def test_exit_errors() -> None:
    assert output.exit_error(2) == "exit status 2 (see synthesis pod logs for more details)"
    assert "mismatch between the Synthesizer object and container image" in output.exit_error(127)


def _synth(**spec: Any) -> Synthesizer:
    return Synthesizer.from_dict(
        {"metadata": {"name": "s"}, "spec": {"image": "img:1", "command": ["synth", "--x"], **spec}}
    )


def _comp() -> Composition:
    return Composition.from_dict(
        {
            "metadata": {"name": "c", "namespace": "ns"},
            "spec": {
                "synthesizer": {"name": "s"},
                "synthesisEnv": [{"name": "A", "value": "1"}, {"name": "COMPOSITION_NAME", "value": "no"}],
            },
        }
    )


def test_pod_for_cluster() -> None:
    opts = PodOptions(
        namespace="eno",
        executor_image="eno:1",
        service_account="synth",
        labels={"team": "a", "eno.azure.io/synthesizer-name": "flag"},
        annotations={"a": "1"},
        taint_toleration="dedicated=synth",
        node_affinity="pool",
    )
    synth = _synth(podOverrides={"labels": {"team": "b"}, "annotations": {"a": "2"}})
    pod = pod_for(_comp(), synth, "u-1", opts)
    spec = pod["spec"]
    assert spec["initContainers"][0]["image"] == "eno:1"
    assert spec["initContainers"][0]["command"] == ["/eno-shim", "install", "/eno/shim"]
    main = spec["containers"][0]
    assert main["command"] == ["/eno/shim", "--", "synth", "--x"]
    assert main["image"] == "img:1"
    assert [e["name"] for e in main["env"]] == [
        "COMPOSITION_NAME",
        "COMPOSITION_NAMESPACE",
        "SYNTHESIS_UUID",
        "IMAGE",
        "A",
    ]
    assert main["securityContext"]["runAsUser"] == 65532
    assert spec["serviceAccountName"] == "synth" and spec["automountServiceAccountToken"] is False
    assert spec["tolerations"] == [
        {"key": "dedicated", "effect": "NoSchedule", "operator": "Equal", "value": "synth"}
    ]
    labels = pod["metadata"]["labels"]
    assert labels["team"] == "b" and labels["eno.azure.io/synthesizer-name"] == "flag"
    assert pod["metadata"]["annotations"] == {"a": "2"}
    assert spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ] == [{"matchExpressions": [{"key": "pool", "operator": "Exists"}]}]


def test_pod_for_default_command_and_no_executor_image() -> None:
    pod = pod_for(_comp(), _synth(command=[]), "u", PodOptions(namespace="eno", shim_command=("py", "shim")))
    assert "initContainers" not in pod["spec"]
    assert pod["spec"]["containers"][0]["command"] == ["py", "shim", "--", "synthesize"]


@pytest.mark.parametrize(
    ("override", "flag", "has_node", "anti_terms"),
    [
        (None, "", False, 1),
        (None, "pool=a", True, 1),
        (
            {
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 1, "podAffinityTerm": {"topologyKey": "zone"}}
                    ]
                }
            },
            "pool",
            False,
            2,
        ),
        (
            {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [{"matchExpressions": [{"key": "x", "operator": "Exists"}]}]
                    }
                }
            },
            "",
            False,
            1,
        ),
    ],
    ids=["default", "flag-node-affinity", "override-without-node-clears-flag", "override-node-without-flag"],
)
def test_affinity_literal_eno(override: Any, flag: str, has_node: bool, anti_terms: int) -> None:
    spec: dict[str, Any] = {"podOverrides": {"affinity": override}} if override else {}
    affinity = affinity_for(_synth(**spec), PodOptions(namespace="n", node_affinity=flag))
    assert ("nodeAffinity" in affinity) == has_node
    assert len(affinity["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]) == anti_terms


@pytest.mark.parametrize(
    ("text", "want"),
    [("", {}), ("a=1, b = 2 ,=x,c", {"a": "1", "b": "2", "c": ""}), ("k=v=w", {"k": "v=w"})],
    ids=["empty", "mixed", "first-equals"],
)
def test_parse_key_values(text: str, want: dict[str, str]) -> None:
    assert parse_key_values(text) == want


@given(st.integers(min_value=0, max_value=4), st.binary(max_size=64))
def test_channel_round_trip(number: int, payload: bytes) -> None:
    for protocol in channel.PROTOCOLS:
        assert channel.decode(channel.encode(number, payload), protocol) == channel.Data(number, payload)


@given(st.integers(min_value=0, max_value=4))
def test_channel_close_only_in_v5(number: int) -> None:
    frame = channel.encode_close(number)
    assert channel.decode(frame, channel.V5) == channel.Close(number)
    assert channel.decode(frame, channel.V4) == channel.Data(255, bytes([number]))


def test_channel_bad_close_and_statuses() -> None:
    with pytest.raises(channel.ProtocolError):
        channel.decode(bytes([255, 0, 1]), channel.V5)
    assert channel.decode(b"", channel.V5) is None
    assert channel.status_exit_code(channel.success_status()) == 0
    assert channel.status_exit_code(channel.exit_code_status(7)) == 7
    assert channel.status_exit_code(channel.failure_status("x")) is None


@pytest.mark.parametrize(
    ("code", "stdout", "message"),
    [
        (2, json.dumps({**RL, "items": [CM]}).encode(), "exit status 2"),
        (0, b"", "invalid json"),
        (0, json.dumps({**RL, "items": [{"kind": "X"}]}).encode(), "invalid output"),
    ],
    ids=["exit-code-first", "then-the-document", "then-each-item"],
)
def test_read_result_order(code: int, stdout: bytes, message: str) -> None:
    with pytest.raises(output.OutputError, match=message):
        output.read_result(code, stdout, default_engine())
    assert output.read_result(0, json.dumps({**RL, "items": [CM]}).encode(), default_engine()).items == (CM,)
