"""Each example run by `eno dev --example NAME` (the embedded API server, its kubelet and both daemons in
one process) until its compositions are Ready, plus what the example is there to show.

The synthesizers' command is `python3 script.py`; the kubelet runs it with this process's environment,
so this interpreter's directory goes first on PATH (its `python3` has eno installed).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from eno_cmd import dev

from eno.runtime.client import Client
from eno.runtime.errors import NotFound
from eno.runtime.gvk import GVK
from tests.eventually import eventually

CONFIGMAP = GVK("", "v1", "ConfigMap")
COMPOSITION = GVK("eno.azure.io", "v1", "Composition")
SYMPHONY = GVK("eno.azure.io", "v1", "Symphony")
WIDGET = GVK("examples.eno.azure.io", "v1", "Widget")
READY_TIMEOUT = 60.0
Check = Callable[[Client], Awaitable[None]]


@pytest.fixture(autouse=True)
def venv_python_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")


async def running(tmp_path: Path, example: str, check: Check) -> str:
    """Run the example in `eno dev` until `check` passes; return dev's output. Stops dev either way."""
    out, stop = io.StringIO(), asyncio.Event()
    (tmp_path / "data").mkdir()
    args = argparse.Namespace(
        data_dir=str(tmp_path / "data"),
        kubeconfig=str(tmp_path / "kubeconfig"),
        host="127.0.0.1",
        port=0,
        log_file=str(tmp_path / "dev.log"),
        example=example,
        exit_when_ready=False,
    )
    task = asyncio.create_task(dev.dev(args, stop=stop, out=out))
    try:

        def url() -> str:
            assert not task.done(), out.getvalue()
            found = re.search(r"API server at (\S+);", out.getvalue())
            assert found and f"applied {example}" in out.getvalue(), out.getvalue()
            return found.group(1)

        async with await Client.from_url(await eventually(url, timeout=30)) as client:
            await check(client)
    finally:
        stop.set()
        code = await asyncio.wait_for(task, dev.READY_TIMEOUT + 30)
    assert code == 0, out.getvalue()
    return out.getvalue()


async def get(client: Client, kind: GVK, name: str) -> dict[str, Any]:
    """The object; not there yet is a failed check (eventually tries again), not an error."""
    try:
        return await client.get(kind, name, "default")
    except NotFound:
        raise AssertionError(f"{kind.kind} {name} not found") from None


async def configmap(client: Client, name: str) -> dict[str, Any]:
    return await get(client, CONFIGMAP, name)


async def ready(client: Client, name: str) -> dict[str, Any]:
    async def check() -> dict[str, Any]:
        comp = await get(client, COMPOSITION, name)
        simplified = (comp.get("status") or {}).get("simplified") or {}
        assert simplified.get("status") == "Ready", f"composition {name}: {simplified}"
        return comp

    return await eventually(check, timeout=READY_TIMEOUT)


async def gone(client: Client, name: str) -> bool:
    try:
        await client.get(CONFIGMAP, name, "default")
    except NotFound:
        return True
    return False


# -- one check per example ------------------------------------------------------------------------------


async def minimal(client: Client) -> None:
    await ready(client, "minimal")
    assert (await configmap(client, "minimal"))["data"]["composition"] == "minimal"


async def readiness(client: Client) -> None:
    await ready(client, "readiness")
    assert (await configmap(client, "readiness-database"))["data"] == {"state": "ready", "size": "large"}
    assert (await configmap(client, "readiness-app"))["data"]["database"] == "readiness-database"


async def crd(client: Client) -> None:
    await ready(client, "crd")
    assert (await get(client, WIDGET, "example-widget"))["spec"] == {"color": "blue", "size": 3}


async def symphony(client: Client) -> None:
    async def both_ready() -> bool:
        comps = (await client.list(COMPOSITION, namespace="default")).items
        by_synth = {c["spec"]["synthesizer"]["name"]: c for c in comps}
        assert set(by_synth) == {"symphony-frontend", "symphony-backend"}
        for comp in by_synth.values():
            assert ((comp.get("status") or {}).get("simplified") or {}).get("status") == "Ready", comp
        assert ((await get(client, SYMPHONY, "symphony")).get("status") or {}).get("ready")
        return True

    await eventually(both_ready, timeout=READY_TIMEOUT)
    assert (await configmap(client, "symphony-frontend"))["data"]["region"] == "westeurope"
    assert (await configmap(client, "symphony-backend"))["data"] == {"region": "westeurope", "workers": "4"}


async def patch(client: Client) -> None:
    await ready(client, "patch")
    target = await configmap(client, "patch-target")
    assert target["data"] == {"value": "patched-by-eno", "untouched": "kept"}
    await eventually(lambda: gone(client, "patch-obsolete"), timeout=READY_TIMEOUT)


async def ignore_side_effects(client: Client) -> None:
    comp = await ready(client, "ignore-side-effects")
    first = comp["status"]["currentSynthesis"]["uuid"]
    edited = await client.patch(
        CONFIGMAP, "ignore-side-effects-input", "default", {"data": {"version": "2"}}, field_manager="test"
    )

    async def input_seen() -> dict[str, Any]:
        comp = await client.get(COMPOSITION, "ignore-side-effects", "default")
        revisions = {r["key"]: r for r in comp["status"].get("inputRevisions") or []}
        assert revisions["config"]["resourceVersion"] == edited["metadata"]["resourceVersion"]
        return comp

    comp = await eventually(input_seen, timeout=READY_TIMEOUT)
    assert comp["status"]["currentSynthesis"]["uuid"] == first and not comp["status"].get("inFlightSynthesis")
    assert (await configmap(client, "ignore-side-effects"))["data"] == {"version": "1"}
    # An input that says ignore-side-effects "false" forces the resynthesis.
    await client.patch(
        CONFIGMAP,
        "ignore-side-effects-input",
        "default",
        {
            "metadata": {"annotations": {"eno.azure.io/ignore-side-effects": "false"}},
            "data": {"version": "3"},
        },
        field_manager="test",
    )

    async def resynthesized() -> bool:
        assert (await configmap(client, "ignore-side-effects"))["data"] == {"version": "3"}
        return True

    await eventually(resynthesized, timeout=READY_TIMEOUT)


async def overrides(client: Client) -> None:
    await ready(client, "overrides")

    async def some_key(value: str) -> bool:
        assert (await configmap(client, "overrides"))["data"]["someKey"] == value
        return True

    await eventually(lambda: some_key("overridden"), timeout=READY_TIMEOUT)
    await client.patch(
        CONFIGMAP, "overrides", "default", {"data": {"disableOverrides": "yes"}}, field_manager="test"
    )
    await eventually(lambda: some_key("synthesized"), timeout=READY_TIMEOUT)


async def shell(client: Client) -> None:
    await ready(client, "shell")
    assert (await configmap(client, "shell-output"))["data"] == {"written-by": "sh"}


EXAMPLES: dict[str, Check] = {
    "minimal": minimal,
    "readiness": readiness,
    "crd": crd,
    "symphony": symphony,
    "patch": patch,
    "ignore-side-effects": ignore_side_effects,
    "overrides": overrides,
    "shell": shell,
}


@pytest.mark.parametrize("example", list(EXAMPLES))
async def test_example_runs_to_ready(tmp_path: Path, example: str) -> None:
    out = await running(tmp_path, example, EXAMPLES[example])
    assert f"applied {example}" in out


def test_every_example_has_an_end_to_end_test() -> None:
    on_disk = {p.name for p in dev.EXAMPLES.iterdir() if (p / "example.yaml").is_file()}
    # getting-started: tests/daemons/test_dev.py; migration: its own runbook tests.
    assert on_disk - {"getting-started", "migration"} == set(EXAMPLES)


FAILING = """
from eno.function import Inputs, SynthesisError, synthesizer

@synthesizer
def main(inputs: Inputs):
    replicas = int(inputs.get("config")["data"]["replicas"])
    if replicas < 1:
        raise SynthesisError(f"replicas must be at least 1, not {replicas}")
    return []

if __name__ == "__main__":
    main.run()
"""
FAILING_YAML = """
apiVersion: eno.azure.io/v1
kind: Synthesizer
metadata: {name: failing}
spec:
  command: ["python3", "synthesize.py"]
  refs: [{key: config, resource: {group: "", version: v1, kind: ConfigMap}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: failing-config, namespace: default}
data: {replicas: "0"}
---
apiVersion: eno.azure.io/v1
kind: Composition
metadata: {name: failing, namespace: default}
spec:
  synthesizer: {name: failing}
  bindings: [{key: config, resource: {name: failing-config, namespace: default}}]
"""


async def test_sdk_errors_reach_the_composition_status(tmp_path: Path) -> None:
    example = tmp_path / "failing"
    example.mkdir()
    (example / "synthesize.py").write_text(FAILING)
    (example / "example.yaml").write_text(FAILING_YAML)

    async def shows(client: Client, error: str) -> bool:
        comp = await get(client, COMPOSITION, "failing")
        simplified = (comp.get("status") or {}).get("simplified") or {}
        assert error in str(simplified.get("error")), simplified
        return True

    async def replicas(client: Client, value: str) -> None:
        patch = {"data": {"replicas": value}}
        await client.patch(CONFIGMAP, "failing-config", "default", patch, field_manager="t")

    async def check(client: Client) -> None:
        # A SynthesisError: the message itself.
        await eventually(lambda: shows(client, "replicas must be at least 1, not 0"), timeout=READY_TIMEOUT)
        # An unexpected exception: a failed run (its one-line message is in the pod log).
        await replicas(client, "x")
        await eventually(lambda: shows(client, "exit status 1"), timeout=READY_TIMEOUT)
        # Fixed input: Ready.
        await replicas(client, "2")
        await ready(client, "failing")

    (tmp_path / "run").mkdir()
    await running(tmp_path / "run", str(example), check)
