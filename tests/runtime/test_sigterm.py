"""SIGTERM stops a manager process gracefully: in-flight reconciles finish within the deadline."""

from __future__ import annotations

import asyncio
import signal
import sys

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "work", "namespace": "default"}}


async def spawn(url: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.runtime.slow_manager",
        url,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def read_line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    return (await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip()


async def test_sigterm_lets_the_in_flight_reconcile_finish(apiserver: ApiServer) -> None:
    process = await spawn(apiserver.url, "--work", "1.0", "--grace", "10")
    try:
        async with await Client.from_url(apiserver.url, qps=0) as client:
            await client.create(CONFIGMAP)
        assert await read_line(process) == "started work"
        process.send_signal(signal.SIGTERM)
        assert await read_line(process) == "finished work"
        assert await read_line(process) == "exited"
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_sigterm_cuts_work_that_outlives_the_deadline(apiserver: ApiServer) -> None:
    process = await spawn(apiserver.url, "--work", "60", "--grace", "0.2")
    try:
        async with await Client.from_url(apiserver.url, qps=0) as client:
            await client.create(CONFIGMAP)
        assert await read_line(process) == "started work"
        process.send_signal(signal.SIGTERM)
        assert await read_line(process) == "exited"  # never "finished work"
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
