"""--data-dir: objects, CRDs and the revision counter survive a restart."""

from __future__ import annotations

from pathlib import Path

from kubernetes_asyncio import client

from eno.apiserver.server import ApiServer
from tests.apiserver.objects import GROUP, PLURAL, configmap, widget, widget_crd


async def test_objects_and_revision_survive_a_restart(tmp_path: Path) -> None:
    async with ApiServer(data_dir=tmp_path) as srv:
        async with client.ApiClient(client.Configuration(host=srv.url)) as api:
            await client.CoreV1Api(api).create_namespaced_config_map("default", configmap("kept", {"k": "v"}))
            await client.ApiextensionsV1Api(api).create_custom_resource_definition(widget_crd())
            await client.CustomObjectsApi(api).create_namespaced_custom_object(
                GROUP, "v1", "default", PLURAL, widget("w", size=4)
            )
        revision = srv.store.revision
    async with ApiServer(data_dir=tmp_path) as srv:
        assert srv.store.revision >= revision
        async with client.ApiClient(client.Configuration(host=srv.url)) as api:
            kept = await client.CoreV1Api(api).read_namespaced_config_map("kept", "default")
            assert kept.data == {"k": "v"}
            w = await client.CustomObjectsApi(api).get_namespaced_custom_object(
                GROUP, "v1", "default", PLURAL, "w"
            )
            assert w["spec"]["size"] == 4
            created = await client.CoreV1Api(api).create_namespaced_config_map("default", configmap("new"))
            assert int(created.metadata.resource_version) > revision
