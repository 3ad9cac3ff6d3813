"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from kubernetes_asyncio import client as k8s_client

from eno.apiserver.server import ApiServer


@pytest.fixture
async def apiserver(tmp_path: Path) -> AsyncIterator[ApiServer]:
    """A running embedded API server for one test, with its kubeconfig at tmp_path/kubeconfig."""
    async with ApiServer(bookmark_interval=0.2) as srv:
        srv.write_kubeconfig(tmp_path / "kubeconfig")
        yield srv


@pytest.fixture
async def kube(apiserver: ApiServer) -> AsyncIterator[k8s_client.ApiClient]:
    """A kubernetes-asyncio ApiClient for `apiserver`, built inside the running loop and closed after."""
    configuration = k8s_client.Configuration(host=apiserver.url)
    api = k8s_client.ApiClient(configuration)
    try:
        yield api
    finally:
        await api.close()
