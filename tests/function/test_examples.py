"""Every example's synthesizer run in-process on the inputs its example YAML binds: outputs pass Eno's
preflight and the lints, and equal the snapshot in tests/function/snapshots (ENO_GEN_SNAPSHOTS=1 rewrites)."""

from __future__ import annotations

import json
import subprocess

import pytest

from eno.function import testing as ft
from eno.function.overrides import apply_to

from .examples import EXAMPLES, SNAPSHOTS, ExampleComposition, compositions, load_synthesizer

PYTHON_EXAMPLES = ["minimal", "readiness", "crd", "symphony", "patch", "ignore-side-effects", "overrides"]
CASES = [c for example in PYTHON_EXAMPLES for c in compositions(example)]


def test_every_example_is_covered() -> None:
    on_disk = {p.name for p in EXAMPLES.iterdir() if (p / "example.yaml").is_file()}
    assert set(PYTHON_EXAMPLES) | {"shell", "getting-started", "migration"} >= on_disk
    assert {c.example for c in CASES} == set(PYTHON_EXAMPLES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_example_synthesizer(case: ExampleComposition, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOSITION_NAME", case.name.split("/")[0])
    monkeypatch.setenv("COMPOSITION_NAMESPACE", case.namespace)
    assert case.command[0] == "python3"
    synth = load_synthesizer(case.example, case.command[-1])
    optional = [r["key"] for r in case.synthesizer["spec"].get("refs") or [] if r.get("optional")]
    run = ft.run(synth, case.inputs, optional=optional)
    ft.assert_ok(run)
    ft.assert_valid(run)
    if case.inputs:
        path = EXAMPLES / case.example / "synthesizer.yaml"
        assert ft.inputs_match_synthesizer_refs(case.inputs, path, name=case.synthesizer_name) == []
    ft.assert_snapshot(run, SNAPSHOTS / f"{case.id}.yaml")


def test_example_synthesizers_report_missing_inputs() -> None:
    for case in CASES:
        if case.inputs:
            run = ft.run(load_synthesizer(case.example, case.command[-1]), {})
            assert run.exit_code == 0 and run.items == []
            assert run.error is not None and "input not found" in run.error, case.id


def test_shell_example_prints_a_valid_resource_list() -> None:
    (case,) = compositions("shell")
    assert case.command[:2] == ["sh", "-c"]
    stdin = json.dumps(ft.input_document()) + "\n"
    done = subprocess.run(case.command, input=stdin, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["kind"] == "ResourceList"
    ft.assert_valid(doc["items"])
    ft.assert_snapshot(doc["items"], SNAPSHOTS / "shell-shell.yaml")


@pytest.mark.parametrize(
    ("live", "some_key"),
    [
        pytest.param(None, "synthesized", id="first-create-fails-open"),
        pytest.param({"data": {"someKey": "synthesized"}}, "overridden", id="live"),
        pytest.param({"data": {"someKey": "x", "disableOverrides": "yes"}}, "synthesized", id="disabled"),
    ],
)
def test_overrides_example_against_live_objects(live, some_key) -> None:
    (item,) = ft.assert_ok(ft.run(load_synthesizer("overrides", "synthesize.py")))
    assert apply_to(item, live)["data"]["someKey"] == some_key
