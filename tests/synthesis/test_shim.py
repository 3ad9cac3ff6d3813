"""The shim, both implementations: the Python reference (embedded kubelet) and the static C binary
(clusters), built here when a C compiler is available. Same table for both; then a whole synthesis
through the static one on the embedded kubelet."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from tests.synthesis.conftest import (
    current_is,
    dispatch,
    make_composition,
    make_synthesizer,
    options,
    running,
)

SOURCE = Path(__file__).resolve().parents[2] / "eno" / "synthesis" / "shim.c"


@pytest.fixture(scope="module")
def static_shim(tmp_path_factory: pytest.TempPathFactory) -> str:
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.skip("no C compiler to build the static shim")
    out = tmp_path_factory.mktemp("shim") / "eno-shim"
    done = subprocess.run(
        [gcc, "-static", "-Os", "-o", str(out), str(SOURCE)], capture_output=True, timeout=120
    )
    if done.returncode != 0:
        pytest.skip(f"cannot build a static binary here: {done.stderr.decode()[-300:]}")
    return str(out)


@pytest.fixture(params=["python", "static"])
def shim(request: pytest.FixtureRequest) -> list[str]:
    if request.param == "python":
        return [sys.executable, "-m", "eno.synthesis.shim"]
    return [request.getfixturevalue("static_shim")]


@pytest.mark.parametrize(
    ("child", "stdin", "stdout", "code"),
    [
        ("import sys; sys.stdout.write(sys.stdin.read().upper())", b"abc", b"ABC", 0),
        ("import sys; sys.stdout.write(str(len(sys.stdin.read())))", b"x" * 3_000_000, b"3000000", 0),
        (
            "import sys; print('first'); print('err', file=sys.stderr); sys.exit(3)",
            b"x" * 1_000_000,
            b"first\n",
            3,
        ),
        ("import sys; sys.stdout.write('y' * 2_000_000)", b"", b"y" * 2_000_000, 0),
        ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", b"", b"", 128 + 15),
    ],
    ids=["reads-stdin", "large-input", "never-reads-stdin", "large-output", "signal"],
)
def test_shim(shim: list[str], child: str, stdin: bytes, stdout: bytes, code: int) -> None:
    done = subprocess.run(
        [*shim, "--", sys.executable, "-c", child], input=stdin, capture_output=True, timeout=60
    )
    assert (done.stdout, done.returncode) == (stdout, code)


def test_shim_keeps_stderr_apart(shim: list[str]) -> None:
    child = "import sys; print('out'); sys.stdout.flush(); print('err', file=sys.stderr)"
    done = subprocess.run(
        [*shim, "--", sys.executable, "-c", child], input=b"", capture_output=True, timeout=60
    )
    assert (done.stdout, done.stderr) == (b"out\n", b"err\n")


def test_shim_cannot_start(shim: list[str]) -> None:
    done = subprocess.run([*shim, "--", "/no/such/cmd"], input=b"", capture_output=True, timeout=30)
    assert done.returncode == 127 and b"/no/such/cmd" in done.stderr


def test_static_shim_installs_itself(static_shim: str, tmp_path: Path) -> None:
    dest = tmp_path / "shim"
    assert subprocess.run([static_shim, "install", str(dest)], timeout=30).returncode == 0
    done = subprocess.run([str(dest), "--", "cat"], input=b"copied", capture_output=True, timeout=30)
    assert done.stdout == b"copied"


async def test_synthesis_through_the_static_shim(
    static_shim: str, server: ApiServer, client: Client, tmp_path: Path
) -> None:
    code = (
        "import json, sys; print('hello from the synthesizer', file=sys.stderr); "
        "doc = json.load(sys.stdin); "
        "item = {'apiVersion': 'v1', 'kind': 'ConfigMap', "
        "'metadata': {'name': 'n' + str(len(doc['items'])), 'namespace': 'default'}}; "
        "rl = {'apiVersion': 'config.kubernetes.io/v1', 'kind': 'ResourceList', 'items': [item]}; "
        "json.dump(rl, sys.stdout)"
    )
    await make_synthesizer(client, "synth", [sys.executable, "-c", code])
    await make_composition(client, "comp", "synth")
    opts = options()
    opts = attrs.evolve(opts, pod=attrs.evolve(opts.pod, shim_command=(static_shim,)))
    async with running(server.url, opts):
        uid = await dispatch(client, "comp")
        comp = await current_is(client, "comp", uid)
    assert comp.status.current_synthesis is not None
    assert len(comp.status.current_synthesis.resource_slices) == 1


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200_000), noise=st.integers(min_value=0, max_value=3))
def test_python_shim_passes_any_bytes_through(data: bytes, noise: int) -> None:
    """Whatever the synthesizer writes to stdout arrives intact and alone, whatever it writes to stderr."""
    child = (
        "import sys; data = sys.stdin.buffer.read(); "
        f"[sys.stderr.write('noise\\n') for _ in range({noise})]; sys.stdout.buffer.write(data)"
    )
    done = subprocess.run(
        [sys.executable, "-m", "eno.synthesis.shim", "--", sys.executable, "-c", child],
        input=data,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout == data
    assert done.stderr == b"noise\n" * noise
