"""Synthesizer pods meet the restricted Pod Security Standard, init container included.

The embedded server has no Pod Security admission, so the standard's container rules are checked here as
kube's `restricted` level states them (allowPrivilegeEscalation, capabilities, runAsNonRoot, seccomp)."""

from __future__ import annotations

from typing import Any

import pytest

from eno.api.v1 import Composition, Synthesizer
from eno.synthesis.pod import INIT_CONTAINER_NAME, PodOptions, pod_for


def restricted_violations(pod: dict[str, Any]) -> list[str]:
    """What kube's restricted level (v1.2x) would reject, container by container."""
    spec = pod["spec"]
    pod_sc = spec.get("securityContext") or {}
    out: list[str] = []
    for c in [*spec.get("initContainers", []), *spec["containers"]]:
        sc = c.get("securityContext") or {}
        name = c["name"]
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append(f"{name}: allowPrivilegeEscalation != false")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            out.append(f"{name}: capabilities.drop lacks ALL")
        if set((sc.get("capabilities") or {}).get("add") or []) - {"NET_BIND_SERVICE"}:
            out.append(f"{name}: capabilities added")
        run_as_non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        if run_as_non_root is not True:
            out.append(f"{name}: runAsNonRoot != true")
        if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
            out.append(f"{name}: runAsUser=0")
        seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            out.append(f"{name}: seccompProfile not RuntimeDefault/Localhost")
    return out


def _synth() -> Synthesizer:
    return Synthesizer.from_dict({"metadata": {"name": "s"}, "spec": {"image": "img:1", "command": ["x"]}})


def _comp() -> Composition:
    return Composition.from_dict(
        {"metadata": {"name": "c", "namespace": "ns"}, "spec": {"synthesizer": {"name": "s"}}}
    )


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(PodOptions(namespace="eno-system"), id="no-executor-image"),
        pytest.param(PodOptions(namespace="eno-system", executor_image="eno:1"), id="with-init-container"),
        pytest.param(
            PodOptions(namespace="eno-system", executor_image="eno:1", service_account="synth"),
            id="init-container-and-service-account",
        ),
    ],
)
def test_synthesis_pod_meets_the_restricted_standard(options: PodOptions) -> None:
    pod = pod_for(_comp(), _synth(), "u-1", options)
    assert restricted_violations(pod) == []


def test_init_container_has_the_executors_security_context() -> None:
    spec = pod_for(_comp(), _synth(), "u-1", PodOptions(namespace="eno-system", executor_image="eno:1"))[
        "spec"
    ]
    (init,) = spec["initContainers"]
    (main,) = spec["containers"]
    assert init["name"] == INIT_CONTAINER_NAME
    assert init["securityContext"] == main["securityContext"]
    # Separate dicts: changing one container's context must not change the other's.
    assert init["securityContext"] is not main["securityContext"]


def test_the_check_catches_an_undeclared_init_container() -> None:
    pod = pod_for(_comp(), _synth(), "u-1", PodOptions(namespace="eno-system", executor_image="eno:1"))
    del pod["spec"]["initContainers"][0]["securityContext"]
    assert f"{INIT_CONTAINER_NAME}: runAsNonRoot != true" in restricted_violations(pod)
