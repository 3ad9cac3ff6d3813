"""Testing synthesizers in-process (Go's functiontest and synthlint).

    from eno.function import testing

    def test_deployment() -> None:
        run = testing.run(main, {"config": config_map})
        assert run.error is None
        testing.assert_snapshot(run, SNAPSHOTS / "default.yaml")

`run` goes through the same protocol as a real synthesis (the input ResourceList Eno's executor builds, as
JSON text, then the output document), so what passes here passes in a pod. Snapshots are YAML files of the
outputs; `ENO_GEN_SNAPSHOTS=1` (re)writes them instead of comparing.
"""

from __future__ import annotations

import copy
import difflib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs
import yaml

from eno.api.v1 import constants as c
from eno.api.v1.krm import function_config
from eno.cel.engine import default_engine
from eno.function.inputs import Inputs, input_fields
from eno.function.main import Run, Synthesizer
from eno.resource.mutation import MutationStatus
from eno.resource.overrides import CompositionMetadata, apply_overrides, parse_overrides
from eno.synthesis.output import validate_items

Obj = dict[str, Any]
GEN_SNAPSHOTS_ENV: Final = "ENO_GEN_SNAPSHOTS"
SCENARIO_SUFFIXES: Final = (".yaml", ".yml", ".json")


def input_document(inputs: Mapping[str, Obj] | Sequence[Obj] = (), optional: Iterable[str] = ()) -> Obj:
    """The ResourceList Eno's executor writes: each input annotated with its ref key (inputs given as a
    key-to-object map; a list is taken as already annotated) and functionConfig.optionalRefs."""
    items: list[Obj] = []
    if isinstance(inputs, Mapping):
        for key, obj in inputs.items():
            item = copy.deepcopy(dict(obj))
            item.setdefault("metadata", {}).setdefault("annotations", {})[c.ANNOTATION_INPUT_KEY] = key
            items.append(item)
    else:
        items = [copy.deepcopy(dict(i)) for i in inputs]
    return {
        "apiVersion": c.KRM_API_VERSION,
        "kind": c.KRM_KIND,
        "items": items,
        "functionConfig": function_config(list(optional)),
    }


def run(
    synth: Synthesizer, inputs: Mapping[str, Obj] | Sequence[Obj] = (), *, optional: Iterable[str] = ()
) -> Run:
    """Run `synth` on `inputs` as Eno would (through the JSON protocol) and return what it wrote."""
    text = json.dumps(input_document(inputs, optional)) + "\n"
    result = synth.execute(text)
    # Round trip through JSON as the executor reads it: what the test sees is what Eno would see.
    return attrs.evolve(result, document=json.loads(json.dumps(result.document)))


def assert_ok(result: Run) -> list[Obj]:
    """The outputs of a run that succeeded; otherwise an AssertionError with the reason."""
    if result.exit_code != 0 or result.error is not None:
        raise AssertionError(f"synthesis failed (exit {result.exit_code}): {result.error}\n{result.stderr}")
    return result.items


# -- snapshots -------------------------------------------------------------------------------------


def to_yaml(items: Sequence[Obj]) -> str:
    """Outputs as the multi-document YAML a snapshot holds (keys sorted, so diffs are stable)."""
    return yaml.safe_dump_all(items, sort_keys=True, default_flow_style=False)


def assert_snapshot(result: Run | Sequence[Obj], path: str | Path) -> None:
    """Compare the outputs with the snapshot at `path`; ENO_GEN_SNAPSHOTS=1 writes it instead.

    A missing snapshot fails, saying how to create it (Go's functiontest skips it silently)."""
    items = assert_ok(result) if isinstance(result, Run) else list(result)
    path = Path(path)
    text = to_yaml(items)
    if os.environ.get(GEN_SNAPSHOTS_ENV):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    if not path.exists():
        raise AssertionError(f"no snapshot {path}: run the test with {GEN_SNAPSHOTS_ENV}=1 to write it")
    expected = path.read_text()
    if expected != text:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True), text.splitlines(keepends=True), str(path), "outputs"
        )
        raise AssertionError(
            f"outputs differ from snapshot {path} ({GEN_SNAPSHOTS_ENV}=1 rewrites it):\n" + "".join(diff)
        )


# -- scenarios -------------------------------------------------------------------------------------


@attrs.frozen
class Scenario:
    """Named inputs: `name` is the file's name without its extension."""

    name: str
    inputs: Mapping[str, Obj]
    optional: tuple[str, ...] = ()


def load_scenarios(directory: str | Path) -> list[Scenario]:
    """Every .yaml/.yml/.json file under `directory` (recursively, sorted by path): a map from ref key to
    the input object. A top-level `optionalRefs` list, if present, names the optional keys."""
    scenarios: list[Scenario] = []
    for path in sorted(Path(directory).rglob("*")):
        if path.suffix not in SCENARIO_SUFFIXES or not path.is_file():
            continue
        doc = yaml.safe_load(path.read_text()) or {}
        if not isinstance(doc, dict):
            raise ValueError(f"{path}: a scenario is a map from ref key to input object")
        optional = tuple(str(k) for k in doc.pop("optionalRefs", ()) or ())
        scenarios.append(Scenario(path.stem, doc, optional))
    return scenarios


def evaluate(
    synth: Synthesizer,
    scenarios: Iterable[Scenario],
    *assertions: Callable[[Scenario, Run], None],
) -> dict[str, Run]:
    """Run every scenario (a failed synthesis fails) and then each assertion on it; returns the runs."""
    runs: dict[str, Run] = {}
    for scenario in scenarios:
        result = run(synth, scenario.inputs, optional=scenario.optional)
        try:
            assert_ok(result)
            for assertion in assertions:
                assertion(scenario, result)
        except AssertionError as err:
            raise AssertionError(f"scenario {scenario.name}: {err}") from None
        runs[scenario.name] = result
    return runs


def snapshots(directory: str | Path) -> Callable[[Scenario, Run], None]:
    """An assertion comparing each scenario's outputs with `directory/<scenario>.yaml`."""
    return lambda scenario, result: assert_snapshot(result, Path(directory) / f"{scenario.name}.yaml")


# -- lints (Go's synthlint) ------------------------------------------------------------------------


def synthesizer_ref_keys(synthesizer_yaml: str | Path, name: str = "") -> list[str]:
    """The ref keys of the Synthesizer object `name` (default: the first) in a YAML file."""
    for doc in yaml.safe_load_all(Path(synthesizer_yaml).read_text()):
        if not isinstance(doc, dict) or doc.get("kind") != "Synthesizer":
            continue
        if name and (doc.get("metadata") or {}).get("name") != name:
            continue
        refs = (doc.get("spec") or {}).get("refs") or []
        return [str(r.get("key", "")) for r in refs if isinstance(r, dict)]
    raise ValueError(f"{synthesizer_yaml}: no Synthesizer {name}".rstrip())


def inputs_match_synthesizer_refs(
    inputs: Synthesizer | type | Iterable[str],
    synthesizer_yaml: str | Path,
    *,
    strict: bool = True,
    name: str = "",
) -> list[str]:
    """Problems between the keys a synthesizer reads and the refs its Synthesizer declares: every key must
    be a ref; with `strict` (Go's KeyMatchStrict), every ref must also be read."""
    keys: list[str]
    if isinstance(inputs, Synthesizer):
        type_ = inputs.inputs_type()
        if type_ is None or type_ is Inputs:
            raise ValueError("the synthesizer takes Inputs: pass the keys it reads")
        keys = [k for _, k, _ in input_fields(type_)]
    elif isinstance(inputs, type):
        keys = [k for _, k, _ in input_fields(inputs)]
    else:
        keys = list(inputs)
    refs = synthesizer_ref_keys(synthesizer_yaml, name)
    problems = [f"input key {k!r} is not a ref of the synthesizer" for k in keys if k not in refs]
    problems += [f"input key {k!r} is empty" for k in keys if not k]
    if not refs:
        problems.append("the synthesizer declares no refs")
    if strict:
        problems += [f"ref {r!r} is not read by the synthesizer" for r in refs if r not in keys]
    return problems


_PATH_PROBLEMS: Final = frozenset(
    {MutationStatus.MISSING_PARENT, MutationStatus.INDEX_OUT_OF_RANGE, MutationStatus.PATH_TYPE_MISMATCH}
)


def validate_resource_meta(items: Sequence[Any]) -> list[str]:
    """Eno's strict preflight on every output (name, kind, apiVersion; Eno annotations parse), plus: each
    output's overrides apply to the output itself without a path error."""
    engine = default_engine()
    problems = validate_items(items, engine)
    for index, item in enumerate(items):
        metadata = item.get("metadata") if isinstance(item, dict) else None
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        text = annotations.get(c.ANNOTATION_OVERRIDES) if isinstance(annotations, dict) else None
        if not isinstance(text, str):
            continue
        ops, errors = parse_overrides(text, engine, f"items[{index}]")
        if errors:
            continue  # already reported by the preflight
        result = apply_overrides(item, ops, CompositionMetadata(), item, f"items[{index}]")
        problems += [
            f"items[{index}] override {o.path}: {o.status.value}"
            for o in result.outcomes
            if o.status in _PATH_PROBLEMS
        ]
    return problems


def assert_valid(result: Run | Sequence[Obj]) -> None:
    """validate_resource_meta as an assertion."""
    items = result.items if isinstance(result, Run) else result
    problems = validate_resource_meta(items)
    if problems:
        raise AssertionError("invalid outputs:\n" + "\n".join(problems))
