"""docs/synthesis.md's synthesizer and its test, written to files and run as a user would."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "synthesis.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_documented_synthesizer_and_its_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synthesizer, test = python_blocks()[:2]
    (tmp_path / "synthesize.py").write_text(synthesizer)
    (tmp_path / "test_synthesize.py").write_text(test)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("synthesize", "test_synthesize"):
        sys.modules.pop(name, None)
    monkeypatch.setenv("ENO_GEN_SNAPSHOTS", "1")
    module = importlib.import_module("test_synthesize")
    module.test_outputs()  # writes the snapshot
    monkeypatch.delenv("ENO_GEN_SNAPSHOTS")
    module.test_outputs()  # compares with it
    module.test_bad_input_is_reported_not_raised()
    module.test_keys_match_the_synthesizer(tmp_path)
    assert (tmp_path / "snapshots" / "default.yaml").read_text().count("kind:") == 2
    for name in ("synthesize", "test_synthesize"):
        sys.modules.pop(name, None)
