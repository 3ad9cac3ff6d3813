"""Small builders and decoders shared by the conformance tests."""

from __future__ import annotations

import json
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException


def configmap(name: str, data: dict[str, str] | None = None, **meta: Any) -> Any:
    """A ConfigMap body (typed Any: kubernetes-asyncio accepts dicts where it declares models)."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **meta}, "data": data or {}}


def status_of(err: ApiException) -> dict[str, Any]:
    """The Status body of a failed call."""
    body: Any = err.body
    decoded: dict[str, Any] = json.loads(body or "{}")
    return decoded


GROUP = "example.com"
PLURAL = "widgets"


def widget_crd(
    plural: str = PLURAL,
    kind: str = "Widget",
    group: str = GROUP,
    status_subresource: bool = True,
    scope: str = "Namespaced",
) -> Any:
    """A CRD with a small schema: spec.size (integer, required), spec.color (default blue), spec.tags."""
    version: dict[str, Any] = {
        "name": "v1",
        "served": True,
        "storage": True,
        "additionalPrinterColumns": [
            {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
            {"name": "Color", "type": "string", "jsonPath": ".spec.color"},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ],
        "schema": {
            "openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "spec": {
                        "type": "object",
                        "required": ["size"],
                        "properties": {
                            "size": {"type": "integer"},
                            "color": {"type": "string", "default": "blue"},
                            "tags": {"type": "array", "items": {"type": "string"}},
                            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                        },
                    },
                    "status": {
                        "type": "object",
                        "properties": {"ready": {"type": "boolean"}, "phase": {"type": "string"}},
                    },
                },
            }
        },
    }
    if status_subresource:
        version["subresources"] = {"status": {}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": scope,
            "names": {
                "plural": plural,
                "singular": kind.lower(),
                "kind": kind,
                "shortNames": [plural[:2]],
            },
            "versions": [version],
        },
    }


def widget(name: str, size: int = 1, **spec: Any) -> Any:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": {"size": size, **spec},
    }


MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


async def raw_get(api: Any, path: str, headers: dict[str, str] | None = None, **query: str) -> Any:
    """GET through the client's transport, unparsed: the aiohttp response (for watch streams)."""
    return await api.call_api(
        path,
        "GET",
        query_params=list(query.items()),
        header_params=headers or {},
        _preload_content=False,
    )


async def raw_request(
    api: Any, method: str, path: str, body: bytes = b"", content_type: str = "application/json", **query: str
) -> tuple[int, Any]:
    """Send exact bytes through the client's HTTP session (for bodies the typed client cannot produce)."""
    session = api.rest_client.pool_manager
    url = api.configuration.host + path
    async with session.request(
        method, url, data=body, headers={"Content-Type": content_type}, params=query or None
    ) as response:
        data = await response.read()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, data
