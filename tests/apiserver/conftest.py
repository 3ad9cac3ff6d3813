"""Fixtures for the API server conformance tests."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes_asyncio import client

from tests.apiserver.objects import widget_crd


@pytest.fixture
async def widgets(kube: client.ApiClient) -> Any:
    """The Widget CRD, created and Established; yields a CustomObjectsApi."""
    created = await client.ApiextensionsV1Api(kube).create_custom_resource_definition(widget_crd())
    conditions = {c.type: c.status for c in created.status.conditions}
    assert conditions["Established"] == "True"
    return client.CustomObjectsApi(kube)
