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
