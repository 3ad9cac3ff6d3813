"""Input watching on the embedded server (Eno's CRDs installed): a manager running the watch controllers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from controllers import watch
from eno.api.v1 import Composition
from eno.api.v1 import constants as c
from eno.runtime.client import Client
from eno.runtime.manager import Manager
from tests.controllers.conftest import client, eno_server, running
from tests.eventually import eventually

__all__ = ["client", "eno_server", "until"]


async def until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """`eventually` for sync or async checks."""
    return await eventually(check, timeout=timeout)


FAST = watch.Options(informer_settings={"backoff_base": 0.05, "backoff_cap": 0.5})


@asynccontextmanager
async def watching(
    url: str, options: watch.Options = FAST
) -> AsyncIterator[tuple[Manager, watch.Registered]]:
    registered: list[watch.Registered] = []
    async with running(url, lambda m: registered.append(watch.setup(m, options))) as manager:
        yield manager, registered[0]


def configmap(name: str, annotations: dict[str, str] | None = None, **data: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "default"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def ref(key: str, kind: str = "ConfigMap", **extra: Any) -> dict[str, Any]:
    resource = {"group": "", "version": "v1", "kind": kind}
    for field in ("name", "namespace"):
        if field in extra:
            resource[field] = extra.pop(field)
    return {"key": key, "resource": resource, **extra}


async def make_synthesizer(client: Client, name: str, refs: list[dict[str, Any]]) -> dict[str, Any]:
    return await client.create(
        {
            "apiVersion": c.API_VERSION,
            "kind": "Synthesizer",
            "metadata": {"name": name},
            "spec": {"image": "img", "refs": refs},
        }
    )


async def make_composition(
    client: Client, name: str, synth: str, bindings: dict[str, str] | None = None
) -> dict[str, Any]:
    return await client.create(
        {
            "apiVersion": c.API_VERSION,
            "kind": "Composition",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {
                "synthesizer": {"name": synth},
                "bindings": [
                    {"key": k, "resource": {"name": v, "namespace": "default"}}
                    for k, v in (bindings or {}).items()
                ],
            },
        }
    )


async def revisions(client: Client, name: str) -> dict[str, dict[str, Any]]:
    comp = await client.get(Composition, name, "default")
    return {r.key: r.to_dict() for r in comp.status.input_revisions}
