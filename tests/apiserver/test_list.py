"""List: label and field selectors, limit/continue, resourceVersion of the list."""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from tests.apiserver.objects import configmap, status_of


async def seed(core: client.CoreV1Api) -> None:
    labels = {
        "a": {"app": "web", "tier": "front"},
        "b": {"app": "web", "tier": "back"},
        "c": {"app": "db"},
        "d": {},
    }
    for name, lab in labels.items():
        await core.create_namespaced_config_map("default", configmap(name, labels=lab))


@pytest.mark.parametrize(
    ("selector", "names"),
    [
        ("app=web", ["a", "b"]),
        ("app==web", ["a", "b"]),
        ("app!=web", ["c", "d"]),
        ("app in (web,db)", ["a", "b", "c"]),
        ("tier notin (front)", ["b", "c", "d"]),
        ("tier", ["a", "b"]),
        ("!tier", ["c", "d"]),
        ("app=web,tier=back", ["b"]),
    ],
    ids=["equals", "double-equals", "not-equals", "in", "notin", "exists", "not-exists", "and"],
)
async def test_label_selectors(kube, selector, names) -> None:
    core = client.CoreV1Api(kube)
    await seed(core)
    listed = await core.list_namespaced_config_map("default", label_selector=selector)
    assert [i.metadata.name for i in listed.items] == names


@pytest.mark.parametrize(
    ("selector", "names"),
    [
        ("metadata.name=b", ["b"]),
        ("metadata.name!=b", ["a", "c", "d"]),
        ("metadata.namespace=default", ["a", "b", "c", "d"]),
    ],
    ids=["name", "not-name", "namespace"],
)
async def test_field_selectors(kube, selector, names) -> None:
    core = client.CoreV1Api(kube)
    await seed(core)
    listed = await core.list_namespaced_config_map("default", field_selector=selector)
    assert [i.metadata.name for i in listed.items] == names


async def test_unsupported_field_selector_is_400(kube) -> None:
    with pytest.raises(ApiException) as err:
        await client.CoreV1Api(kube).list_namespaced_config_map("default", field_selector="data.x=1")
    assert err.value.status == 400
    assert '"data.x" is not a known field selector' in status_of(err.value)["message"]


async def test_bad_label_selector_is_400(kube) -> None:
    with pytest.raises(ApiException) as err:
        await client.CoreV1Api(kube).list_namespaced_config_map("default", label_selector="a in (")
    assert err.value.status == 400


async def test_limit_and_continue_page_through_everything_once(kube) -> None:
    core = client.CoreV1Api(kube)
    for i in range(7):
        await core.create_namespaced_config_map("default", configmap(f"cm-{i}"))
    seen: list[str] = []
    token = ""
    pages = 0
    first_rv = None
    while True:
        page = await core.list_namespaced_config_map("default", limit=3, _continue=token)
        pages += 1
        first_rv = first_rv or page.metadata.resource_version
        assert page.metadata.resource_version == first_rv
        seen += [i.metadata.name for i in page.items]
        token = page.metadata._continue or ""
        if not token:
            assert page.metadata.remaining_item_count is None
            break
        assert page.metadata.remaining_item_count == 7 - len(seen)
    assert seen == [f"cm-{i}" for i in range(7)]
    assert pages == 3


async def test_pagination_applies_selectors(kube) -> None:
    core = client.CoreV1Api(kube)
    await seed(core)
    page = await core.list_namespaced_config_map("default", label_selector="app", limit=2)
    assert [i.metadata.name for i in page.items] == ["a", "b"]
    rest = await core.list_namespaced_config_map(
        "default", label_selector="app", limit=2, _continue=page.metadata._continue
    )
    assert [i.metadata.name for i in rest.items] == ["c"]
    assert rest.metadata._continue is None


async def test_malformed_continue_token_is_400(kube) -> None:
    with pytest.raises(ApiException) as err:
        await client.CoreV1Api(kube).list_namespaced_config_map("default", _continue="garbage")
    assert err.value.status == 400


async def test_continue_token_past_compaction_is_410(kube, apiserver) -> None:
    core = client.CoreV1Api(kube)
    await seed(core)
    page = await core.list_namespaced_config_map("default", limit=1)
    await core.create_namespaced_config_map("default", configmap("later"))
    apiserver.store.compact()
    with pytest.raises(ApiException) as err:
        await core.list_namespaced_config_map("default", limit=1, _continue=page.metadata._continue)
    assert err.value.status == 410
    assert status_of(err.value)["reason"] == "Expired"


async def test_list_across_namespaces(kube) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="other")))
    await core.create_namespaced_config_map("other", configmap("x"))
    await core.create_namespaced_config_map("default", configmap("y"))
    listed = await core.list_config_map_for_all_namespaces()
    assert [(i.metadata.namespace, i.metadata.name) for i in listed.items] == [
        ("default", "y"),
        ("other", "x"),
    ]
    assert listed.kind == "ConfigMapList"
