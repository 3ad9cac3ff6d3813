"""`eno dev --example getting-started` reaches Ready in one process and stops cleanly."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
from pathlib import Path

import pytest
from eno_cmd import dev
from eno_cmd.dev import composition_row, example_objects, summary


async def test_dev_runs_getting_started_until_ready(tmp_path) -> None:
    args = argparse.Namespace(
        data_dir=str(tmp_path / "data"),
        kubeconfig=str(tmp_path / "kubeconfig"),
        host="127.0.0.1",
        port=0,
        log_file=str(tmp_path / "dev.log"),
        example="getting-started",
        exit_when_ready=True,
    )
    (tmp_path / "data").mkdir()
    out = io.StringIO()
    assert await dev.dev(args, out=out) == 0
    text = out.getvalue()
    assert "getting-started is Ready" in text
    assert f"export KUBECONFIG={tmp_path / 'kubeconfig'}" in text
    assert (tmp_path / "kubeconfig").exists()
    assert "eno dev: stopped" in text


def test_example_commands_resolve_against_the_example_directory() -> None:
    objects = example_objects(dev.EXAMPLES / "getting-started")
    (synth,) = [o for o in objects if o["kind"] == "Synthesizer"]
    assert synth["spec"]["command"] == ["python3", str(dev.EXAMPLES / "getting-started" / "synthesize.py")]
    assert objects[-1]["kind"] == "Composition"


def test_unknown_example_names_the_known_ones() -> None:
    with pytest.raises(SystemExit, match="getting-started"):
        dev.example_dir("nope")


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        pytest.param([], "no compositions yet", id="empty"),
        pytest.param(
            [{"metadata": {"name": "a", "namespace": "n"}, "spec": {"synthesizer": {"name": "s"}}}],
            "n/a          s            Pending",
            id="no-status",
        ),
        pytest.param(
            [
                {
                    "metadata": {"name": "a", "namespace": "n"},
                    "spec": {"synthesizer": {"name": "s"}},
                    "status": {"simplified": {"status": "Ready"}},
                }
            ],
            "n/a          s            Ready",
            id="ready",
        ),
    ],
)
def test_summary(objects, expected) -> None:
    assert expected in summary(composition_row(o) for o in objects)


async def test_sdk_example_is_ready_when_eno_dev_runs_without_the_venv_on_path(tmp_path) -> None:
    """`make run` starts `.venv/bin/eno dev` with the system Python first on PATH; SDK synthesizers
    (`python3 synth.py`, importing eno.function) must still find eno-py."""
    env = {**os.environ, "PATH": "/usr/local/bin:/usr/bin:/bin"}
    eno = Path(sys.executable).parent / "eno"
    process = await asyncio.create_subprocess_exec(
        str(eno),
        "dev",
        "--example",
        "minimal",
        "--exit-when-ready",
        "--data-dir",
        str(tmp_path / "data"),
        "--kubeconfig",
        str(tmp_path / "kubeconfig"),
        "--log-file",
        str(tmp_path / "dev.log"),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, out.decode()
    assert b"minimal is Ready" in out


async def test_make_run_walks_the_migration_through_eno_migrate(tmp_path) -> None:
    """What `make run` does: the migration example, then its runbook through `eno migrate`."""
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "eno"),
        "dev",
        "--example",
        "migration",
        "--walkthrough",
        "--exit-when-ready",
        "--data-dir",
        str(tmp_path / "data"),
        "--kubeconfig",
        str(tmp_path / "kubeconfig"),
        "--log-file",
        str(tmp_path / "dev.log"),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    text = out.decode()
    assert process.returncode == 0, text
    assert "plan: ready to flip" in text
    assert "moved-config is now written by: target" in text
    assert "eno dev: walkthrough done" in text
