"""Status bodies and messages as kube-apiserver words them."""

from __future__ import annotations

import pytest

from eno.apiserver import errors
from eno.apiserver.errors import ApiError


@pytest.mark.parametrize(
    ("err", "code", "reason", "message"),
    [
        pytest.param(
            errors.not_found("", "configmaps", "x"),
            404,
            "NotFound",
            'configmaps "x" not found',
            id="not-found-core",
        ),
        pytest.param(
            errors.not_found("apps", "deployments", "web"),
            404,
            "NotFound",
            'deployments.apps "web" not found',
            id="not-found-group",
        ),
        pytest.param(
            errors.already_exists("", "secrets", "s"),
            409,
            "AlreadyExists",
            'secrets "s" already exists',
            id="already-exists",
        ),
        pytest.param(
            errors.conflict("", "configmaps", "x"),
            409,
            "Conflict",
            'Operation cannot be fulfilled on configmaps "x": the object has been modified; '
            "please apply your changes to the latest version and try again",
            id="conflict-stale",
        ),
        pytest.param(errors.bad_request("nope"), 400, "BadRequest", "nope", id="bad-request"),
        pytest.param(
            errors.too_old_resource_version(3, 10),
            410,
            "Expired",
            "too old resource version: 3 (10)",
            id="expired",
        ),
        pytest.param(errors.gone("gone"), 410, "Gone", "gone", id="gone"),
        pytest.param(
            errors.method_not_allowed("", "pods", "deletecollection"),
            405,
            "MethodNotAllowed",
            'deletecollection is not supported on resources of kind "pods"',
            id="method-not-allowed",
        ),
        pytest.param(
            errors.unsupported_media_type("text/plain"),
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
            id="unsupported-media-type",
        ),
        pytest.param(
            errors.request_entity_too_large(),
            413,
            "RequestEntityTooLarge",
            "Request entity too large: limit is 3145728",
            id="too-large",
        ),
        pytest.param(
            errors.internal("boom"), 500, "InternalError", "Internal error occurred: boom", id="internal"
        ),
        pytest.param(
            errors.forbidden("", "configmaps", "", "no"),
            403,
            "Forbidden",
            "configmaps is forbidden: no",
            id="forbidden-no-name",
        ),
        pytest.param(
            errors.namespace_terminating("", "configmaps", "x", "ns1"),
            403,
            "Forbidden",
            'configmaps "x" is forbidden: unable to create new content in namespace ns1 because it is being '
            "terminated",
            id="namespace-terminating",
        ),
    ],
)
def test_constructors(err: ApiError, code: int, reason: str, message: str) -> None:
    assert (err.code, err.reason, err.message) == (code, reason, message)
    body = err.status_body()
    assert body["kind"] == "Status"
    assert body["apiVersion"] == "v1"
    assert body["status"] == "Failure"
    assert body["metadata"] == {}
    assert (body["code"], body["reason"], body["message"]) == (code, reason, message)


def test_not_found_details_name_group_and_resource() -> None:
    assert errors.not_found("apps", "deployments", "web").status_body()["details"] == {
        "name": "web",
        "group": "apps",
        "kind": "deployments",
    }
    assert errors.not_found("", "pods", "p").details == {"name": "p", "kind": "pods"}


def test_namespace_terminating_carries_cause() -> None:
    details = errors.namespace_terminating("", "configmaps", "x", "ns1").details
    assert details is not None
    assert details["causes"][0]["reason"] == "NamespaceTerminating"
    assert details["causes"][0]["field"] == "metadata.namespace"


def test_too_many_requests_has_retry_after() -> None:
    err = errors.too_many_requests(3)
    assert err.code == 429
    assert err.details == {"retryAfterSeconds": 3}


@pytest.mark.parametrize(
    ("cause", "message"),
    [
        pytest.param(errors.required("spec.x"), "Required value", id="required"),
        pytest.param(
            errors.required("metadata.name", "name or generateName is required"),
            "Required value: name or generateName is required",
            id="required-detail",
        ),
        pytest.param(
            errors.invalid_value("metadata.name", "Foo", "bad"), 'Invalid value: "Foo": bad', id="str"
        ),
        pytest.param(errors.invalid_value("spec.n", 3, "too big"), "Invalid value: 3: too big", id="int"),
        pytest.param(errors.invalid_value("spec.n", 3.0, ""), "Invalid value: 3", id="float-integral"),
        pytest.param(errors.invalid_value("spec.b", True), "Invalid value: true", id="bool"),
        pytest.param(errors.invalid_value("spec.n", None), 'Invalid value: "null"', id="null"),
        pytest.param(
            errors.not_supported("spec.mode", "c", ["a", "b"]),
            'Unsupported value: "c": supported values: "a", "b"',
            id="not-supported",
        ),
        pytest.param(errors.too_long("spec.s", 3), "Too long: may not be more than 3 bytes", id="too-long"),
        pytest.param(
            errors.too_many("spec.l", 5, 3), "Too many: 5: must have at most 3 items", id="too-many"
        ),
        pytest.param(
            errors.forbidden_field("spec.x", "may not be set"), "Forbidden: may not be set", id="forbidden"
        ),
        pytest.param(errors.duplicate("spec.l[1]", "a"), 'Duplicate value: "a"', id="duplicate"),
    ],
)
def test_field_error_messages(cause: dict[str, str], message: str) -> None:
    assert cause["message"] == message


def test_invalid_single_cause() -> None:
    err = errors.invalid("example.com", "Widget", "w", [errors.required("spec.size")])
    assert err.code == 422
    assert err.reason == "Invalid"
    assert err.message == 'Widget.example.com "w" is invalid: spec.size: Required value'
    assert err.details == {
        "name": "w",
        "group": "example.com",
        "kind": "Widget",
        "causes": [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.size"}],
    }


def test_invalid_aggregates_and_dedups() -> None:
    causes = [errors.required("spec.a"), errors.required("spec.b"), errors.required("spec.a")]
    err = errors.invalid("", "ConfigMap", "c", causes)
    assert err.message == 'ConfigMap "c" is invalid: [spec.a: Required value, spec.b: Required value]'
    assert err.details is not None
    assert len(err.details["causes"]) == 3


def test_api_error_is_exception() -> None:
    with pytest.raises(ApiError) as info:
        raise errors.not_found("", "pods", "p")
    assert str(info.value) == 'pods "p" not found'


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        pytest.param("plain", '"plain"', id="plain"),
        pytest.param('say "hi"\n', '"say \\"hi\\"\\n"', id="quotes-newline"),
        pytest.param("bell\x07", '"bell\\a"', id="bell"),
        pytest.param("nul\x00", '"nul\\x00"', id="nul"),
        pytest.param("caf\u00e9", '"caf\u00e9"', id="printable-unicode"),
        pytest.param("nbsp\u00a0", '"nbsp\\u00a0"', id="unprintable-unicode"),
    ],
)
def test_values_quoted_like_go(value: str, quoted: str) -> None:
    assert errors.go_value(value) == quoted
