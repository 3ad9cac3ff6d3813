"""Name validation messages and generateName, as the apiserver's validation and names packages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eno.apiserver import names

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("example.com", [], id="dotted"),
        pytest.param("a", [], id="single-char"),
        pytest.param("a-b.c-d", [], id="dashes"),
        pytest.param("Foo", [SUBDOMAIN_MSG], id="uppercase"),
        pytest.param("-a", [SUBDOMAIN_MSG], id="leading-dash"),
        pytest.param("a.", [SUBDOMAIN_MSG], id="trailing-dot"),
        pytest.param("", [SUBDOMAIN_MSG], id="empty"),
        pytest.param("a_b", [SUBDOMAIN_MSG], id="underscore"),
        pytest.param("a" * 254, ["must be no more than 253 characters"], id="too-long"),
    ],
)
def test_dns1123_subdomain(value: str, expected: list[str]) -> None:
    assert names.is_dns1123_subdomain(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("my-name", [], id="ok"),
        pytest.param("123-abc", [], id="digits-first"),
        pytest.param("a.b", [LABEL_MSG], id="dot"),
        pytest.param("a" * 64, ["must be no more than 63 characters"], id="too-long"),
        pytest.param("A" * 64, ["must be no more than 63 characters", LABEL_MSG], id="too-long-and-bad"),
    ],
)
def test_dns1123_label(value: str, expected: list[str]) -> None:
    assert names.is_dns1123_label(value) == expected


def test_dns1035_label_must_start_with_letter() -> None:
    assert names.is_dns1035_label("abc-123") == []
    [msg] = names.is_dns1035_label("1abc")
    assert msg.startswith("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start")


@pytest.mark.parametrize(
    ("group", "resource", "name", "prefix", "valid"),
    [
        pytest.param("", "configmaps", "a.b", False, True, id="configmap-dotted"),
        pytest.param("", "namespaces", "a.b", False, False, id="namespace-no-dots"),
        pytest.param("", "services", "1svc", False, False, id="service-dns1035"),
        pytest.param(
            "rbac.authorization.k8s.io", "clusterroles", "system:admin", False, True, id="rbac-colon"
        ),
        pytest.param("rbac.authorization.k8s.io", "roles", "a/b", False, False, id="rbac-slash"),
        pytest.param("rbac.authorization.k8s.io", "roles", "..", False, False, id="rbac-dotdot"),
        pytest.param("example.com", "widgets", "w-1", False, True, id="custom-resource"),
        pytest.param("", "configmaps", "web-", True, True, id="prefix-trailing-dash"),
        pytest.param("", "configmaps", "web-", False, False, id="name-trailing-dash"),
        pytest.param("", "configmaps", "Web-", True, False, id="prefix-uppercase"),
    ],
)
def test_validate_name_per_resource(group: str, resource: str, name: str, prefix: bool, valid: bool) -> None:
    assert (names.validate_name(group, resource, name, prefix) == []) is valid


def test_path_segment_messages() -> None:
    assert names.is_valid_path_segment_name(".") == ["may not be '.'"]
    assert names.is_valid_path_segment_name("a/b%c") == ["may not contain '/'", "may not contain '%'"]


@given(st.text(alphabet="abc-", max_size=70))
def test_generate_name_shape(prefix: str) -> None:
    name = names.generate_name(prefix)
    cut = prefix[:58]
    assert name.startswith(cut)
    suffix = name[len(cut) :]
    assert len(suffix) == 5
    assert set(suffix) <= set(names.GENERATE_NAME_ALPHABET)


def test_generate_name_varies() -> None:
    assert len({names.generate_name("x-") for _ in range(50)}) > 1


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        pytest.param("app", True, id="plain"),
        pytest.param("example.com/My_Name.x", True, id="prefixed"),
        pytest.param("app.kubernetes.io/name", True, id="well-known"),
        pytest.param("/x", False, id="empty-prefix"),
        pytest.param("a/b/c", False, id="two-slashes"),
        pytest.param("Example.com/x", False, id="uppercase-prefix"),
        pytest.param("x" * 64, False, id="long-name"),
        pytest.param("-x", False, id="leading-dash"),
        pytest.param("", False, id="empty"),
    ],
)
def test_qualified_name(key: str, valid: bool) -> None:
    assert (names.is_qualified_name(key) == []) is valid


def test_qualified_name_messages() -> None:
    assert names.is_qualified_name("/x") == ["prefix part must be non-empty"]
    errs = names.is_qualified_name("")
    assert errs[0] == "name part must be non-empty"
    assert errs[1].startswith("name part must consist of alphanumeric characters")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        pytest.param("", True, id="empty"),
        pytest.param("My_Value-1.2", True, id="mixed"),
        pytest.param("-x", False, id="leading-dash"),
        pytest.param("a b", False, id="space"),
        pytest.param("x" * 64, False, id="long"),
    ],
)
def test_label_value(value: str, valid: bool) -> None:
    assert (names.is_valid_label_value(value) == []) is valid
