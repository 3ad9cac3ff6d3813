"""Reading an example directory: its objects, its compositions (Symphony variations included) with their
bound inputs, and its Python synthesizers loaded in-process."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from typing import Any

import attrs
import yaml

from eno.function import Synthesizer

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
_modules = itertools.count()


@attrs.frozen
class ExampleComposition:
    example: str
    name: str  # the composition's name (for a variation: `<symphony>/<synthesizer>`)
    namespace: str
    synthesizer: dict[str, Any]
    inputs: dict[str, dict[str, Any]]

    @property
    def synthesizer_name(self) -> str:
        return str(self.synthesizer["metadata"]["name"])

    @property
    def id(self) -> str:
        return f"{self.example}-{self.synthesizer_name}"

    @property
    def command(self) -> list[str]:
        return list(self.synthesizer["spec"].get("command") or [])


def objects(example: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted((EXAMPLES / example).glob("*.yaml")):
        out += [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    return out


def compositions(example: str) -> list[ExampleComposition]:
    objs = objects(example)
    synths = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Synthesizer"}
    by_name = {(o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in objs}
    out: list[ExampleComposition] = []
    for obj in objs:
        meta, spec = obj["metadata"], obj.get("spec") or {}
        namespace = meta.get("namespace", "default")
        if obj["kind"] == "Composition":
            units = [(meta["name"], spec["synthesizer"]["name"], spec.get("bindings") or [])]
        elif obj["kind"] == "Symphony":
            units = []
            for variation in spec.get("variations") or []:
                merged = {b["key"]: b for b in spec.get("bindings") or []}
                merged |= {b["key"]: b for b in variation.get("bindings") or []}
                synth = variation["synthesizer"]["name"]
                units.append((f"{meta['name']}/{synth}", synth, list(merged.values())))
        else:
            continue
        for name, synth, bindings in units:
            inputs = {
                b["key"]: by_name[(b["resource"].get("namespace", namespace), b["resource"]["name"])]
                for b in bindings
            }
            out.append(ExampleComposition(example, name, namespace, synths[synth], inputs))
    return out


def load_synthesizer(example: str, script: str) -> Synthesizer:
    """Import the example's script afresh (module-level code reads the environment) and return `main`."""
    path = EXAMPLES / example / script
    spec = importlib.util.spec_from_file_location(f"example_synth_{next(_modules)}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    synth = module.main
    assert isinstance(synth, Synthesizer)
    return synth
