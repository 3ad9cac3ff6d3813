"""The shipped manifests load into the API server, and their RBAC gives each daemon what it needs."""

from __future__ import annotations

import asyncio
import shutil
import tomllib

import pytest

from eno.apiserver.server import ApiServer
from eno.runtime.client import Client
from tests.manifests.rbac import MANIFESTS, Request, allowed, manifest_objects, rules_for
from tests.pod_security import restricted_violations

WILDCARD_ROLES = ("eno-controller-inputs", "eno-reconciler-managed-resources")

RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


async def test_every_manifest_loads_into_the_api_server(apiserver: ApiServer) -> None:
    async with await Client.from_url(apiserver.url, qps=0) as client:
        for obj in manifest_objects():
            created = await client.create(obj)
            assert created["metadata"]["uid"]


@pytest.mark.kubectl
async def test_kubectl_create_accepts_the_kustomization(apiserver: ApiServer, tmp_path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed")
    kubeconfig = apiserver.write_kubeconfig(tmp_path / "kubeconfig")
    # The server runs on this event loop: kubectl must not block it.
    process = await asyncio.create_subprocess_exec(
        kubectl,
        "--kubeconfig",
        str(kubeconfig),
        "create",
        "-k",
        str(MANIFESTS),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert "deployment.apps/eno-controller created" in out.decode()
    assert "clusterrole.rbac.authorization.k8s.io/eno-reconciler created" in out.decode()


def test_image_builds_from_files_that_exist_and_runs_declared_commands() -> None:
    root = MANIFESTS.parent
    dockerfile = (root / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            for source in words[1:-1]:
                assert (root / source).exists(), f"Dockerfile copies a missing {source}"
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    for deployment in (o for o in manifest_objects() if o["kind"] == "Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["command"][0] in scripts


@pytest.mark.parametrize("name", ["eno-controller", "eno-reconciler"])
def test_deployments_are_hardened_and_probed(name: str) -> None:
    (deployment,) = [
        o for o in manifest_objects() if o["kind"] == "Deployment" and o["metadata"]["name"] == name
    ]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["serviceAccountName"] == name
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == RESTRICTED_CONTAINER
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"requests", "limits"} <= set(container["resources"])
    assert "--leader-election" in container["args"]
    assert deployment["spec"]["replicas"] == 2


CTL = "eno-controller"
REC = "eno-reconciler"
NS = "eno-system"
ENO = "eno.azure.io"
LEASE = "coordination.k8s.io"


@pytest.mark.parametrize(
    ("account", "request_", "expected"),
    [
        pytest.param(CTL, Request("create", "", "pods", NS), True, id="ctl-pods-own-ns"),
        pytest.param(CTL, Request("create", "", "pods", "default"), False, id="ctl-pods-elsewhere"),
        pytest.param(CTL, Request("get", "", "pods/attach", NS), True, id="ctl-attach"),
        pytest.param(CTL, Request("delete", "", "configmaps", "default"), False, id="ctl-no-writes"),
        pytest.param(CTL, Request("list", "", "configmaps", ""), True, id="ctl-reads-inputs"),
        pytest.param(REC, Request("patch", "apps", "deployments", "x"), True, id="rec-applies"),
        pytest.param(REC, Request("create", "", "pods", NS), True, id="rec-any-kind"),
    ],
)
def test_rbac_rules(account: str, request_: Request, expected: bool) -> None:
    assert allowed(rules_for(account, manifest_objects()), request_) is expected


@pytest.mark.parametrize(
    ("account", "request_", "expected"),
    [
        pytest.param(REC, Request("update", ENO, "compositions/status", "x"), False, id="no-status"),
        pytest.param(REC, Request("patch", ENO, "resourceslices/status", "x"), True, id="slice-status"),
        pytest.param(REC, Request("update", LEASE, "leases", "default"), False, id="lease-ns"),
        pytest.param(REC, Request("update", LEASE, "leases", NS), True, id="lease"),
        pytest.param(CTL, Request("list", "", "configmaps", ""), False, id="ctl-inputs-are-the-wildcard"),
    ],
)
def test_rbac_rules_without_the_wildcard_roles(account: str, request_: Request, expected: bool) -> None:
    """The Eno-specific roles, on their own (the wildcard roles are the ones users narrow)."""
    rules = rules_for(account, manifest_objects(), exclude=WILDCARD_ROLES)
    assert allowed(rules, request_) is expected


def test_eno_system_enforces_the_restricted_pod_security_standard() -> None:
    (namespace,) = [o for o in manifest_objects() if o["kind"] == "Namespace"]
    assert namespace["metadata"]["name"] == "eno-system"
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("name", ["eno-controller", "eno-reconciler"])
def test_deployments_pass_the_restricted_standard(name: str) -> None:
    (deployment,) = [
        o for o in manifest_objects() if o["kind"] == "Deployment" and o["metadata"]["name"] == name
    ]
    assert restricted_violations(deployment["spec"]["template"]) == []
