"""Status bodies map to one exception hierarchy, by reason first and by code otherwise."""

from __future__ import annotations

import json

import pytest

from eno.runtime import errors
from eno.runtime.errors import from_status


def status(code: int, reason: str, message: str = "m", **details: object) -> dict[str, object]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
        "details": details,
    }


@pytest.mark.parametrize(
    ("code", "body", "expected"),
    [
        (404, status(404, "NotFound"), errors.NotFound),
        (409, status(409, "AlreadyExists"), errors.AlreadyExists),
        (409, status(409, "Conflict"), errors.Conflict),
        (422, status(422, "Invalid"), errors.Invalid),
        (410, status(410, "Expired"), errors.Gone),
        (410, status(410, "Gone"), errors.Gone),
        (400, status(400, "BadRequest"), errors.BadRequest),
        (401, status(401, "Unauthorized"), errors.Unauthorized),
        (403, status(403, "Forbidden"), errors.Forbidden),
        (405, status(405, "MethodNotAllowed"), errors.MethodNotAllowed),
        (415, status(415, "UnsupportedMediaType"), errors.UnsupportedMediaType),
        (429, status(429, "TooManyRequests"), errors.TooManyRequests),
        (500, status(500, "InternalError"), errors.InternalError),
        (503, status(503, "ServiceUnavailable"), errors.ServiceUnavailable),
        (504, status(504, "Timeout"), errors.Timeout),
        (502, b"bad gateway", errors.ServerError),
        (404, b"404 page not found", errors.NotFound),
        (418, None, errors.ApiError),
        (409, status(409, "SomethingNew"), errors.Conflict),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_status_maps_to_class(code, body, expected):
    err = from_status(code, body)
    assert type(err) is expected
    assert err.code == code


def test_fields_are_kept():
    body = json.dumps(status(422, "Invalid", "bad name", name="x", kind="ConfigMap")).encode()
    err = from_status(422, body)
    assert (err.reason, err.message, err.details["name"]) == ("Invalid", "bad name", "x")
    assert err.status["kind"] == "Status"


def test_plain_text_body_becomes_the_message():
    err = from_status(502, b"upstream died\n")
    assert err.message == "upstream died"


@pytest.mark.parametrize(
    ("header", "details", "expected"),
    [(2.5, {}, 2.5), (None, {"retryAfterSeconds": 3}, 3.0), (None, {}, None)],
    ids=["header", "details", "absent"],
)
def test_too_many_requests_carries_retry_after(header, details, expected):
    err = from_status(429, status(429, "TooManyRequests", **details), retry_after=header)
    assert isinstance(err, errors.TooManyRequests)
    assert err.retry_after == expected


def test_server_errors_share_a_base():
    assert issubclass(errors.InternalError, errors.ServerError)
    assert issubclass(errors.Timeout, errors.ServerError)
    assert issubclass(errors.NotFound, errors.ApiError)
