"""Synthesizer pods meet the restricted Pod Security Standard, init container included."""

from __future__ import annotations

import pytest

from eno.api.v1 import Composition, Synthesizer
from eno.synthesis.pod import INIT_CONTAINER_NAME, PodOptions, pod_for
from tests.pod_security import restricted_violations


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
