"""The input informers read metadata only, on the wire as well as in memory."""

from __future__ import annotations

from controllers import watch
from eno.runtime.client import Client
from eno.runtime.gvk import GVK
from tests.watch.conftest import FAST, configmap, until

CONFIGMAP = GVK("", "v1", "ConfigMap")


async def test_input_informer_lists_and_watches_partial_object_metadata(client: Client) -> None:
    await client.create(configmap("listed", annotations={"eno.azure.io/revision": "1"}, big="x" * 1000))
    informers = watch.InputInformers(client, FAST.informer_settings)
    informer = informers.acquire(CONFIGMAP)
    try:
        assert informer.metadata_only
        assert await informer.wait_for_sync(10)
        await client.create(configmap("watched", v="1"))
        assert await until(lambda: informer.get("watched", "default") is not None)
        for name in ("listed", "watched"):
            obj = informer.get(name, "default")
            assert obj is not None
            assert set(obj) == {"apiVersion", "kind", "metadata"}
            assert (obj["apiVersion"], obj["kind"]) == ("v1", "ConfigMap")
            assert "managedFields" not in obj["metadata"]
        listed = informer.get("listed", "default")
        assert listed is not None and listed["metadata"]["annotations"] == {"eno.azure.io/revision": "1"}
    finally:
        await informers.release(CONFIGMAP)
    assert informers.kinds == set()
