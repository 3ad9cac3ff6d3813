"""The daemons' fixtures (embedded server with kubelet, both daemons as subprocesses) for `eno migrate`."""

import os
import sys
from pathlib import Path

import pytest

from tests.daemons.conftest import client, cluster, daemons

__all__ = ["client", "cluster", "daemons"]


@pytest.fixture(autouse=True)
def venv_python_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kubelet runs the synthesizers' `python3` with this process's PATH: use this interpreter's."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
