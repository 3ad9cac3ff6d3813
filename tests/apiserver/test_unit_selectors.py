"""Label and field selectors: kube's grammar, matching, printing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.apiserver.errors import ApiError
from eno.apiserver.selectors import (
    LabelSelector,
    Op,
    Requirement,
    label_selector_from_dict,
    parse_field_selector,
    parse_label_selector,
    supported_field_labels,
)

LABELS = {"app": "web", "tier": "front", "n": "5", "empty": ""}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        pytest.param("", True, id="empty-selects-all"),
        pytest.param("app=web", True, id="equals"),
        pytest.param("app==web", True, id="double-equals"),
        pytest.param("app=db", False, id="equals-other"),
        pytest.param("app!=db", True, id="not-equals"),
        pytest.param("missing!=x", True, id="not-equals-absent-key"),
        pytest.param("app in (web,db)", True, id="in"),
        pytest.param("app in (db)", False, id="in-miss"),
        pytest.param("app notin (db)", True, id="notin"),
        pytest.param("missing notin (db)", True, id="notin-absent"),
        pytest.param("app", True, id="exists"),
        pytest.param("missing", False, id="exists-miss"),
        pytest.param("!missing", True, id="does-not-exist"),
        pytest.param("!app", False, id="does-not-exist-miss"),
        pytest.param("app=web,tier=front", True, id="and"),
        pytest.param("app=web,tier=back", False, id="and-miss"),
        pytest.param("  app =  web , tier ", True, id="whitespace"),
        pytest.param("empty=", True, id="empty-value"),
        pytest.param("app=", False, id="empty-value-miss"),
        pytest.param("empty in ()", True, id="in-empty-parens-is-empty-value"),
        pytest.param("empty in (a,)", True, id="trailing-comma-adds-empty"),
        pytest.param("n>4", True, id="gt"),
        pytest.param("n<5", False, id="lt"),
        pytest.param("app>1", False, id="gt-non-integer-label"),
        pytest.param("missing>1", False, id="gt-absent"),
        pytest.param("example.com/x!=y", True, id="prefixed-key"),
        pytest.param("in in (in)", False, id="keywords-as-words"),
    ],
)
def test_label_selector_matches(selector: str, matches: bool) -> None:
    assert parse_label_selector(selector).matches(LABELS) is matches


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        pytest.param("app=web,", "found '', expected: identifier after ','", id="trailing-comma"),
        pytest.param(",app", "found ',', expected: !, identifier, or 'end of string'", id="leading-comma"),
        pytest.param(
            "app in web", "unable to parse requirement: found 'web' expected: '('", id="in-no-paren"
        ),
        pytest.param(
            "app in (a", "unable to parse requirement: found '', expected: ',' or ')'", id="unclosed"
        ),
        pytest.param("app web", "found 'web', expected: in, notin, =, ==, !=, gt, lt", id="two-words"),
        pytest.param(
            "app=(x)", "unable to parse requirement: found '(', expected: identifier", id="paren-value"
        ),
        pytest.param("!app=x", "found '=', expected: ',' or 'end of string'", id="not-with-value"),
        pytest.param("n>x", "the value must be an integer", id="gt-non-integer"),
        pytest.param("app=web x", "found 'x', expected: ',' or 'end of string'", id="trailing-word"),
        pytest.param("-bad=x", "name part must consist of alphanumeric characters", id="bad-key"),
        pytest.param("app=-x", "a valid label must be an empty string", id="bad-value"),
        pytest.param("app=" + "x" * 64, "must be no more than 63 characters", id="long-value"),
    ],
)
def test_label_selector_errors(selector: str, message: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_label_selector(selector)
    assert info.value.code == 400
    assert info.value.reason == "BadRequest"
    assert message in info.value.message


def test_label_selector_prints_sorted_by_key() -> None:
    sel = parse_label_selector("z notin (b,a), a, !m, k==v, n>3")
    assert str(sel) == "a,k==v,!m,n>3,z notin (a,b)"
    assert parse_label_selector(str(sel)) == sel


def test_empty_selector_property() -> None:
    assert parse_label_selector("").empty
    assert not parse_label_selector("a").empty
    assert LabelSelector().matches(None)


_key = st.from_regex(r"\A([a-z]{1,5}\.[a-z]{1,3}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,6}[A-Za-z0-9])?\Z")
_value = st.from_regex(r"\A([A-Za-z0-9]([-A-Za-z0-9_.]{0,6}[A-Za-z0-9])?)?\Z")


@st.composite
def _requirements(draw: st.DrawFn) -> Requirement:
    key = draw(_key)
    op = draw(st.sampled_from(list(Op)))
    if op in (Op.EXISTS, Op.DOES_NOT_EXIST):
        values: tuple[str, ...] = ()
    elif op in (Op.GREATER_THAN, Op.LESS_THAN):
        values = (str(draw(st.integers(0, 10**6))),)
    elif op in (Op.IN, Op.NOT_IN):
        values = tuple(sorted(set(draw(st.lists(_value, min_size=1, max_size=3)))))
    else:
        values = (draw(_value),)
    return Requirement(key, op, values)


@given(st.lists(_requirements(), max_size=4))
def test_label_selector_round_trip(reqs: list[Requirement]) -> None:
    sel = LabelSelector(tuple(sorted(reqs, key=lambda r: r.key)))
    assert parse_label_selector(str(sel)) == sel


@given(st.lists(_requirements(), max_size=4), st.dictionaries(_key, _value, max_size=4))
def test_printed_selector_matches_like_original(reqs: list[Requirement], labels: dict[str, str]) -> None:
    sel = LabelSelector(tuple(reqs))
    assert parse_label_selector(str(sel)).matches(labels) == sel.matches(labels)


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        pytest.param({}, True, id="empty-all"),
        pytest.param({"matchLabels": {"app": "web"}}, True, id="match-labels"),
        pytest.param(
            {"matchExpressions": [{"key": "app", "operator": "In", "values": ["db"]}]}, False, id="in"
        ),
        pytest.param({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}, True, id="dne"),
    ],
)
def test_label_selector_from_dict(selector: dict[str, Any], matches: bool) -> None:
    sel = label_selector_from_dict(selector)
    assert sel is not None
    assert sel.matches(LABELS) is matches


def test_label_selector_from_dict_none_and_bad_operator() -> None:
    assert label_selector_from_dict(None) is None
    with pytest.raises(ApiError):
        label_selector_from_dict({"matchExpressions": [{"key": "a", "operator": "Bogus"}]})


POD = {
    "metadata": {"name": "p1", "namespace": "ns"},
    "spec": {"nodeName": "node-a", "hostNetwork": True},
    "status": {"phase": "Running"},
}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        pytest.param("", True, id="empty"),
        pytest.param("metadata.name=p1", True, id="name"),
        pytest.param("metadata.name==p1", True, id="double-equals"),
        pytest.param("metadata.name!=p1", False, id="not-equals"),
        pytest.param("metadata.namespace=ns,status.phase=Running", True, id="and"),
        pytest.param("spec.nodeName=", False, id="empty-value-present"),
        pytest.param("spec.schedulerName=", True, id="empty-value-absent"),
        pytest.param("spec.hostNetwork=true", True, id="bool"),
        pytest.param("metadata.name=p\\,1", False, id="escaped-comma"),
    ],
)
def test_field_selector_matches(selector: str, matches: bool) -> None:
    assert parse_field_selector(selector).matches(POD) is matches


@pytest.mark.parametrize(
    "selector",
    [
        pytest.param("metadata.name", id="no-operator"),
        pytest.param("metadata.name=a=b", id="unescaped-equals"),
        pytest.param("metadata.name=a\\x", id="bad-escape"),
    ],
)
def test_field_selector_errors(selector: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_field_selector(selector)
    assert info.value.code == 400


def test_field_selector_escaping_round_trip() -> None:
    sel = parse_field_selector("metadata.name=a\\,b\\=c\\\\d")
    assert sel.exact_value("metadata.name") == "a,b=c\\d"
    assert parse_field_selector(str(sel)) == sel


def test_field_selector_supported_labels() -> None:
    sel = parse_field_selector("spec.nodeName=x")
    sel.check_supported(supported_field_labels("", "pods"))
    with pytest.raises(ApiError) as info:
        sel.check_supported(supported_field_labels("", "configmaps"))
    assert info.value.message == "field label not supported: spec.nodeName"


def test_field_selector_exact_value() -> None:
    sel = parse_field_selector("metadata.namespace!=x,metadata.name=n")
    assert sel.exact_value("metadata.name") == "n"
    assert sel.exact_value("metadata.namespace") is None


@pytest.mark.parametrize(
    ("selector", "kwargs", "message"),
    [
        pytest.param(
            "spec.x=1",
            {"group": "", "resource": "configmaps"},
            '"spec.x" is not a known field selector: only "metadata.name", "metadata.namespace"',
            id="default-conversion",
        ),
        pytest.param(
            "spec.x=1",
            {"group": "", "resource": "pods"},
            "field label not supported: spec.x",
            id="pod-conversion",
        ),
        pytest.param(
            "spec.x=1",
            {"group": "example.com", "resource": "widgets", "builtin": False},
            "field label not supported: spec.x",
            id="custom-resource",
        ),
        pytest.param(
            "metadata.namespace=a",
            {"group": "example.com", "resource": "gadgets", "builtin": False, "namespaced": False},
            "field label not supported: metadata.namespace",
            id="cluster-custom-resource-namespace",
        ),
        pytest.param(
            "spec.color=red",
            {"group": "example.com", "resource": "widgets", "builtin": False, "selectable": ("spec.color",)},
            None,
            id="selectable-field",
        ),
        pytest.param(
            "spec.nodeName=n,status.phase=Running", {"group": "", "resource": "pods"}, None, id="pod-fields"
        ),
        pytest.param(
            "metadata.namespace=a", {"group": "apps", "resource": "deployments"}, None, id="namespace"
        ),
    ],
)
def test_check_field_labels(selector: str, kwargs: dict[str, Any], message: str | None) -> None:
    from eno.apiserver.selectors import check_field_labels

    sel = parse_field_selector(selector)
    if message is None:
        check_field_labels(sel, **kwargs)
        return
    with pytest.raises(ApiError) as info:
        check_field_labels(sel, **kwargs)
    assert info.value.code == 400
    assert info.value.message == message


def test_selectable_field_labels() -> None:
    from eno.apiserver.selectors import selectable_field_labels

    assert selectable_field_labels([{"jsonPath": ".spec.color"}, {"jsonPath": ".status.phase"}]) == (
        "spec.color",
        "status.phase",
    )


def test_event_source_field_is_the_component() -> None:
    event = {"metadata": {"name": "e"}, "source": {"component": "kubelet", "host": "n1"}}
    assert parse_field_selector("source=kubelet").matches(event)
    assert not parse_field_selector("source=other").matches(event)
