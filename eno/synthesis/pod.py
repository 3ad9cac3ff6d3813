"""The synthesis pod (spec synthesis.md §8, operations.md §6, docs/decisions/1000-synthesis-pod.md).

Eno's pod, with three changes our design needs: the container runs the shim in front of the synthesizer
command and keeps stdin open for one attach (`stdin`, `stdinOnce`); `restartPolicy: Never` (the controller
reads one run, a failure is retried as a new synthesis); and no service-account token is mounted, since
nothing in the pod talks to the API server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from eno.api.v1 import constants as c
from eno.api.v1.composition import Composition
from eno.api.v1.synthesizer import Synthesizer

Obj = dict[str, Any]

CONTAINER_NAME = "executor"
INIT_CONTAINER_NAME = "synth-installer"
SHARED_VOLUME = "sharedfs"
SHARED_MOUNT = "/eno"
SHIM_PATH = "/eno/shim"
# In the executor image: the static shim copies itself to the shared volume (as Eno's install-executor).
INSTALL_COMMAND = ("/eno-shim", "install", SHIM_PATH)
NON_ROOT_ID = 65532


@attrs.frozen
class PodOptions:
    """The eno-controller flags that shape synthesis pods."""

    namespace: str
    # --executor-image: the image holding the static shim; "" leaves the init container out (the embedded
    # kubelet ignores images, and `shim_command` then names a local shim).
    executor_image: str = ""
    shim_command: tuple[str, ...] = (SHIM_PATH,)
    service_account: str = ""
    labels: Mapping[str, str] = attrs.field(factory=dict)
    annotations: Mapping[str, str] = attrs.field(factory=dict)
    taint_toleration: str = ""
    node_affinity: str = ""


def parse_key_values(text: str) -> dict[str, str]:
    """Eno's `k=v,k2=v2` flag values: split on `,`, trim, split on the first `=`, empty keys dropped."""
    out: dict[str, str] = {}
    for part in text.split(","):
        key, _, value = part.strip().partition("=")
        key = key.strip()
        if key:
            out[key] = value.strip()
    return out


def command_of(synth: Synthesizer) -> list[str]:
    return list(synth.spec.command) or list(c.DEFAULT_SYNTHESIZER_COMMAND)


def synthesis_env(comp: Composition, synth: Synthesizer, uuid: str) -> list[Obj]:
    env = [
        {"name": c.ENV_COMPOSITION_NAME, "value": comp.name},
        {"name": c.ENV_COMPOSITION_NAMESPACE, "value": comp.namespace},
        {"name": c.ENV_SYNTHESIS_UUID, "value": uuid},
        {"name": c.ENV_IMAGE, "value": synth.spec.image},
    ]
    env += [
        {"name": e.name, "value": e.value}
        for e in comp.spec.synthesis_env
        if e.name not in c.RESERVED_ENV_NAMES
    ]
    return env


def labels_for(comp: Composition, synth: Synthesizer, uuid: str, options: PodOptions) -> dict[str, str]:
    labels = {
        c.LABEL_COMPOSITION_NAME: comp.name,
        c.LABEL_COMPOSITION_NAMESPACE: comp.namespace,
        c.LABEL_SYNTHESIS_UUID: uuid,
        c.LABEL_SYNTHESIZER_NAME: synth.name,
        c.MANAGED_BY_LABEL: c.MANAGED_BY_VALUE,
    }
    labels.update(options.labels)
    labels.update(synth.spec.pod_overrides.labels)
    return labels


def _key_value_requirement(text: str) -> Obj:
    key, sep, value = text.partition("=")
    if sep:
        return {"key": key, "operator": "In", "values": [value]}
    return {"key": key, "operator": "Exists"}


def affinity_for(synth: Synthesizer, options: PodOptions) -> Obj:
    """Eno's affinity, literally (§8): default anti-affinity, flag node affinity, then the override."""
    affinity: Obj = {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "topologyKey": "kubernetes.io/hostname",
                        "labelSelector": {"matchLabels": {c.MANAGED_BY_LABEL: c.MANAGED_BY_VALUE}},
                    },
                }
            ]
        }
    }
    if options.node_affinity:
        affinity["nodeAffinity"] = {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [_key_value_requirement(options.node_affinity)]}]
            }
        }
    override = synth.spec.pod_overrides.affinity
    if override is None:
        return affinity
    data = override.to_dict()
    if "podAffinity" in data:
        affinity["podAffinity"] = data["podAffinity"]
    anti = data.get("podAntiAffinity")
    if anti is not None:
        pref = affinity["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
        pref.extend(anti.get("preferredDuringSchedulingIgnoredDuringExecution") or [])
        required = anti.get("requiredDuringSchedulingIgnoredDuringExecution")
        if required is not None:
            affinity["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = required
    node = data.get("nodeAffinity")
    if node is None or "nodeAffinity" not in affinity:
        # Go Eno: an override without node affinity clears the flag's; one with it but no flag is dropped.
        affinity.pop("nodeAffinity", None)
    else:
        terms = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
            "nodeSelectorTerms"
        ]
        extra = (node.get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms")
        terms.extend(extra or [])
    return affinity


def restricted_security_context() -> Obj:
    """A container securityContext meeting the restricted Pod Security Standard (a fresh dict per call)."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsUser": NON_ROOT_ID,
        "runAsGroup": NON_ROOT_ID,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_for(comp: Composition, synth: Synthesizer, uuid: str, options: PodOptions) -> Obj:
    """The pod that runs one synthesis (`uuid`) of `comp` with `synth`."""
    mount = [{"name": SHARED_VOLUME, "mountPath": SHARED_MOUNT}]
    container: Obj = {
        "name": CONTAINER_NAME,
        "image": synth.spec.image,
        "command": [*options.shim_command, "--", *command_of(synth)],
        "stdin": True,
        "stdinOnce": True,
        "env": synthesis_env(comp, synth, uuid),
        "volumeMounts": mount,
        "securityContext": restricted_security_context(),
    }
    resources = synth.spec.pod_overrides.resources.to_dict()
    if resources:
        container["resources"] = resources
    spec: Obj = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "affinity": affinity_for(synth, options),
        "volumes": [{"name": SHARED_VOLUME, "emptyDir": {"medium": "Memory"}}],
        "containers": [container],
    }
    if options.executor_image:
        spec["initContainers"] = [
            {
                "name": INIT_CONTAINER_NAME,
                "image": options.executor_image,
                "command": list(INSTALL_COMMAND),
                "volumeMounts": mount,
                # Every container, init ones included, must meet the restricted Pod Security Standard.
                "securityContext": restricted_security_context(),
            }
        ]
    if options.service_account:
        spec["serviceAccountName"] = options.service_account
    if options.taint_toleration:
        key, sep, value = options.taint_toleration.partition("=")
        toleration: Obj = {"key": key, "effect": "NoSchedule", "operator": "Equal" if sep else "Exists"}
        if sep:
            toleration["value"] = value
        spec["tolerations"] = [toleration]
    metadata: Obj = {
        "generateName": "synthesis-",
        "namespace": options.namespace,
        "labels": labels_for(comp, synth, uuid, options),
    }
    annotations = {**options.annotations, **synth.spec.pod_overrides.annotations}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
