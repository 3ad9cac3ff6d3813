"""The daemons as real subprocesses (the console scripts) against the embedded API server and kubelet."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import signal
import socket
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import pytest
import yaml
from eno_cmd.dev import CRDS, EXAMPLES, example_objects
from prometheus_client.parser import text_string_to_metric_families

from eno.apiserver.kubelet import Kubelet
from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from tests.eventually import eventually

BIN = Path(sys.executable).parent
NAMESPACE = "eno-system"  # the daemons' namespace, as in manifests/: synthesizer pods and leases live here
SHIM = shlex.join([sys.executable, "-m", "eno.synthesis.shim"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@attrs.define
class Daemon:
    """One running daemon process, with the ports of its probes and metrics and its log file."""

    name: str
    process: asyncio.subprocess.Process
    probes: int
    metrics: int
    log: Path

    async def get(self, port: int, path: str) -> tuple[int, str]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}{path}", timeout=aiohttp.ClientTimeout(total=5)) as resp,
        ):
            return resp.status, await resp.text()

    async def ready(self) -> bool:
        with contextlib.suppress(aiohttp.ClientError):
            status, _ = await self.get(self.probes, "/readyz")
            return status == 200
        assert self.process.returncode is None, f"{self.name} exited: {self.log.read_text()[-3000:]}"
        return False

    async def metric(self, name: str, /, **labels: str) -> float:
        """The sum of a metric's samples matching `labels` (0 if it has none)."""
        _, text = await self.get(self.metrics, "/metrics")
        total = 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    total += sample.value
        return total

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.process.returncode is None:
            self.process.send_signal(sig)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


class Daemons:
    """Starts daemon processes for a test and stops them all afterwards."""

    def __init__(self, kubeconfig: Path, logs: Path) -> None:
        self.kubeconfig = kubeconfig
        self.logs = logs
        self.running: list[Daemon] = []

    async def start(
        self,
        name: str,
        args: Sequence[str] = (),
        leader_election: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> Daemon:
        probes, metrics = free_port(), free_port()
        argv = [f"--health-probe-addr=127.0.0.1:{probes}", f"--metrics-addr=127.0.0.1:{metrics}", *args]
        if name == "eno-controller":
            argv.append(f"--synthesizer-shim-command={SHIM}")
        if leader_election:
            argv += ["--leader-election", f"--leader-election-id={name.removeprefix('eno-')}"]
        environment = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "POD_NAMESPACE": NAMESPACE,
            **(env or {}),
        }
        log = self.logs / f"{name}-{len(self.running)}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                str(BIN / name), *argv, env=environment, stdout=out, stderr=asyncio.subprocess.STDOUT
            )
        daemon = Daemon(name, process, probes, metrics, log)
        self.running.append(daemon)
        await eventually(daemon.ready, timeout=30, interval=0.1, message=f"{name} ready")
        return daemon

    async def stop_all(self) -> None:
        await asyncio.gather(*(d.stop() for d in self.running))


async def install_crds(client: Client) -> None:
    for path in sorted(CRDS.glob("*.yaml")):
        await client.create(yaml.safe_load(path.read_text()))


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[ApiServer]:
    """The embedded server with its kubelet, Eno's CRDs and the eno-system namespace."""
    srv = ApiServer(bookmark_interval=0.2)
    kubelet = Kubelet(srv)
    async with srv, kubelet:
        srv.write_kubeconfig(tmp_path / "kubeconfig")
        async with await Client.from_url(srv.url, qps=0) as client:
            await install_crds(client)
            await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        yield srv


@pytest.fixture
async def client(cluster: ApiServer) -> AsyncIterator[Client]:
    async with await Client.from_url(cluster.url, qps=0) as c:
        yield c


@pytest.fixture
async def daemons(cluster: ApiServer, tmp_path: Path) -> AsyncIterator[Daemons]:
    running = Daemons(tmp_path / "kubeconfig", tmp_path)
    try:
        yield running
    finally:
        await running.stop_all()


def getting_started() -> list[dict[str, Any]]:
    return example_objects(EXAMPLES / "getting-started")


async def apply(client: Client, objects: Sequence[dict[str, Any]]) -> None:
    for obj in objects:
        await client.patch(obj, patch=obj, patch_type="apply", field_manager="test", force=True)
