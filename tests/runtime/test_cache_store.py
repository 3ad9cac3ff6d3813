"""The informer's store: indexes stay consistent, relist deltas are exact, reads cannot corrupt it."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.runtime.frozen import FrozenDict, freeze, thaw
from eno.runtime.labels import SelectorError, parse
from eno.runtime.store import (
    NAMESPACE_INDEX,
    OWNER_UID_INDEX,
    Store,
    index_by_controller_uid,
    index_by_owner_uid,
    object_key,
)


def obj(name: str, ns: str | None = "a", rv: str = "1", labels=None, owners=()) -> FrozenDict:
    meta: dict[str, object] = {"name": name, "resourceVersion": rv, "labels": labels or {}}
    if ns:
        meta["namespace"] = ns
    if owners:
        meta["ownerReferences"] = [{"uid": u, "controller": i == 0} for i, u in enumerate(owners)]
    return freeze({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta})


# -- frozen views --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mutate",
    [
        lambda o: o.__setitem__("x", 1),
        lambda o: o["metadata"].__setitem__("name", "other"),
        lambda o: o["metadata"]["labels"].update(a="b"),
        lambda o: o["metadata"].pop("name"),
        lambda o: o.setdefault("spec", {}),
        lambda o: o.clear(),
        lambda o: o["metadata"].__delitem__("name"),
        lambda o: o["items"].append(1),
    ],
    ids=["set", "nested-set", "update", "pop", "setdefault", "clear", "del", "list-append"],
)
def test_frozen_objects_refuse_mutation(mutate):
    o = freeze({"metadata": {"name": "n", "labels": {}}, "items": [1]})
    with pytest.raises((TypeError, AttributeError)):
        mutate(o)
    assert thaw(o) == {"metadata": {"name": "n", "labels": {}}, "items": [1]}


def test_deepcopy_and_thaw_give_plain_mutable_data():
    o = freeze({"a": [{"b": 1}]})
    for copied in (copy.deepcopy(o), thaw(o)):
        assert type(copied) is dict and type(copied["a"]) is list and type(copied["a"][0]) is dict
        copied["a"][0]["b"] = 2
    assert o["a"][0]["b"] == 1
    assert json.loads(json.dumps(o)) == {"a": [{"b": 1}]}
    assert isinstance(o, dict)


# -- label selectors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ("", {"a": "1"}, True),
        ("a=1", {"a": "1"}, True),
        ("a==1", {"a": "2"}, False),
        ("a!=1", {}, True),
        ("a!=1", {"a": "1"}, False),
        ("a in (1, 2)", {"a": "2"}, True),
        ("a notin (1,2)", {"a": "3"}, True),
        ("a notin (1,2)", {"a": "1"}, False),
        ("a", {"a": ""}, True),
        ("!a", {"a": ""}, False),
        ("!a", {}, True),
        ("app.kubernetes.io/managed-by=eno,x", {"app.kubernetes.io/managed-by": "eno", "x": "y"}, True),
        ("a=1, b=2", {"a": "1"}, False),
    ],
)
def test_label_selector(selector, labels, matches):
    assert parse(selector).matches(labels) is matches


@pytest.mark.parametrize("bad", ["a=1,,b", "a in 1", "(", "a=b=c"])
def test_bad_label_selector(bad):
    with pytest.raises(SelectorError):
        parse(bad)


# -- store ---------------------------------------------------------------------------------------------


def test_reads_and_indexes():
    store = Store({OWNER_UID_INDEX: index_by_owner_uid, "controller": index_by_controller_uid})
    store.upsert(obj("x", "a", owners=("u1", "u2"), labels={"app": "web"}))
    store.upsert(obj("y", "b", owners=("u2",)))
    store.upsert(obj("cluster", None))
    assert store.get("x", "a") == obj("x", "a", owners=("u1", "u2"), labels={"app": "web"})
    assert store.get("x", "b") is None
    assert store.get("cluster") == obj("cluster", None)
    assert [object_key(o) for o in store.list("a")] == ["a/x"]
    assert [object_key(o) for o in store.list(label_selector="app=web")] == ["a/x"]
    assert sorted(object_key(o) for o in store.by_index(OWNER_UID_INDEX, "u2")) == ["a/x", "b/y"]
    assert [object_key(o) for o in store.by_index("controller", "u2")] == ["b/y"]
    with pytest.raises(KeyError):
        store.by_index("nope", "x")


def test_indexer_added_later_files_existing_objects():
    store = Store()
    store.upsert(obj("x", owners=("u1",)))
    store.add_indexer(OWNER_UID_INDEX, index_by_owner_uid)
    assert [object_key(o) for o in store.by_index(OWNER_UID_INDEX, "u1")] == ["a/x"]
    with pytest.raises(ValueError):
        store.add_indexer(OWNER_UID_INDEX, index_by_owner_uid)


def test_replace_emits_exact_delta():
    store = Store()
    store.replace([obj("keep", rv="1"), obj("change", rv="1"), obj("gone", rv="1")])
    delta = store.replace([obj("keep", rv="1"), obj("change", rv="2"), obj("new", rv="3")])
    assert [object_key(o) for o in delta.added] == ["a/new"]
    assert [
        (object_key(o), o["metadata"]["resourceVersion"], n["metadata"]["resourceVersion"])
        for o, n in delta.updated
    ] == [("a/change", "1", "2")]
    assert [object_key(o) for o in delta.deleted] == ["a/gone"]
    assert sorted(store.keys()) == ["a/change", "a/keep", "a/new"]


names = st.sampled_from(["p", "q", "r", "s"])
namespaces = st.sampled_from(["a", "b"])
uids = st.sampled_from(["u1", "u2", "u3"])
objects = st.builds(
    lambda n, ns, rv, owners, lab: obj(n, ns, str(rv), labels={"l": lab}, owners=tuple(owners)),
    names,
    namespaces,
    st.integers(1, 5),
    st.lists(uids, max_size=2, unique=True),
    st.sampled_from(["x", "y"]),
)
ops = st.one_of(
    st.tuples(st.just("upsert"), objects),
    st.tuples(st.just("remove"), st.tuples(names, namespaces)),
    st.tuples(st.just("replace"), st.lists(objects, max_size=6)),
)


@given(st.lists(ops, max_size=40))
def test_indexes_always_match_a_brute_force_scan(steps):
    store = Store({OWNER_UID_INDEX: index_by_owner_uid})
    model: dict[str, FrozenDict] = {}
    for op, arg in steps:
        if op == "upsert":
            store.upsert(arg)
            model[object_key(arg)] = arg
        elif op == "remove":
            name, ns = arg
            store.remove(f"{ns}/{name}")
            model.pop(f"{ns}/{name}", None)
        else:
            before = dict(model)
            latest = {object_key(o): o for o in arg}
            delta = store.replace(arg)
            model = latest
            # The delta replays the relist: applying it to `before` yields exactly the new state.
            replayed = dict(before)
            for o in delta.deleted:
                replayed.pop(object_key(o))
            for o in delta.added:
                assert object_key(o) not in before
                replayed[object_key(o)] = o
            for old, new in delta.updated:
                assert before[object_key(old)] is old
                replayed[object_key(new)] = new
            assert {k: v["metadata"]["resourceVersion"] for k, v in replayed.items()} == {
                k: v["metadata"]["resourceVersion"] for k, v in latest.items()
            }
        assert set(store.keys()) == set(model)
        for ns in ("a", "b"):
            assert {object_key(o) for o in store.by_index(NAMESPACE_INDEX, ns)} == {
                k for k, v in model.items() if v["metadata"]["namespace"] == ns
            }
        for uid in ("u1", "u2", "u3"):
            assert {object_key(o) for o in store.by_index(OWNER_UID_INDEX, uid)} == {
                k for k, v in model.items() if uid in index_by_owner_uid(v)
            }
        assert {object_key(o) for o in store.list(label_selector="l=x")} == {
            k for k, v in model.items() if v["metadata"]["labels"]["l"] == "x"
        }
