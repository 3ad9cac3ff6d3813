"""The real kubectl against the embedded kubelet: `kubectl attach -i` (WebSocket v5, stdin EOF) and logs."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from eno.apiserver.kubelet import Kubelet
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from eno.synthesis.attach import POD
from tests.eventually import eventually

pytestmark = pytest.mark.kubectl

KUBECTL = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ApiServer]:
    if KUBECTL is None:
        pytest.skip("kubectl not installed")
    srv = ApiServer(bookmark_interval=0.2)
    kubelet = Kubelet(srv)
    async with srv, kubelet:
        srv.write_kubeconfig(tmp_path / "kubeconfig")
        yield srv


async def kubectl(tmp_path: Path, *args: str, stdin: bytes = b"") -> tuple[int, bytes, bytes]:
    assert KUBECTL is not None
    proc = await asyncio.create_subprocess_exec(
        KUBECTL,
        "--kubeconfig",
        str(tmp_path / "kubeconfig"),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    return proc.returncode or 0, out, err


async def test_kubectl_attach_and_logs(server: ApiServer, tmp_path: Path) -> None:
    code = (
        "import sys; data = sys.stdin.read(); print('got', data.strip()); print('to stderr', file=sys.stderr)"
    )
    async with await Client.from_url(server.url, qps=0) as client:
        await client.create(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p", "namespace": "default"},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "main",
                            "image": "x",
                            "stdin": True,
                            "stdinOnce": True,
                            "command": [sys.executable, "-c", code],
                        }
                    ],
                },
            }
        )

        async def running() -> bool:
            pod = await client.get(POD, "p", "default")
            return bool(pod.get("status", {}).get("phase") == "Running")

        await eventually(running, timeout=10)
    rc, out, err = await kubectl(tmp_path, "attach", "-i", "p", "-c", "main", stdin=b"hello\n")
    assert rc == 0, err
    assert out == b"got hello\n"
    assert b"to stderr" in err
    rc, out, err = await kubectl(tmp_path, "logs", "p")
    assert rc == 0, err
    assert sorted(out.splitlines()) == [b"got hello", b"to stderr"]
