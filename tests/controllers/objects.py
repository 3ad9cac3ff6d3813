"""Builders for the Eno objects tests create over HTTP."""

from __future__ import annotations

from typing import Any

NS = "default"
V1 = "eno.azure.io/v1"


def synthesizer(name: str, refs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": V1,
        "kind": "Synthesizer",
        "metadata": {"name": name},
        "spec": {"image": f"example.com/{name}:v1", "refs": refs or []},
    }


def variation(synth: str, **extra: Any) -> dict[str, Any]:
    return {"synthesizer": {"name": synth}, **extra}


def symphony(name: str, *variations: dict[str, Any], ns: str = NS, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": V1,
        "kind": "Symphony",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"variations": list(variations), **spec},
    }


def composition(name: str, synth: str, ns: str = NS, **extra: Any) -> dict[str, Any]:
    meta = {"name": name, "namespace": ns, **extra.pop("metadata", {})}
    return {
        "apiVersion": V1,
        "kind": "Composition",
        "metadata": meta,
        "spec": {"synthesizer": {"name": synth}, **extra.pop("spec", {})},
        **extra,
    }
