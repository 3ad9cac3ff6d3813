"""Server-side apply field manager: field sets, FieldsV1, apply/update ownership, conflicts and pruning."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eno.apiserver.errors import ApiError
from eno.apiserver.ssa import (
    ApplyConflict,
    builtin_list_types,
    field_set,
    from_fields_v1,
    no_list_types,
    path_string,
    record_update,
    schema_list_types,
    to_fields_v1,
)
from eno.apiserver.ssa import apply as ssa_apply

T0 = "2024-01-01T00:00:00Z"
T1 = "2024-01-01T00:01:00Z"
T2 = "2024-01-01T00:02:00Z"
CORE = builtin_list_types("", "ConfigMap")
APPS = builtin_list_types("apps", "Deployment")


def cm(data: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", **meta}}
    if data is not None:
        obj["data"] = data
    return obj


def apply(live: dict[str, Any] | None, config: dict[str, Any], manager: str, **kw: Any) -> dict[str, Any]:
    kw.setdefault("force", False)
    kw.setdefault("list_types", CORE)
    kw.setdefault("api_version", "v1")
    kw.setdefault("now", T0)
    return ssa_apply(live, config, manager, **kw)


def update(old: dict[str, Any] | None, new: dict[str, Any], manager: str, **kw: Any) -> dict[str, Any]:
    kw.setdefault("list_types", CORE)
    kw.setdefault("api_version", "v1")
    kw.setdefault("now", T0)
    return record_update(old, new, manager, **kw)


def entries(obj: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    found: list[dict[str, Any]] = obj["metadata"].get("managedFields", [])
    return {(e["manager"], e["operation"]): e for e in found}


def fields_of(obj: dict[str, Any], manager: str, operation: str = "Apply") -> dict[str, Any]:
    fields: dict[str, Any] = entries(obj)[(manager, operation)]["fieldsV1"]
    return fields


def owned(obj: dict[str, Any], manager: str, operation: str = "Apply") -> set[str]:
    return {path_string(p) for p in from_fields_v1(fields_of(obj, manager, operation))}


# -- FieldsV1 --------------------------------------------------------------------------------------

KUBE_FIELDS_V1 = {
    "f:metadata": {"f:labels": {".": {}, "f:app": {}}, "f:finalizers": {".": {}, 'v:"x.io/f"': {}}},
    "f:spec": {
        "f:template": {
            "f:spec": {
                "f:containers": {
                    'k:{"name":"nginx"}': {
                        ".": {},
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {
                            'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}
                        },
                    }
                }
            }
        }
    },
}


def test_fields_v1_round_trip() -> None:
    paths = from_fields_v1(KUBE_FIELDS_V1)
    assert to_fields_v1(paths) == KUBE_FIELDS_V1
    assert '.spec.template.spec.containers[name="nginx"].ports[containerPort=80,protocol="TCP"]' in {
        path_string(p) for p in paths
    }
    assert '.metadata.finalizers[="x.io/f"]' in {path_string(p) for p in paths}


@pytest.mark.parametrize(
    "bad",
    [{"x:a": {}}, {"f:a": 1}, {"k:[1]": {}}, {"i:x": {}}, {"nocolon": {}}],
    ids=["unknown-kind", "non-object", "key-not-object", "bad-index", "no-colon"],
)
def test_fields_v1_rejects_malformed(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        from_fields_v1(bad)


def test_key_elements_are_canonical_json() -> None:
    assert from_fields_v1({'k:{ "protocol": "TCP", "containerPort": 80 }': {}}) == from_fields_v1(
        {'k:{"containerPort":80,"protocol":"TCP"}': {}}
    )


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "d", "namespace": "ns", "labels": {"app": "d"}, "finalizers": ["x.io/f"]},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "d"}},
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "nginx",
                        "image": "nginx",
                        "args": ["a", "b"],
                        "ports": [{"containerPort": 80}],
                        "env": [{"name": "A", "value": "1"}],
                    }
                ]
            }
        },
    },
}


def test_field_set_of_a_deployment() -> None:
    paths = {path_string(p) for p in field_set(DEPLOYMENT, APPS)}
    c = '.spec.template.spec.containers[name="nginx"]'
    assert paths == {
        ".metadata.labels.app",
        '.metadata.finalizers[="x.io/f"]',
        ".spec.replicas",
        ".spec.selector",  # LabelSelector is atomic
        c,
        f"{c}.name",
        f"{c}.image",
        f"{c}.args",  # atomic list
        f'{c}.ports[containerPort=80,protocol="TCP"]',  # protocol key defaults to TCP
        f'{c}.ports[containerPort=80,protocol="TCP"].containerPort',
        f'{c}.env[name="A"]',
        f'{c}.env[name="A"].name',
        f'{c}.env[name="A"].value',
    }


def test_field_set_without_list_types_treats_lists_atomic() -> None:
    paths = {path_string(p) for p in field_set(DEPLOYMENT, no_list_types)}
    assert ".spec.template.spec.containers" in paths
    assert ".spec.selector.matchLabels.app" in paths


# -- apply -----------------------------------------------------------------------------------------


def test_apply_creates_with_an_apply_entry() -> None:
    obj = apply(None, cm({"a": "1"}, labels={"x": "y"}), "alice")
    assert obj["data"] == {"a": "1"}
    (entry,) = obj["metadata"]["managedFields"]
    assert entry == {
        "manager": "alice",
        "operation": "Apply",
        "apiVersion": "v1",
        "time": T0,
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {"f:a": {}}, "f:metadata": {"f:labels": {"f:x": {}}}},
    }


def test_apply_never_mutates_inputs() -> None:
    live = apply(None, cm({"a": "1"}), "alice")
    config = cm({"a": "2", "b": "3"})
    snapshot = copy.deepcopy((live, config))
    apply(live, config, "bob", force=True)
    assert (live, config) == snapshot


def test_conflict_names_field_and_manager() -> None:
    live = apply(None, cm({"a": "1"}), "alice")
    with pytest.raises(ApplyConflict) as caught:
        apply(live, cm({"a": "2"}), "bob")
    err = caught.value
    assert isinstance(err, ApiError)
    assert err.code == 409
    body = err.status_body()
    assert body["reason"] == "Conflict"
    assert body["message"] == 'Apply failed with 1 conflict: conflict with "alice": .data.a'
    assert body["details"] == {
        "causes": [{"reason": "FieldManagerConflict", "message": 'conflict with "alice"', "field": ".data.a"}]
    }


def test_conflicts_with_an_updater_name_its_api_version() -> None:
    live = update(None, cm({"a": "1", "b": "1"}), "kubectl-edit")
    with pytest.raises(ApplyConflict) as caught:
        apply(live, cm({"a": "2", "b": "2"}), "bob")
    assert caught.value.message == (
        'Apply failed with 2 conflicts: conflicts with "kubectl-edit" using v1:\n- .data.a\n- .data.b'
    )
    assert [c["message"] for c in caught.value.status_body()["details"]["causes"]] == [
        'conflict with "kubectl-edit" using v1'
    ] * 2


def test_force_takes_ownership_and_drops_emptied_entries() -> None:
    live = apply(None, cm({"a": "1"}), "alice")
    obj = apply(live, cm({"a": "2"}), "bob", force=True, now=T1)
    assert obj["data"] == {"a": "2"}
    assert set(entries(obj)) == {("bob", "Apply")}
    assert owned(obj, "bob") == {".data.a"}


def test_force_takes_only_the_conflicting_fields() -> None:
    live = apply(None, cm({"a": "1", "b": "1"}), "alice")
    obj = apply(live, cm({"a": "2"}), "bob", force=True)
    assert owned(obj, "alice") == {".data.b"}
    assert owned(obj, "bob") == {".data.a"}


def test_equal_values_are_shared() -> None:
    live = apply(None, cm({"a": "1"}), "alice")
    obj = apply(live, cm({"a": "1"}), "bob")
    assert owned(obj, "alice") == owned(obj, "bob") == {".data.a"}


def test_dropped_field_is_removed() -> None:
    live = apply(None, cm({"a": "1", "b": "2"}, labels={"x": "1"}), "alice")
    obj = apply(live, cm({"a": "1"}), "alice", now=T1)
    assert obj["data"] == {"a": "1"}
    assert "labels" not in obj["metadata"]
    assert owned(obj, "alice") == {".data.a"}
    assert entries(obj)[("alice", "Apply")]["time"] == T1


def test_dropped_field_owned_by_another_manager_stays() -> None:
    live = apply(None, cm({"a": "1", "b": "2"}), "alice")
    live = apply(live, cm({"b": "2"}), "bob")
    obj = apply(live, cm({"a": "1"}), "alice")
    assert obj["data"] == {"a": "1", "b": "2"}
    assert owned(obj, "alice") == {".data.a"}
    assert owned(obj, "bob") == {".data.b"}


def test_dropped_field_owned_by_an_updater_stays() -> None:
    live = apply(None, cm({"a": "1"}), "alice")
    edited = update(live, {**live, "data": {"a": "1", "b": "2"}}, "kubectl-edit")
    obj = apply(edited, cm({"b": "2"}), "alice", force=True)
    assert obj["data"] == {"b": "2"}, "alice's old field a is pruned, the editor's b kept"


def test_fields_never_applied_are_left_alone() -> None:
    live = update(None, cm({"other": "x"}), "creator")
    obj = apply(live, cm({"a": "1"}), "alice")
    obj = apply(obj, cm({}), "alice")
    assert obj["data"] == {"other": "x"}
    assert ("alice", "Apply") not in entries(obj), "an apply owning nothing leaves no entry"


def test_apply_twice_is_a_no_op_that_keeps_the_time() -> None:
    first = apply(None, cm({"a": "1"}), "alice", now=T0)
    second = apply(first, cm({"a": "1"}), "alice", now=T1)
    assert second == first


def test_applied_null_removes_the_field_and_owns_it() -> None:
    live = apply(None, cm({"a": "1", "b": "2"}), "alice")
    obj = apply(live, cm({"a": None}), "bob", force=True)
    assert obj["data"] == {"b": "2"}
    assert owned(obj, "bob") == {".data.a"}
    assert owned(obj, "alice") == {".data.b"}


def test_before_first_apply_owns_fields_of_an_unmanaged_object() -> None:
    live = cm({"a": "1", "b": "2"})
    obj = apply(live, cm({"a": "1"}), "alice")
    assert owned(obj, "before-first-apply", "Update") == {".data.a", ".data.b"}
    with pytest.raises(ApplyConflict):
        apply(live, cm({"b": "3"}), "alice")


def container(name: str, image: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **extra}


def deployment(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "ns"},
        "spec": {"template": {"spec": {"containers": list(containers)}}, **spec},
    }


def containers_of(obj: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = obj["spec"]["template"]["spec"]["containers"]
    return result


def test_containers_merge_by_name() -> None:
    live = apply(None, deployment(container("app", "app:1")), "alice", list_types=APPS, api_version="apps/v1")
    obj = apply(
        live, deployment(container("sidecar", "proxy:1")), "bob", list_types=APPS, api_version="apps/v1"
    )
    assert [c["name"] for c in containers_of(obj)] == ["app", "sidecar"]
    assert '.spec.template.spec.containers[name="sidecar"].image' in owned(obj, "bob")
    assert '.spec.template.spec.containers[name="app"]' not in owned(obj, "bob")


def test_container_fields_conflict_per_field() -> None:
    live = apply(None, deployment(container("app", "app:1")), "alice", list_types=APPS)
    same_item = deployment(container("app", "app:1", command=["run"]))
    obj = apply(live, same_item, "bob", list_types=APPS)
    assert containers_of(obj) == [{"name": "app", "image": "app:1", "command": ["run"]}]
    with pytest.raises(ApplyConflict) as caught:
        apply(live, deployment(container("app", "app:2")), "bob", list_types=APPS)
    assert [c.field for c in caught.value.conflicts] == ['.spec.template.spec.containers[name="app"].image']


def test_dropped_container_is_removed_unless_shared() -> None:
    live = apply(None, deployment(container("a", "a"), container("b", "b")), "alice", list_types=APPS)
    obj = apply(live, deployment(container("a", "a")), "alice", list_types=APPS)
    assert [c["name"] for c in containers_of(obj)] == ["a"]
    shared = apply(live, deployment(container("b", "b")), "bob", list_types=APPS)
    obj = apply(shared, deployment(container("a", "a")), "alice", list_types=APPS)
    assert [c["name"] for c in containers_of(obj)] == ["a", "b"]


def test_atomic_lists_are_replaced_whole() -> None:
    live = apply(None, deployment(container("a", "a", args=["1", "2"])), "alice", list_types=APPS)
    obj = apply(live, deployment(container("a", "a", args=["3"])), "alice", list_types=APPS)
    assert containers_of(obj)[0]["args"] == ["3"]
    with pytest.raises(ApplyConflict):
        apply(live, deployment(container("a", "a", args=["1"])), "bob", list_types=APPS)


def test_sets_merge_by_value() -> None:
    live = apply(None, cm(finalizers=["a.io/x"]), "alice")
    obj = apply(live, cm(finalizers=["b.io/y"]), "bob")
    assert obj["metadata"]["finalizers"] == ["a.io/x", "b.io/y"]
    obj = apply(obj, cm(), "alice")
    assert obj["metadata"]["finalizers"] == ["b.io/y"]


def test_unkeyed_items_in_config_are_rejected() -> None:
    with pytest.raises(ApiError) as caught:
        apply(None, deployment({"image": "x"}), "alice", list_types=APPS)
    assert caught.value.code == 500
    assert 'omits key field "name"' in caught.value.message
    with pytest.raises(ApiError, match="duplicate entries"):
        apply(None, deployment(container("a", "x"), container("a", "y")), "alice", list_types=APPS)


def test_managed_fields_in_config_are_rejected() -> None:
    with pytest.raises(ApiError) as caught:
        apply(None, cm(managedFields=[{"manager": "x"}]), "alice")
    assert caught.value.code == 400


def test_status_subresource_entries_are_separate() -> None:
    live = apply(None, {**cm(), "status": {"phase": "A"}}, "ctl", subresource="status")
    (entry,) = live["metadata"]["managedFields"]
    assert entry["subresource"] == "status"
    obj = apply(live, cm({"a": "1"}), "ctl")
    assert len(obj["metadata"]["managedFields"]) == 2


def test_crd_schema_list_types() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "items": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["id", "zone"],
                        "items": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "string"},
                                "zone": {"type": "string", "default": "z1"},
                            },
                        },
                    },
                    "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                    "plain": {"type": "array", "items": {"type": "string"}},
                    "blob": {"type": "object", "x-kubernetes-map-type": "atomic"},
                },
            }
        },
    }
    resolver = schema_list_types(schema)
    obj = {
        "apiVersion": "x.io/v1",
        "kind": "X",
        "metadata": {"name": "x", "finalizers": ["f"]},
        "spec": {"items": [{"id": "a", "v": 1}], "tags": ["t"], "plain": ["p"], "blob": {"k": "v"}},
    }
    assert {path_string(p) for p in field_set(obj, resolver)} == {
        '.metadata.finalizers[="f"]',
        '.spec.items[id="a",zone="z1"]',
        '.spec.items[id="a",zone="z1"].id',
        '.spec.items[id="a",zone="z1"].v',
        '.spec.tags[="t"]',
        ".spec.plain",
        ".spec.blob",
    }


# -- record_update ---------------------------------------------------------------------------------


def test_create_records_an_update_entry() -> None:
    obj = update(None, cm({"a": "1"}, labels={"x": "y"}), "kubectl-create")
    assert fields_of(obj, "kubectl-create", "Update") == {
        "f:data": {".": {}, "f:a": {}},
        "f:metadata": {"f:labels": {".": {}, "f:x": {}}},
    }


def test_update_takes_changed_fields_from_appliers() -> None:
    live = apply(None, cm({"a": "1", "b": "1"}), "alice")
    obj = update(live, {**live, "data": {"a": "2", "b": "1"}}, "editor", now=T1)
    assert owned(obj, "alice") == {".data.b"}
    assert owned(obj, "editor", "Update") == {".data.a"}
    assert entries(obj)[("editor", "Update")]["time"] == T1


def test_update_removing_a_field_removes_it_from_every_set() -> None:
    live = apply(None, cm({"a": "1", "b": "1"}), "alice")
    obj = update(live, {**live, "data": {"b": "1"}}, "editor")
    assert owned(obj, "alice") == {".data.b"}
    assert ("editor", "Update") not in entries(obj), "an update that only removed owns nothing"


def test_update_accumulates_into_the_same_entry() -> None:
    obj = update(None, cm({"a": "1"}), "editor")
    obj = update(obj, {**obj, "data": {"a": "1", "b": "2"}}, "editor", now=T2)
    assert owned(obj, "editor", "Update") == {".data", ".data.a", ".data.b"}


def test_update_without_changes_keeps_entries() -> None:
    live = apply(None, cm({"a": "1"}), "alice")
    assert update(live, copy.deepcopy(live), "editor", now=T1) == live


def test_update_entries_differ_by_api_version_and_subresource() -> None:
    obj = update(None, cm({"a": "1"}), "m", api_version="v1")
    obj = update(obj, {**obj, "data": {"a": "2"}}, "m", api_version="v2")
    by_version = {e["apiVersion"]: e["fieldsV1"] for e in obj["metadata"]["managedFields"]}
    assert by_version == {"v1": {"f:data": {}}, "v2": {"f:data": {"f:a": {}}}}, "v2 took .data.a from v1"
    obj = update(obj, {**obj, "status": {"x": 1}}, "m", api_version="v2", subresource="status")
    assert sorted(e.get("subresource", "") for e in obj["metadata"]["managedFields"]) == ["", "", "status"]


def test_update_can_replace_or_clear_managed_fields() -> None:
    live = apply(None, cm({"a": "1"}), "alice")
    cleared = {**live, "metadata": {**live["metadata"], "managedFields": [{}]}}
    assert "managedFields" not in update(live, cleared, "editor")["metadata"]
    emptied = {**live, "metadata": {**live["metadata"], "managedFields": []}}
    assert update(live, emptied, "editor")["metadata"]["managedFields"] == live["metadata"]["managedFields"]
    handed = {
        **live,
        "metadata": {
            **live["metadata"],
            "managedFields": [{**live["metadata"]["managedFields"][0], "manager": "eno"}],
        },
    }
    assert owned(update(live, handed, "editor"), "eno") == {".data.a"}


# -- properties ------------------------------------------------------------------------------------

_keys = st.sampled_from(["a", "b", "c", "d"])
_scalars = st.one_of(st.integers(-3, 3), st.sampled_from(["x", "y"]), st.booleans(), st.none())
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=8,
)
_data = st.dictionaries(_keys, st.sampled_from(["1", "2", "3"]), max_size=4)


@given(st.dictionaries(_keys, _values, max_size=4))
def test_object_to_set_to_fields_v1_round_trips(obj: dict[str, Any]) -> None:
    paths = field_set({"spec": obj}, no_list_types)
    assert from_fields_v1(to_fields_v1(paths)) == paths


@settings(max_examples=50)
@given(_data, st.dictionaries(_keys, st.sampled_from(["x", "y"]), max_size=3))
def test_applying_the_same_config_twice_is_a_no_op(data: dict[str, str], labels: dict[str, str]) -> None:
    config = cm(data, labels=labels)
    first = apply(None, config, "alice", now=T0)
    assert apply(first, config, "alice", now=T1) == first


@settings(max_examples=50)
@given(_data, st.sets(_keys))
def test_a_second_manager_applying_equal_values_never_conflicts(
    data: dict[str, str], subset: set[str]
) -> None:
    live = apply(None, cm(data), "alice")
    mine = {k: v for k, v in data.items() if k in subset}
    obj = apply(live, cm(mine), "bob")
    assert obj["data"] == live["data"]
    if mine:
        assert owned(obj, "bob") == {f".data.{k}" for k in mine}
        assert owned(obj, "alice") == {f".data.{k}" for k in data}
