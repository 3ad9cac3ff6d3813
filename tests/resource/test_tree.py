"""The dependency tree: Eno's tree_test.go (builder fixtures, visibility, deletion, ref conflicts,
deletion groups, backtracking) and the ordering scenarios of the spec."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.api.v1.resourceslice import ResourceState
from eno.resource.identity import GroupVersionKind, ManifestRef, Ref
from eno.resource.resource import Resource, fnv1_64
from eno.resource.tree import build_tree

TEST_GVK = GroupVersionKind("test.group", "v1", "TestKind")
READY = ResourceState(ready="2026-01-01T00:00:00Z")
DELETED = ResourceState(deleted=True)


def ref(name: str) -> Ref:
    return Ref("test.group", "TestKind", "default", name)


def res(name: str, index: int = 0, **kwargs: Any) -> Resource:
    fields: dict[str, Any] = {"gvk": TEST_GVK, "manifest": {}}
    fields.update(kwargs)
    return Resource(ref=ref(name), manifest_ref=ManifestRef("default", "slice", index), **fields)


def mref(index: int) -> ManifestRef:
    return ManifestRef("default", "slice", index)


CR_GVK = GroupVersionKind("test.group", "v1", "TestCRDKind")
CRD_GK = ("test.group", "TestCRDKind")
R = "(test.group.TestKind)/default/"

# Eno's TestTreeBuilderSanity with its fixtures, reduced to {name: (dependencies, dependents)}.
BUILDER: list[tuple[str, list[Resource], dict[str, tuple[list[str], list[str]]]]] = [
    ("empty", [], {}),
    ("single-basic-resource", [res("test-resource")], {"test-resource": ([], [])}),
    (
        "several-readiness-groups",
        [
            res("test-negative-2", readiness_group=-2),
            res("test-1", readiness_group=1),
            res("test-0"),
            res("test-4", readiness_group=4),
        ],
        {
            "test-negative-2": ([], ["test-0"]),
            "test-0": (["test-negative-2"], ["test-1"]),
            "test-1": (["test-0"], ["test-4"]),
            "test-4": (["test-1"], []),
        },
    ),
    (
        "several-overlapping-groups",
        [
            res("test-1", readiness_group=4),
            res("test-2-a", readiness_group=8),
            res("test-2-b", readiness_group=8),
        ],
        {
            "test-1": ([], ["test-2-a", "test-2-b"]),
            "test-2-a": (["test-1"], []),
            "test-2-b": (["test-1"], []),
        },
    ),
    (
        "crd-and-cr",
        [res("test-cr", gvk=CR_GVK), res("test-crd", defined_group_kind=CRD_GK)],
        {"test-cr": (["test-crd"], []), "test-crd": ([], ["test-cr"])},
    ),
    (
        "both-crd-and-cr-and-readiness-groups",
        [
            res("test-cr", gvk=CR_GVK, readiness_group=5),
            res("test-crd", defined_group_kind=CRD_GK, readiness_group=3),
            res("also-not-a-crd", readiness_group=10),
            res("not-a-crd", readiness_group=1),
        ],
        {
            "also-not-a-crd": (["test-cr"], []),
            "not-a-crd": ([], ["test-crd"]),
            "test-cr": (["test-crd"], ["also-not-a-crd"]),
            "test-crd": (["not-a-crd"], ["test-cr"]),
        },
    ),
    (
        "both-crd-and-cr-conflict",
        [
            res("test-cr", gvk=CR_GVK, readiness_group=3),
            res("test-crd", defined_group_kind=CRD_GK, readiness_group=5),
        ],
        {"test-cr": (["test-crd"], ["test-crd"]), "test-crd": (["test-cr"], ["test-cr"])},
    ),
    (
        "deletion-groups",
        [
            res("no-deletion-or-readiness-group", composition_deleted=True),
            res("no-deletion-group", readiness_group=3, composition_deleted=True),
            res("high-deletion-group", deletion_group=9, composition_deleted=True),
            res("low-deletion-group", deletion_group=3, composition_deleted=True),
        ],
        {
            "no-deletion-or-readiness-group": ([], []),
            "no-deletion-group": ([], []),
            "high-deletion-group": (["low-deletion-group"], []),
            "low-deletion-group": ([], ["high-deletion-group"]),
        },
    ),
    (
        "crd-and-cr-during-deletion",
        [
            res("test-cr", gvk=CR_GVK, deletion_group=1, composition_deleted=True),
            res("test-crd", defined_group_kind=CRD_GK, deletion_group=2, composition_deleted=True),
        ],
        {"test-cr": ([], ["test-crd"]), "test-crd": (["test-cr"], [])},
    ),
]


@pytest.mark.parametrize(("resources", "expected"), [b[1:] for b in BUILDER], ids=[b[0] for b in BUILDER])
def test_builder(resources: list[Resource], expected: dict[str, tuple[list[str], list[str]]]) -> None:
    tree = build_tree(resources)
    want = {
        R + name: {"dependencies": [R + d for d in deps], "dependents": [R + d for d in dependents]}
        for name, (deps, dependents) in expected.items()
    }
    assert tree.describe() == want


def test_crd_cycle_is_diagnosed() -> None:
    conflict = dict((b[0], b[1]) for b in BUILDER)["both-crd-and-cr-conflict"]
    [problem] = build_tree(conflict).diagnostics
    assert problem.resource == R + "test-cr" and "neither can become ready" in problem.message
    assert build_tree(dict((b[0], b[1]) for b in BUILDER)["crd-and-cr"]).diagnostics == ()


def visibility(tree: Any, names: list[str]) -> dict[str, bool]:
    out = {}
    for name in names:
        found = tree.get(ref(name))
        assert found is not None, name
        out[name] = found[1]
    return out


def test_visibility() -> None:
    names = ["test-resource-1", "test-resource-2", "test-resource-3", "test-resource-4"]
    tree = build_tree(
        [
            res("test-resource-4", 4, readiness_group=4),
            res("test-resource-1", 1, readiness_group=1),
            res("test-resource-3", 3, readiness_group=3),
            res("test-resource-2", 2, readiness_group=2),
        ]
    )
    assert tree.get(ref("foobar")) is None
    assert tree.update_state(mref(100), READY) == []  # unknown slot: nothing, no crash

    expected = {
        "test-resource-1": True,
        "test-resource-2": False,
        "test-resource-3": False,
        "test-resource-4": False,
    }
    assert visibility(tree, names) == expected

    # First resource becomes ready: itself (first seen) and its dependent are enqueued.
    assert sorted(r.name for r in tree.update_state(mref(1), READY)) == ["test-resource-1", "test-resource-2"]
    expected["test-resource-2"] = True
    assert visibility(tree, names) == expected

    # The third becomes ready, skipping the second (not possible in real life; no undefined behaviour).
    assert sorted(r.name for r in tree.update_state(mref(3), READY)) == ["test-resource-3", "test-resource-4"]
    expected["test-resource-4"] = True
    assert visibility(tree, names) == expected

    # Nothing is enqueued when the state does not change...
    assert tree.update_state(mref(3), READY) == []
    # ...and it is enqueued again (alone) when it does; reconciliationError alone is not a change.
    assert tree.update_state(mref(3), ResourceState(ready=READY.ready, reconciliation_error="x")) == []
    assert tree.update_state(mref(3), ResourceState(ready=READY.ready, reconciled=True)) == [
        ref("test-resource-3")
    ]


def test_deletion_without_deletion_groups() -> None:
    tree = build_tree(
        [res(f"test-resource-{i}", i, readiness_group=i, composition_deleted=True) for i in (1, 3, 2)]
    )
    enqueued = []
    for i in (1, 2, 3):
        enqueued += tree.update_state(mref(i), READY if i == 1 else ResourceState())
    # Ungrouped while deleting: every resource is enqueued once and visible, whatever its readiness group.
    assert sorted(r.name for r in enqueued) == ["test-resource-1", "test-resource-2", "test-resource-3"]
    assert visibility(tree, ["test-resource-1", "test-resource-2", "test-resource-3"]) == dict.fromkeys(
        ["test-resource-1", "test-resource-2", "test-resource-3"], True
    )


def test_ref_conflicts_greater_hash_wins() -> None:
    low, high = sorted(['{"a":1}', '{"a":2}'], key=lambda text: fnv1_64(text.encode()))
    for texts in ((high, low), (low, high)):
        tree = build_tree([res("test-resource", i, manifest_text=t) for i, t in enumerate(texts)])
        found = tree.get(ref("test-resource"))
        assert found is not None and found[1] and found[0].manifest_text == high
    tie = build_tree([res("x", 0, manifest_text="{}"), res("x", 1, manifest_text="{}")])
    found = tie.get(ref("x"))
    assert found is not None and found[0].manifest_ref.index == 1  # the later one on a tie


def test_deletion_groups_ascending() -> None:
    resources = [
        res("high-priority-1", 1, deletion_group=-5, composition_deleted=True),
        res("high-priority-2", 2, deletion_group=-5, composition_deleted=True),
        res("medium-priority", 3, deletion_group=0, composition_deleted=True),
        res("default-priority", 4, deletion_group=5, composition_deleted=True),
        res("low-priority", 5, deletion_group=10, composition_deleted=True),
    ]
    names = [r.ref.name for r in resources]
    tree = build_tree(resources)
    for i in range(1, 6):
        tree.update_state(mref(i), ResourceState())
    expected = dict.fromkeys(names, False)
    expected["high-priority-1"] = expected["high-priority-2"] = True
    assert visibility(tree, names) == expected

    # One of two deleted: the next group still waits and is not enqueued (Eno enqueued it for nothing).
    assert tree.update_state(mref(1), DELETED) == [ref("high-priority-1")]
    assert visibility(tree, names) == expected
    assert tree.update_state(mref(2), DELETED) == [ref("high-priority-2"), ref("medium-priority")]
    expected["medium-priority"] = True
    assert visibility(tree, names) == expected
    for index, unblocked in ((3, "default-priority"), (4, "low-priority")):
        assert ref(unblocked) in tree.update_state(mref(index), DELETED)
        expected[unblocked] = True
        assert visibility(tree, names) == expected


def test_ready_does_not_release_while_deleting_and_deleted_does_not_while_applying() -> None:
    deleting = build_tree(
        [
            res("a", 0, deletion_group=1, composition_deleted=True),
            res("b", 1, deletion_group=2, composition_deleted=True),
        ]
    )
    assert deleting.update_state(mref(0), READY) == [ref("a")]
    applying = build_tree([res("a", 0, readiness_group=1), res("b", 1, readiness_group=2)])
    assert applying.update_state(mref(0), DELETED) == [ref("a")]


def test_states_present_at_restart_release_at_once() -> None:
    tree = build_tree([res("a", 0, readiness_group=1), res("b", 1, readiness_group=2)])
    assert tree.update_state(mref(0), READY) == [ref("a"), ref("b")]
    found = tree.get(ref("b"))
    assert found is not None and found[1]


# Eno's TestIndexedResourceBacktracks, through the tree: a resource plus a later-group item for the same
# object hides the earlier one once the later one is unblocked.
PATCH_GVK = GroupVersionKind("", "v1", "ConfigMap")


def cm_and_patch(patch_gvk: GroupVersionKind, patch_name: str = "a") -> list[Resource]:
    cm = Resource(
        ref=Ref("", "ConfigMap", "default", "a"),
        gvk=PATCH_GVK,
        manifest={},
        manifest_ref=mref(0),
        readiness_group=1,
    )
    patch = Resource(
        ref=Ref("eno.azure.io", "Patch", "default", patch_name),
        gvk=patch_gvk,
        manifest={},
        manifest_ref=mref(1),
        readiness_group=2,
        is_patch=True,
    )
    return [cm, patch]  # fmt: skip


BACKTRACKS = [
    ("same-object-unblocked", PATCH_GVK, "a", True),
    ("different-gvk", GroupVersionKind("other.group", "v1", "OtherKind"), "a", False),
    ("different-name", PATCH_GVK, "b", False),
]


@pytest.mark.parametrize(
    ("gvk", "name", "hidden"), [b[1:] for b in BACKTRACKS], ids=[b[0] for b in BACKTRACKS]
)
def test_backtracking(gvk: GroupVersionKind, name: str, hidden: bool) -> None:
    tree = build_tree(cm_and_patch(gvk, name))
    cm_ref = Ref("", "ConfigMap", "default", "a")
    found = tree.get(cm_ref)
    assert found is not None and found[1], "visible while the later item still waits"
    tree.update_state(mref(0), READY)
    found = tree.get(cm_ref)
    assert found is not None and found[1] is not hidden


def test_managed_kinds_come_first_and_go_last() -> None:
    # Eno's ordering_test DeletionOrder, reduced to the tree: all ConfigMaps, unannotated ones at group 100.
    groups = {
        "stuck-no-deletion-group": 100,
        "stuck": 123,
        "stuck-behind": 1,
        "no-deletion-group": 100,
        "orphaned": 567,
        "disabled": 456,
        "first": 345,
        "second": 234,
    }
    resources = [
        res(n, i, deletion_group=g, composition_deleted=True) for i, (n, g) in enumerate(groups.items())
    ]
    tree = build_tree(resources)
    for r in resources:
        tree.update_state(r.manifest_ref, ResourceState())
    visible = {n for n in groups if (found := tree.get(ref(n))) is not None and found[1]}
    assert visible == {"stuck-behind"}
    # Everything up to and including group 100 reports deleted; the foreground `stuck` (123) never does.
    for r in resources:
        if r.deletion_group is not None and r.deletion_group <= 100:
            tree.update_state(r.manifest_ref, DELETED)
    visible = {n for n in groups if (found := tree.get(ref(n))) is not None and found[1]}
    assert visible == {"stuck-behind", "stuck-no-deletion-group", "no-deletion-group", "stuck"}


# Property: visibility always equals the spec's definition, computed naively from the states fed so far,
# and a resource is enqueued exactly when its state changes or it becomes unblocked.
@given(
    st.lists(st.tuples(st.integers(-2, 2), st.booleans(), st.booleans()), min_size=1, max_size=8),
    st.lists(st.tuples(st.integers(0, 7), st.booleans()), max_size=16),
)
def test_visibility_matches_the_definition(
    specs: list[tuple[int, bool, bool]], updates: list[tuple[int, bool]]
) -> None:
    resources = []
    for i, (group, is_crd, is_cr) in enumerate(specs):
        resources.append(
            res(
                f"r{i}",
                i,
                readiness_group=group,
                gvk=CR_GVK if is_cr and not is_crd else TEST_GVK,
                defined_group_kind=CRD_GK if is_crd else None,
            )
        )
    tree = build_tree(resources)
    ready: set[int] = set()
    crd_index = max((i for i, r in enumerate(resources) if r.defined_group_kind), default=None)

    def blocked(i: int) -> bool:
        groups = sorted({r.readiness_group for r in resources})
        position = groups.index(resources[i].readiness_group)
        if position > 0:
            previous = groups[position - 1]
            if any(r.readiness_group == previous and j not in ready for j, r in enumerate(resources)):
                return True
        waits_for_crd = crd_index is not None and resources[i].gvk == CR_GVK and crd_index != i
        return waits_for_crd and crd_index not in ready

    for index, is_ready in updates:
        if index >= len(resources):
            continue
        before = {i: blocked(i) for i in range(len(resources))}
        state = READY if is_ready else ResourceState(reconciled=True)
        enqueued = tree.update_state(mref(index), state)
        if is_ready:
            ready.add(index)
        unblocked = {ref(f"r{i}") for i in range(len(resources)) if before[i] and not blocked(i)}
        assert set(enqueued) - {ref(f"r{index}")} == unblocked
        for i in range(len(resources)):
            found = tree.get(ref(f"r{i}"))
            assert found is not None
            # Same GVK, namespace and name never repeat here, so nothing backtracks.
            assert found[1] is not blocked(i), i
