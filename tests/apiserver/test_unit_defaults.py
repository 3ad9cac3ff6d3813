"""Built-in defaulting: the objects kube-apiserver would return for the kinds this server serves."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from eno.apiserver.defaults import (
    allocate_cluster_ip,
    allocate_node_port,
    default_object,
    image_pull_policy,
    keep_service_allocations,
    pod_qos_class,
)
from eno.apiserver.errors import ApiError

DIGEST = "sha256:" + "a" * 64

DEPLOYMENT_IN: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "d", "namespace": "ns"},
    "spec": {
        "selector": {"matchLabels": {"app": "d"}},
        "template": {
            "metadata": {"labels": {"app": "d"}},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "nginx",
                        "ports": [{"containerPort": 80}],
                        "resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"}},
                    }
                ]
            },
        },
    },
}

DEPLOYMENT_OUT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "d", "namespace": "ns"},
    "spec": {
        "selector": {"matchLabels": {"app": "d"}},
        "replicas": 1,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
        "template": {
            "metadata": {"labels": {"app": "d"}},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "nginx",
                        "imagePullPolicy": "Always",
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
                    }
                ],
                "dnsPolicy": "ClusterFirst",
                "restartPolicy": "Always",
                "securityContext": {},
                "terminationGracePeriodSeconds": 30,
                "schedulerName": "default-scheduler",
            },
        },
    },
    "status": {},
}


def test_deployment_is_defaulted_as_kube_does() -> None:
    assert default_object("apps", "Deployment", DEPLOYMENT_IN) == DEPLOYMENT_OUT


def test_explicit_values_are_kept() -> None:
    explicit = copy.deepcopy(DEPLOYMENT_OUT)
    explicit["spec"].update(replicas=0, revisionHistoryLimit=0, strategy={"type": "Recreate"})
    container = explicit["spec"]["template"]["spec"]["containers"][0]
    container.update(imagePullPolicy="Never", terminationMessagePolicy="FallbackToLogsOnError")
    assert default_object("apps", "Deployment", explicit) == explicit


def pod(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": list(containers), **spec},
    }


def test_pod_requests_default_to_limits_and_status_is_pending() -> None:
    out = default_object(
        "", "Pod", pod({"name": "c", "image": "x:1", "resources": {"limits": {"cpu": "0.5", "memory": "1G"}}})
    )
    container = out["spec"]["containers"][0]
    assert container["resources"] == {
        "limits": {"cpu": "500m", "memory": "1G"},
        "requests": {"cpu": "500m", "memory": "1G"},
    }
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert out["spec"]["enableServiceLinks"] is True
    assert out["status"] == {"phase": "Pending", "qosClass": "Guaranteed"}


QOS = [
    ("best-effort", [{}], "BestEffort"),
    ("burstable-requests", [{"requests": {"cpu": "1"}}], "Burstable"),
    (
        "guaranteed",
        [{"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1000m", "memory": "1024Mi"}}],
        "Guaranteed",
    ),
    (
        "limits-differ",
        [{"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}],
        "Burstable",
    ),
    ("one-of-two", [{"limits": {"cpu": "1", "memory": "1Gi"}}, {}], "Burstable"),
]


@pytest.mark.parametrize(("name", "resources", "expect"), QOS, ids=[q[0] for q in QOS])
def test_pod_qos_class(name: str, resources: list[dict[str, Any]], expect: str) -> None:
    p = pod(*({"name": f"c{i}", "resources": r} for i, r in enumerate(resources)))
    assert pod_qos_class(default_object("", "Pod", p)) == expect


PULL = [
    ("nginx", "Always"),
    ("nginx:latest", "Always"),
    ("nginx:1.25", "IfNotPresent"),
    ("library/nginx", "Always"),
    ("localhost:5000/nginx", "Always"),
    ("registry.example.com:5000/team/app:v1", "IfNotPresent"),
    (f"nginx@{DIGEST}", "IfNotPresent"),
    (f"nginx:latest@{DIGEST}", "Always"),
    ("", "IfNotPresent"),
    ("NGINX", "IfNotPresent"),
]


@pytest.mark.parametrize(("image", "expect"), PULL, ids=[p[0] or "empty" for p in PULL])
def test_image_pull_policy(image: str, expect: str) -> None:
    assert image_pull_policy(image) == expect


def test_pod_spec_parts_are_defaulted() -> None:
    spec = {
        "containers": [
            {
                "name": "c",
                "image": "x:1",
                "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                "livenessProbe": {"httpGet": {"port": 80}},
                "lifecycle": {"preStop": {"httpGet": {"port": 80}}},
            }
        ],
        "volumes": [
            {"name": "a"},
            {"name": "b", "secret": {"secretName": "s"}},
            {"name": "c", "configMap": {"name": "m", "defaultMode": 256}},
            {"name": "d", "hostPath": {"path": "/x"}},
            {"name": "e", "emptyDir": {"sizeLimit": "1024Mi"}},
            {"name": "f", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
        ],
    }
    out = default_object("", "Pod", pod(**spec))["spec"]
    c = out["containers"][0]
    assert c["env"][0]["valueFrom"]["fieldRef"] == {"fieldPath": "metadata.name", "apiVersion": "v1"}
    assert c["livenessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert c["lifecycle"]["preStop"]["httpGet"] == {"port": 80, "path": "/", "scheme": "HTTP"}
    volumes = {v["name"]: v for v in out["volumes"]}
    assert volumes["a"] == {"name": "a", "emptyDir": {}}
    assert volumes["b"]["secret"]["defaultMode"] == 420
    assert volumes["c"]["configMap"]["defaultMode"] == 256
    assert volumes["d"]["hostPath"]["type"] == ""
    assert volumes["e"]["emptyDir"]["sizeLimit"] == "1Gi"
    assert volumes["f"]["projected"] == {
        "sources": [{"serviceAccountToken": {"path": "t", "expirationSeconds": 3600}}],
        "defaultMode": 420,
    }


def test_host_network_ports_default_host_port() -> None:
    out = default_object("", "Pod", pod({"name": "c", "ports": [{"containerPort": 8080}]}, hostNetwork=True))
    assert out["spec"]["containers"][0]["ports"] == [
        {"containerPort": 8080, "protocol": "TCP", "hostPort": 8080}
    ]


def test_statefulset() -> None:
    sts = {
        "spec": {
            "serviceName": "s",
            "template": {"spec": {"containers": [{"name": "c", "image": "i:1"}]}},
            "volumeClaimTemplates": [
                {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1024Mi"}}}}
            ],
        }
    }
    out = default_object("apps", "StatefulSet", sts)
    spec = out["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert (spec["replicas"], spec["revisionHistoryLimit"]) == (1, 10)
    assert spec["volumeClaimTemplates"][0] == {
        "metadata": {"name": "data"},
        "spec": {"resources": {"requests": {"storage": "1Gi"}}, "volumeMode": "Filesystem"},
        "status": {"phase": "Pending"},
    }
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    assert out["status"] == {"replicas": 0, "availableReplicas": 0}


def test_daemonset() -> None:
    out = default_object("apps", "DaemonSet", {"spec": {"template": {"spec": {"containers": []}}}})
    assert out["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert out["spec"]["revisionHistoryLimit"] == 10
    assert out["status"]["numberReady"] == 0


SERVICES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "cluster-ip",
        {"ports": [{"port": 80}], "sessionAffinityConfig": {"clientIP": {}}},
        {
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
            "sessionAffinity": "None",
            "type": "ClusterIP",
            "internalTrafficPolicy": "Cluster",
            "ipFamilyPolicy": "SingleStack",
            "ipFamilies": ["IPv4"],
        },
    ),
    (
        "node-port",
        {"type": "NodePort", "ports": [{"port": 80, "targetPort": "http"}]},
        {
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": "http"}],
            "sessionAffinity": "None",
            "type": "NodePort",
            "externalTrafficPolicy": "Cluster",
            "internalTrafficPolicy": "Cluster",
            "ipFamilyPolicy": "SingleStack",
            "ipFamilies": ["IPv4"],
        },
    ),
    (
        "load-balancer",
        {"type": "LoadBalancer"},
        {
            "sessionAffinity": "None",
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Cluster",
            "internalTrafficPolicy": "Cluster",
            "allocateLoadBalancerNodePorts": True,
            "ipFamilyPolicy": "SingleStack",
            "ipFamilies": ["IPv4"],
        },
    ),
    (
        "headless",
        {"clusterIP": "None"},
        {
            "clusterIP": "None",
            "clusterIPs": ["None"],
            "sessionAffinity": "None",
            "type": "ClusterIP",
            "internalTrafficPolicy": "Cluster",
            "ipFamilyPolicy": "SingleStack",
            "ipFamilies": ["IPv4"],
        },
    ),
    (
        "external-name",
        {"type": "ExternalName", "externalName": "x.example.com"},
        {"type": "ExternalName", "externalName": "x.example.com", "sessionAffinity": "None"},
    ),
]


@pytest.mark.parametrize(("name", "spec", "expect"), SERVICES, ids=[s[0] for s in SERVICES])
def test_service(name: str, spec: dict[str, Any], expect: dict[str, Any]) -> None:
    out = default_object("", "Service", {"spec": spec})
    assert out["spec"] == expect
    assert out["status"] == {"loadBalancer": {}}


def test_secret_type_and_string_data() -> None:
    out = default_object("", "Secret", {"data": {"a": "YQ=="}, "stringData": {"b": "hello"}})
    assert out == {"type": "Opaque", "data": {"a": "YQ==", "b": "aGVsbG8="}}
    assert default_object("", "Secret", {"type": "kubernetes.io/tls"})["type"] == "kubernetes.io/tls"


def test_namespace_gets_its_name_label_and_phase() -> None:
    out = default_object("", "Namespace", {"metadata": {"name": "team"}})
    assert out["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team"}
    assert out["status"] == {"phase": "Active"}


@pytest.mark.parametrize("kind", ["RoleBinding", "ClusterRoleBinding"])
def test_rbac_bindings(kind: str) -> None:
    binding = {
        "roleRef": {"kind": "Role", "name": "r"},
        "subjects": [
            {"kind": "ServiceAccount", "name": "sa"},
            {"kind": "User", "name": "u"},
            {"kind": "Group", "name": "g"},
        ],
    }
    out = default_object("rbac.authorization.k8s.io", kind, binding)
    assert out["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io"
    assert [s["apiGroup"] for s in out["subjects"]] == [
        "",
        "rbac.authorization.k8s.io",
        "rbac.authorization.k8s.io",
    ]


def test_crd_names_and_conversion() -> None:
    crd = {"spec": {"group": "x.io", "names": {"kind": "Widget", "plural": "widgets"}}}
    out = default_object("apiextensions.k8s.io", "CustomResourceDefinition", crd)
    assert out["spec"]["names"] == {
        "kind": "Widget",
        "plural": "widgets",
        "singular": "widget",
        "listKind": "WidgetList",
    }
    assert out["spec"]["conversion"] == {"strategy": "None"}


def test_pdb_status_zeros() -> None:
    out = default_object("policy", "PodDisruptionBudget", {"spec": {"minAvailable": 1}})
    assert out["status"] == {
        "disruptionsAllowed": 0,
        "currentHealthy": 0,
        "desiredHealthy": 0,
        "expectedPods": 0,
    }


def test_kinds_without_defaults_are_copied_unchanged() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}}
    out = default_object("", "ConfigMap", cm)
    assert out == cm and out is not cm
    custom = {"apiVersion": "x.io/v1", "kind": "Widget", "spec": {"replicas": None}}
    assert default_object("x.io", "Widget", custom) == custom


def test_bad_quantity_is_a_bad_request() -> None:
    bad = copy.deepcopy(DEPLOYMENT_IN)
    bad["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "lots"}}
    with pytest.raises(ApiError) as caught:
        default_object("apps", "Deployment", bad)
    assert caught.value.code == 400
    assert caught.value.message.startswith(
        'Deployment in version "v1" cannot be handled as a Deployment: quantities'
    )


IDEMPOTENT = [
    ("apps", "Deployment", DEPLOYMENT_IN),
    ("", "Pod", pod({"name": "c", "image": "x", "resources": {"limits": {"cpu": "2"}}})),
    ("", "Service", {"spec": {"ports": [{"port": 1}]}}),
    ("", "Secret", {"stringData": {"a": "b"}}),
]


@pytest.mark.parametrize(("group", "kind", "obj"), IDEMPOTENT, ids=[i[1] for i in IDEMPOTENT])
def test_defaulting_is_idempotent_and_pure(group: str, kind: str, obj: dict[str, Any]) -> None:
    snapshot = copy.deepcopy(obj)
    once = default_object(group, kind, obj)
    assert default_object(group, kind, once) == once
    assert obj == snapshot


def test_service_allocations() -> None:
    assert allocate_cluster_ip(set()) == "10.96.0.2"
    assert allocate_cluster_ip({"10.96.0.2", "10.96.0.3"}) == "10.96.0.4"
    assert allocate_cluster_ip({f"10.96.0.{i}" for i in range(256)}) == "10.96.1.0"
    assert allocate_node_port({30000}) == 30001
    old = {
        "spec": {
            "type": "NodePort",
            "clusterIP": "10.96.0.9",
            "clusterIPs": ["10.96.0.9"],
            "ports": [{"port": 80, "nodePort": 30080}],
        }
    }
    new = {"spec": {"type": "NodePort", "ports": [{"port": 80}]}}
    kept = keep_service_allocations(old, new)
    assert kept["spec"]["clusterIP"] == "10.96.0.9"
    assert kept["spec"]["ports"][0]["nodePort"] == 30080
    assert new == {"spec": {"type": "NodePort", "ports": [{"port": 80}]}}
