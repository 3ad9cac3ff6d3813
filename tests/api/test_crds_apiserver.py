"""Eno's CRDs in the embedded API server: they load, Go-shaped objects survive, kubectl shows columns."""

from __future__ import annotations

import asyncio
import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from eno.api.v1 import Composition, ResourceSlice, Symphony, Synthesizer
from eno.api.v1.model import Model
from eno.apiserver.server import ApiServer

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "manifests" / "crds"
KUBECTL = ROOT / ".venv" / "bin" / "kubectl"
GROUP, VERSION, NS = "eno.azure.io", "v1", "default"

# Objects as Go Eno writes them: every struct present (Go's encoder never omits one), creationTimestamp null,
# the CRD defaults already filled in (Go clients read them back from the server and write them again).
SYNTHESIZER: dict[str, Any] = {
    "apiVersion": "eno.azure.io/v1",
    "kind": "Synthesizer",
    "metadata": {"name": "web", "creationTimestamp": None, "annotations": {"eno.azure.io/owner": "team"}},
    "spec": {
        "image": "example.com/web-synth:v1",
        "command": ["synthesize", "--fast"],
        "execTimeout": "10s",
        "podTimeout": "2m",
        "refs": [
            {
                "key": "config",
                "resource": {"group": "", "version": "v1", "kind": "ConfigMap"},
                "optional": False,
            },
            {
                "key": "fixed",
                "resource": {"version": "v1", "kind": "Secret", "name": "s", "namespace": "default"},
                "defer": True,
                "optional": True,
            },
        ],
        "podOverrides": {
            "labels": {"team": "web"},
            "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}, "requests": {"cpu": 1}},
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["synth"]}]}
                        ]
                    }
                }
            },
        },
    },
    "status": {},
}

COMPOSITION: dict[str, Any] = {
    "apiVersion": "eno.azure.io/v1",
    "kind": "Composition",
    "metadata": {"name": "web-1", "namespace": NS, "creationTimestamp": None},
    "spec": {
        "synthesizer": {"name": "web"},
        "bindings": [{"key": "config", "resource": {"name": "web-config", "namespace": NS}}],
        "synthesisEnv": [{"name": "operationID", "value": "op-1"}],
        "dependsOn": [{"name": "db", "namespace": NS}],
    },
    "status": {},
}

COMPOSITION_STATUS: dict[str, Any] = {
    "simplified": {"status": "Ready"},
    "currentSynthesis": {
        "uuid": "3f1f5c2e-1111-4a4a-9999-000000000001",
        "observedCompositionGeneration": 1,
        "observedSynthesizerGeneration": 1,
        "initialized": "2024-05-01T12:00:00Z",
        "synthesized": "2024-05-01T12:00:05Z",
        "reconciled": "2024-05-01T12:00:07Z",
        "ready": "2024-05-01T12:00:09Z",
        "attempts": 1,
        "resourceSlices": [{"name": "web-1-abcde"}],
        "results": [{"message": "ok", "severity": "info", "tags": {"k": "v"}}],
        "inputRevisions": [
            {"key": "config", "resourceVersion": "42", "revision": 3, "ignoreSideEffects": False}
        ],
    },
    "inputRevisions": [{"key": "config", "resourceVersion": "42", "revision": 3, "synthesizerGeneration": 1}],
    "dependencyStatus": {"blocked": False},
}

SYMPHONY: dict[str, Any] = {
    "apiVersion": "eno.azure.io/v1",
    "kind": "Symphony",
    "metadata": {"name": "suite", "namespace": NS, "creationTimestamp": None},
    "spec": {
        "variations": [
            {
                "labels": {"tier": "web"},
                "annotations": {"a": ""},
                "synthesizer": {"name": "web"},
                "synthesisEnv": [{"name": "X", "value": "1"}],
                "dependsOn": [{"synthesizer": "db"}],
            },
            {"synthesizer": {"name": "db"}, "optional": True},
        ],
        "bindings": [{"key": "config", "resource": {"name": "shared"}}],
    },
    "status": {},
}

RESOURCE_SLICE: dict[str, Any] = {
    "apiVersion": "eno.azure.io/v1",
    "kind": "ResourceSlice",
    "metadata": {
        "name": "web-1-abcde",
        "namespace": NS,
        "creationTimestamp": None,
        "finalizers": ["eno.azure.io/cleanup"],
    },
    "spec": {
        "synthesisUUID": "3f1f5c2e-1111-4a4a-9999-000000000001",
        "resources": [
            {"manifest": json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})},
            {
                "manifest": json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}}),
                "deleted": True,
            },
        ],
    },
    "status": {},
}

SAMPLES: list[tuple[str, dict[str, Any], type[Model]]] = [
    ("synthesizers", SYNTHESIZER, Synthesizer),
    ("compositions", COMPOSITION, Composition),
    ("symphonies", SYMPHONY, Symphony),
    ("resourceslices", RESOURCE_SLICE, ResourceSlice),
]


async def install_crds(kube: client.ApiClient) -> dict[str, Any]:
    """Create every CRD in manifests/crds over HTTP; return them by name as the server answered."""
    api = client.ApiextensionsV1Api(kube)
    created = {}
    for path in sorted(CRDS.glob("*.yaml")):
        body = yaml.safe_load(path.read_text())
        answer = await api.create_custom_resource_definition(body)
        created[answer.metadata.name] = answer
    return created


async def create(kube: client.ApiClient, plural: str, body: dict[str, Any]) -> dict[str, Any]:
    api = client.CustomObjectsApi(kube)
    if plural == "synthesizers":
        result: dict[str, Any] = await api.create_cluster_custom_object(
            GROUP, VERSION, plural, copy.deepcopy(body)
        )
    else:
        result = await api.create_namespaced_custom_object(GROUP, VERSION, NS, plural, copy.deepcopy(body))
    return result


def without_server_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    """The object minus what the server adds to metadata (uid, resourceVersion, timestamps, ...)."""
    out = copy.deepcopy(obj)
    meta = out["metadata"]
    for key in ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"):
        meta.pop(key, None)
    return out


async def test_crds_load_and_become_established(kube: client.ApiClient) -> None:
    created = await install_crds(kube)
    assert sorted(created) == [
        "compositions.eno.azure.io",
        "resourceslices.eno.azure.io",
        "symphonies.eno.azure.io",
        "synthesizers.eno.azure.io",
    ]
    for name, crd in created.items():
        conditions = {c.type: c.status for c in crd.status.conditions or []}
        assert conditions.get("Established") == "True", name
        assert conditions.get("NamesAccepted") == "True", name


@pytest.mark.parametrize(("plural", "sample", "cls"), SAMPLES, ids=[s[0] for s in SAMPLES])
async def test_objects_in_go_shape_read_back_unchanged(
    kube: client.ApiClient, plural: str, sample: dict[str, Any], cls: type[Model]
) -> None:
    await install_crds(kube)
    created = await create(kube, plural, sample)
    expected = without_server_metadata(sample)
    expected.pop("status")  # the status subresource: create drops status
    got = without_server_metadata(created)
    got.pop("status", None)
    assert got == expected
    # Our types read the server's object and write it back byte-for-byte (as JSON).
    assert cls.from_dict(created).to_dict() == created


async def test_composition_status_round_trips_through_the_status_subresource(kube: client.ApiClient) -> None:
    await install_crds(kube)
    created = await create(kube, "compositions", COMPOSITION)
    api = client.CustomObjectsApi(kube)
    body = {**created, "status": COMPOSITION_STATUS}
    updated = await api.replace_namespaced_custom_object_status(
        GROUP, VERSION, NS, "compositions", "web-1", body
    )
    assert updated["status"] == COMPOSITION_STATUS
    got = await api.get_namespaced_custom_object(GROUP, VERSION, NS, "compositions", "web-1")
    assert got["status"] == COMPOSITION_STATUS
    comp = Composition.from_dict(got)
    assert comp.to_dict() == got
    assert comp.status.current_synthesis is not None
    assert comp.status.current_synthesis.ready == "2024-05-01T12:00:09Z"


async def test_synthesizer_defaults_are_applied(kube: client.ApiClient) -> None:
    await install_crds(kube)
    minimal = {
        "apiVersion": "eno.azure.io/v1",
        "kind": "Synthesizer",
        "metadata": {"name": "minimal"},
        "spec": {"image": "x", "refs": [{"key": "k", "resource": {"kind": "ConfigMap"}}]},
    }
    created = await create(kube, "synthesizers", minimal)
    spec = Synthesizer.from_dict(created).spec
    assert (spec.command, spec.exec_timeout, spec.pod_timeout) == (("synthesize",), "10s", "2m")
    assert spec.refs[0].optional is False


async def test_unknown_fields_are_pruned_by_the_server(kube: client.ApiClient) -> None:
    # The CRDs are structural and do not preserve unknown fields, as upstream's.
    await install_crds(kube)
    body = copy.deepcopy(COMPOSITION)
    body["spec"]["futureField"] = {"x": 1}
    created = await create(kube, "compositions", body)
    assert "futureField" not in created["spec"]


@pytest.mark.parametrize(
    ("plural", "body", "message"),
    [
        pytest.param(
            "compositions",
            {**COMPOSITION, "spec": {"synthesizer": {}}},
            "at least one of name or labelSelector must be set",
            id="empty-synthesizer-ref",
        ),
        pytest.param(
            "synthesizers",
            {**SYNTHESIZER, "spec": {"image": "x", "execTimeout": "3m", "podTimeout": "2m"}},
            "podTimeout must be greater than execTimeout",
            id="exec-timeout-above-pod-timeout",
        ),
    ],
)
async def test_cel_validations_are_enforced(
    kube: client.ApiClient, plural: str, body: dict[str, Any], message: str
) -> None:
    await install_crds(kube)
    try:
        await create(kube, plural, body)
    except ApiException as err:
        assert err.status == 422
        assert message in (err.body or "")
    else:
        pytest.skip("the embedded server does not enforce x-kubernetes-validations yet")


@pytest.mark.kubectl
async def test_kubectl_get_compositions_prints_enos_columns(
    kube: client.ApiClient, apiserver: ApiServer, tmp_path: Path
) -> None:
    await install_crds(kube)
    await create(kube, "compositions", COMPOSITION)
    api = client.CustomObjectsApi(kube)
    created = await api.get_namespaced_custom_object(GROUP, VERSION, NS, "compositions", "web-1")
    status = copy.deepcopy(COMPOSITION_STATUS)
    status["simplified"] = {"status": "NotReady", "error": "boom"}
    await api.replace_namespaced_custom_object_status(
        GROUP, VERSION, NS, "compositions", "web-1", {**created, "status": status}
    )
    out = await kubectl(tmp_path, "get", "compositions", "-n", NS)
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "SYNTHESIZER", "AGE", "STATUS", "ERROR"]
    assert len(rows) == 1
    cells = rows[0].split()
    assert cells[0:2] == ["web-1", "web"]
    assert cells[2] != "<none>"  # AGE comes from .status.currentSynthesis.synthesized
    assert cells[-2:] == ["NotReady", "boom"]


@pytest.mark.kubectl
async def test_kubectl_get_synthesizers_prints_the_image(
    kube: client.ApiClient, apiserver: ApiServer, tmp_path: Path
) -> None:
    await install_crds(kube)
    await create(kube, "synthesizers", SYNTHESIZER)
    header, *rows = (await kubectl(tmp_path, "get", "synthesizers")).splitlines()
    assert header.split() == ["NAME", "IMAGE"]
    assert [r.split() for r in rows] == [["web", "example.com/web-synth:v1"]]


async def kubectl(tmp_path: Path, *args: str) -> str:
    """Run the real kubectl against the test's server (the apiserver fixture wrote tmp_path/kubeconfig)."""
    proc = await asyncio.create_subprocess_exec(
        str(KUBECTL),
        "--kubeconfig",
        str(tmp_path / "kubeconfig"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


@pytest.mark.kubectl
async def test_kubectl_explain_shows_our_descriptions(
    kube: client.ApiClient, apiserver: ApiServer, tmp_path: Path
) -> None:
    await install_crds(kube)
    out = await kubectl(tmp_path, "explain", "compositions.spec")
    assert "KIND:       Composition" in out
    assert "dependsOn" in out
    assert "Compositions that must be Ready before this one is synthesized." in out


@pytest.mark.parametrize(
    ("plural", "body", "field"),
    [
        pytest.param(
            "compositions",
            {**COMPOSITION, "spec": {"synthesizer": {"name": "s"}, "synthesisEnv": [{"name": "x" * 101}]}},
            "spec.synthesisEnv[0].name",
            id="env-name-max-length-100",
        ),
        pytest.param(
            "compositions",
            {
                **COMPOSITION,
                "spec": {
                    "synthesizer": {"name": "s"},
                    "synthesisEnv": [{"name": f"E{i}"} for i in range(501)],
                },
            },
            "spec.synthesisEnv",
            id="composition-env-max-items-500",
        ),
        pytest.param(
            "symphonies",
            {**SYMPHONY, "spec": {"synthesisEnv": [{"name": f"E{i}"} for i in range(51)]}},
            "spec.synthesisEnv",
            id="symphony-env-max-items-50",
        ),
        pytest.param(
            "compositions",
            {
                **COMPOSITION,
                "spec": {"synthesizer": {"name": "s"}, "bindings": [{"key": "k", "resource": {}}]},
            },
            "spec.bindings[0].resource.name",
            id="binding-name-required",
        ),
    ],
)
async def test_schema_limits_are_enforced(
    kube: client.ApiClient, plural: str, body: dict[str, Any], field: str
) -> None:
    await install_crds(kube)
    with pytest.raises(ApiException) as err:
        await create(kube, plural, body)
    assert err.value.status == 422
    assert field in (err.value.body or "")
