"""The generated CRDs: committed files are up to date, and they match upstream Eno's schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from eno.api.v1 import crds

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests" / "crds"
REFERENCE = ROOT.parent / "shared" / "reference" / "eno-crds"


@pytest.mark.parametrize("name", sorted(crds.generate()))
def test_committed_crd_is_what_the_generator_makes(name: str) -> None:
    committed = (MANIFESTS / name).read_text() if (MANIFESTS / name).exists() else ""
    assert committed == crds.generate()[name], (
        f"manifests/crds/{name} is stale: run `python -m eno.api.v1.crds`"
    )


def normalise(doc: Any) -> Any:
    """Drop what is not part of the contract: descriptions, and controller-gen's version annotation."""
    if isinstance(doc, dict):
        out = {k: normalise(v) for k, v in doc.items() if k != "description"}
        if "required" in out and isinstance(out["required"], list):
            out["required"] = sorted(out["required"])
        return out
    if isinstance(doc, list):
        return [normalise(v) for v in doc]
    return doc


def differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Every place where the two documents differ, as readable lines."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out: list[str] = []
        for key in sorted(set(ours) | set(theirs)):
            sub = f"{path}.{key}"
            if key not in theirs:
                out.append(f"{sub}: only in ours: {ours[key]!r}")
            elif key not in ours:
                out.append(f"{sub}: only in upstream: {theirs[key]!r}")
            else:
                out.extend(differences(ours[key], theirs[key], sub))
        return out
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [
            d
            for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    if ours != theirs:
        return [f"{path}: ours {ours!r} != upstream {theirs!r}"]
    return []


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="upstream reference CRDs not present")
@pytest.mark.parametrize("name", sorted(crds.generate()))
def test_crd_matches_upstream(name: str) -> None:
    ours = normalise(yaml.safe_load(crds.generate()[name]))
    theirs = normalise(yaml.safe_load((REFERENCE / name).read_text()))
    # controller-gen stamps its version; we are not controller-gen.
    theirs["metadata"].pop("annotations", None)
    found = differences(ours, theirs)
    assert not found, "differences from upstream:\n" + "\n".join(found)


def test_upstream_has_no_kind_we_do_not_generate() -> None:
    if not REFERENCE.is_dir():
        pytest.skip("upstream reference CRDs not present")
    assert sorted(p.name for p in REFERENCE.glob("*.yaml")) == sorted(crds.generate())


def test_differences_reports_each_path() -> None:
    found = differences({"a": {"b": 1, "c": [1]}}, {"a": {"b": 2, "d": 3, "c": [1]}})
    assert found == [
        ".a.b: ours 1 != upstream 2",
        ".a.d: only in upstream: 3",
    ]


def test_main_writes_every_crd(tmp_path: Path) -> None:
    assert crds.main([str(tmp_path / "out")]) == 0
    written = {p.name: p.read_text() for p in (tmp_path / "out").iterdir()}
    assert written == crds.generate()
