"""The real kubectl's server-side apply and diff against the embedded server."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.apiserver.objects import GROUP, PLURAL, widget, widget_crd

pytestmark = pytest.mark.kubectl

KUBECTL = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")

Run = Callable[..., Awaitable[tuple[int, str, str]]]


@pytest.fixture
def kubectl(apiserver: Any, tmp_path: Path) -> Run:
    """kubectl against `apiserver`: (exit code, stdout, stderr); `kubectl diff` exits 1 on differences."""
    if KUBECTL is None:
        pytest.skip("kubectl not installed")
    kubeconfig = tmp_path / "kubeconfig"

    async def run(*args: str, timeout: float = 30) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            str(KUBECTL),
            "--kubeconfig",
            str(kubeconfig),
            "--cache-dir",
            str(tmp_path / "cache"),
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()

    return run


def write(tmp_path: Path, name: str, *docs: Any) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs))
    return str(path)


async def ok(kubectl: Run, *args: str) -> str:
    code, out, err = await kubectl(*args)
    assert code == 0, f"kubectl {' '.join(args)}: {err}"
    return out


async def test_server_side_apply_of_a_crd_and_its_objects(kubectl: Run, tmp_path: Path) -> None:
    crd = write(tmp_path, "crd.yaml", widget_crd())
    out = await ok(kubectl, "apply", "--server-side", "-f", crd)
    assert f"customresourcedefinition.apiextensions.k8s.io/{PLURAL}.{GROUP} serverside-applied" in out
    await ok(kubectl, "wait", "--for", "condition=Established", f"crd/{PLURAL}.{GROUP}", "--timeout=20s")
    objects = write(tmp_path, "widgets.yaml", widget("w1", size=3), widget("w2", size=4, tags=["a"]))
    out = await ok(kubectl, "apply", "--server-side", "-f", objects)
    assert "widget.example.com/w1 serverside-applied" in out
    assert "widget.example.com/w2 serverside-applied" in out

    w1 = json.loads(await ok(kubectl, "get", "widget", "w1", "-o", "json", "--show-managed-fields"))
    assert w1["spec"] == {"size": 3, "color": "blue"}
    [entry] = w1["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"]) == ("kubectl", "Apply")
    assert entry["fieldsV1"]["f:spec"] == {"f:size": {}}

    # Applying the same files again changes nothing.
    await ok(kubectl, "apply", "--server-side", "-f", objects)
    again = json.loads(await ok(kubectl, "get", "widget", "w1", "-o", "json"))
    assert again["metadata"]["resourceVersion"] == w1["metadata"]["resourceVersion"]

    # Another manager's change to the same field conflicts; --force-conflicts takes it.
    changed = write(tmp_path, "changed.yaml", widget("w1", size=9))
    code, _, err = await kubectl("apply", "--server-side", "--field-manager", "other", "-f", changed)
    assert code != 0
    assert 'conflict with "kubectl"' in err and ".spec.size" in err
    await ok(
        kubectl, "apply", "--server-side", "--field-manager", "other", "--force-conflicts", "-f", changed
    )
    assert json.loads(await ok(kubectl, "get", "widget", "w1", "-o", "json"))["spec"]["size"] == 9

    # Re-applying the CRD (unchanged) keeps it Established.
    await ok(kubectl, "apply", "--server-side", "-f", crd)
    status = json.loads(await ok(kubectl, "get", "crd", f"{PLURAL}.{GROUP}", "-o", "json"))["status"]
    assert {c["type"]: c["status"] for c in status["conditions"]}["Established"] == "True"


@pytest.mark.parametrize("server_side", [True, False], ids=["server-side", "client-side"])
async def test_kubectl_diff_shows_only_real_changes(kubectl: Run, tmp_path: Path, server_side: bool) -> None:
    await ok(kubectl, "apply", "--server-side", "-f", write(tmp_path, "crd.yaml", widget_crd()))
    await ok(kubectl, "wait", "--for", "condition=Established", f"crd/{PLURAL}.{GROUP}", "--timeout=20s")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c1", "namespace": "default"}}
    applied = write(tmp_path, "v1.yaml", widget("w1", size=3), {**cm, "data": {"a": "1"}})
    mode = ["--server-side"] if server_side else []
    await ok(kubectl, "apply", *mode, "-f", applied)
    before = json.loads(await ok(kubectl, "get", "widget", "w1", "-o", "json"))

    code, out, err = await kubectl("diff", *mode, "-f", applied)
    assert (code, out) == (0, ""), err

    changed = write(tmp_path, "v2.yaml", widget("w1", size=4), {**cm, "data": {"a": "2"}})
    code, out, err = await kubectl("diff", *mode, "-f", changed)
    assert code == 1, err
    assert "-  size: 3" in out and "+  size: 4" in out
    assert '-  a: "1"' in out and '+  a: "2"' in out
    # diff is a dry run: nothing was stored.
    after = json.loads(await ok(kubectl, "get", "widget", "w1", "-o", "json"))
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


@pytest.mark.parametrize(
    ("cascade", "dependent_left"), [("background", False), ("foreground", False), ("orphan", True)]
)
async def test_kubectl_delete_cascade_modes(
    kubectl: Run, tmp_path: Path, cascade: str, dependent_left: bool
) -> None:
    owner = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner", "namespace": "default"}}
    await ok(kubectl, "apply", "--server-side", "-f", write(tmp_path, "owner.yaml", owner))
    uid = (await ok(kubectl, "get", "cm", "owner", "-o", "jsonpath={.metadata.uid}")).strip()
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid, "blockOwnerDeletion": True}
    dependent = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "dependent", "namespace": "default", "ownerReferences": [ref]},
    }
    await ok(kubectl, "apply", "--server-side", "-f", write(tmp_path, "dependent.yaml", dependent))
    # kubectl waits for the owner to be gone, which in foreground needs the collector first.
    await ok(kubectl, "delete", "cm", "owner", f"--cascade={cascade}", "--wait=true", "--timeout=20s")
    if dependent_left:
        left = json.loads(await ok(kubectl, "get", "cm", "dependent", "-o", "json"))
        assert "ownerReferences" not in left["metadata"]
    else:
        await ok(kubectl, "wait", "--for=delete", "cm/dependent", "--timeout=20s")
