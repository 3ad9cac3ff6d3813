"""Builders for compositions and synthesizers as the scheduler sees them (typed, from wire dicts)."""

from __future__ import annotations

from typing import Any

from eno.api.v1 import Composition, Synthesizer
from eno.api.v1 import constants as c

T0 = "2026-01-01T00:00:00Z"


def synth(
    name: str = "synth", generation: int = 1, refs: list[dict[str, Any]] | None = None, uid: str = "s-uid"
) -> Synthesizer:
    return Synthesizer.from_dict(
        {
            "apiVersion": c.API_VERSION,
            "kind": "Synthesizer",
            "metadata": {"name": name, "generation": generation, "uid": uid},
            "spec": {"image": "img", "refs": refs or []},
        }
    )


def ref(key: str, *, defer: bool = False, optional: bool = False, name: str = "") -> dict[str, Any]:
    resource = {"group": "", "version": "v1", "kind": "ConfigMap"}
    if name:
        resource |= {"name": name, "namespace": "default"}
    return {"key": key, "resource": resource, "defer": defer, "optional": optional}


def rev(key: str, rv: str = "1", **extra: Any) -> dict[str, Any]:
    return {"key": key, "resourceVersion": rv, **extra}


def synthesis(
    uuid: str = "u1",
    generation: int = 1,
    synth_generation: int = 1,
    synthesized: str | None = T0,
    revs: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uuid": uuid,
        "observedCompositionGeneration": generation,
        "observedSynthesizerGeneration": synth_generation,
        "initialized": T0,
        **extra,
    }
    if synthesized:
        body["synthesized"] = synthesized
    if revs:
        body["inputRevisions"] = revs
    return body


def comp(
    name: str = "comp",
    *,
    generation: int = 1,
    uid: str = "c-uid",
    current: dict[str, Any] | None = None,
    in_flight: dict[str, Any] | None = None,
    previous: dict[str, Any] | None = None,
    revs: list[dict[str, Any]] | None = None,
    annotations: dict[str, str] | None = None,
    finalizer: bool = True,
    deleting: bool = False,
    depends_on: list[dict[str, str]] | None = None,
    **status: Any,
) -> Composition:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "generation": generation,
        "uid": uid,
        "creationTimestamp": T0,
    }
    if finalizer:
        meta["finalizers"] = [c.FINALIZER_CLEANUP]
    if annotations:
        meta["annotations"] = annotations
    if deleting:
        meta["deletionTimestamp"] = T0
    body: dict[str, Any] = dict(status)
    if current:
        body["currentSynthesis"] = current
    if in_flight:
        body["inFlightSynthesis"] = in_flight
    if previous:
        body["previousSynthesis"] = previous
    if revs:
        body["inputRevisions"] = revs
    spec: dict[str, Any] = {"synthesizer": {"name": "synth"}}
    if depends_on:
        spec["dependsOn"] = depends_on
    return Composition.from_dict(
        {"apiVersion": c.API_VERSION, "kind": "Composition", "metadata": meta, "spec": spec, "status": body}
    )
