"""API errors as kube-apiserver reports them: metav1.Status bodies with its codes, reasons and wording.

Constructors mirror k8s.io/apimachinery/pkg/api/errors (NewNotFound, NewConflict, NewInvalid, ...), and the
field-error helpers mirror k8s.io/apimachinery/pkg/util/validation/field, because clients (kubectl,
kubernetes-asyncio callers, Eno itself) match on reason, code and sometimes message text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

# metav1.CauseType values used by field errors (field.ErrorType).
FIELD_VALUE_NOT_FOUND = "FieldValueNotFound"
FIELD_VALUE_REQUIRED = "FieldValueRequired"
FIELD_VALUE_DUPLICATE = "FieldValueDuplicate"
FIELD_VALUE_INVALID = "FieldValueInvalid"
FIELD_VALUE_NOT_SUPPORTED = "FieldValueNotSupported"
FIELD_VALUE_FORBIDDEN = "FieldValueForbidden"
FIELD_VALUE_TOO_LONG = "FieldValueTooLong"
FIELD_VALUE_TOO_MANY = "FieldValueTooMany"
FIELD_VALUE_TYPE_INVALID = "FieldValueTypeInvalid"
INTERNAL_ERROR = "InternalError"

# field.ErrorType.String(): the words that start a field error's message.
_TYPE_WORDS = {
    FIELD_VALUE_NOT_FOUND: "Not found",
    FIELD_VALUE_REQUIRED: "Required value",
    FIELD_VALUE_DUPLICATE: "Duplicate value",
    FIELD_VALUE_INVALID: "Invalid value",
    FIELD_VALUE_NOT_SUPPORTED: "Unsupported value",
    FIELD_VALUE_FORBIDDEN: "Forbidden",
    FIELD_VALUE_TOO_LONG: "Too long",
    FIELD_VALUE_TOO_MANY: "Too many",
    FIELD_VALUE_TYPE_INVALID: "Invalid value",
    INTERNAL_ERROR: "Internal error",
}
# Types whose message never shows the bad value (field.Error.ErrorBody).
_NO_VALUE_TYPES = {FIELD_VALUE_REQUIRED, FIELD_VALUE_FORBIDDEN, FIELD_VALUE_TOO_LONG, INTERNAL_ERROR}
_OMIT = object()


class ApiError(Exception):
    """An error the API server answers with a Status body."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        internal_detail: str = "",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        # What went wrong when kube's body does not say (e.g. which JSON patch op failed): for logs only.
        self.internal_detail = internal_detail

    def status_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body

    def __repr__(self) -> str:
        return f"ApiError({self.code}, {self.reason!r}, {self.message!r})"


def qualified_resource(group: str, resource: str) -> str:
    """schema.GroupResource.String(): `deployments.apps`, or `configmaps` for the core group."""
    return f"{resource}.{group}" if group else resource


def _details(group: str, kind: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    if kind:
        details["kind"] = kind
    details.update({k: v for k, v in extra.items() if v is not None})
    return details


def not_found(group: str, resource: str, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f"{qualified_resource(group, resource)} {_quote(name)} not found",
        _details(group, resource, name),
    )


def already_exists(group: str, resource: str, name: str) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f"{qualified_resource(group, resource)} {_quote(name)} already exists",
        _details(group, resource, name),
    )


STALE_MESSAGE = "the object has been modified; please apply your changes to the latest version and try again"


def conflict(group: str, resource: str, name: str, message: str = STALE_MESSAGE) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f"Operation cannot be fulfilled on {qualified_resource(group, resource)} {_quote(name)}: {message}",
        _details(group, resource, name),
    )


def invalid(group: str, kind: str, name: str, causes: Sequence[dict[str, Any]]) -> ApiError:
    """NewInvalid: 422 with one cause per field error; the message aggregates `field: message` strings."""
    qualified_kind = f"{kind}.{group}" if group else kind
    seen: list[str] = []
    for cause in causes:
        text = field_error_string(cause)
        if text not in seen:
            seen.append(text)
    if len(seen) == 1:
        aggregate = seen[0]
    else:
        aggregate = "[" + ", ".join(seen) + "]"
    return ApiError(
        422,
        "Invalid",
        f"{qualified_kind} {_quote(name)} is invalid: {aggregate}",
        _details(group, kind, name, causes=[dict(c) for c in causes]),
    )


def unprocessable(detail: str = "") -> ApiError:
    """NewGenericServerResponse(422): the bare Invalid that a failed JSON patch gets (`details: {}`)."""
    return ApiError(
        422,
        "Invalid",
        "the server rejected our request due to an error in our request",
        {},
        internal_detail=detail,
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def unauthorized(message: str = "Unauthorized") -> ApiError:
    return ApiError(401, "Unauthorized", message)


def forbidden(
    group: str,
    resource: str,
    name: str,
    message: str,
    causes: Sequence[dict[str, Any]] | None = None,
) -> ApiError:
    """NewForbidden: `configmaps "x" is forbidden: <message>` (no name: `configmaps is forbidden: ...`)."""
    subject = qualified_resource(group, resource)
    if name:
        subject = f"{subject} {_quote(name)}"
    return ApiError(
        403,
        "Forbidden",
        f"{subject} is forbidden: {message}",
        _details(group, resource, name, causes=[dict(c) for c in causes] if causes else None),
    )


def namespace_terminating(group: str, resource: str, name: str, namespace: str) -> ApiError:
    """Creating in a Terminating namespace: 403 with cause NamespaceTerminating (lifecycle admission)."""
    message = f"unable to create new content in namespace {namespace} because it is being terminated"
    return forbidden(
        group,
        resource,
        name,
        message,
        [{"reason": "NamespaceTerminating", "message": message, "field": "metadata.namespace"}],
    )


def method_not_allowed(group: str, resource: str, action: str) -> ApiError:
    """NewMethodNotSupported: `<action> is not supported on resources of kind "<resource.group>"`."""
    return ApiError(
        405,
        "MethodNotAllowed",
        f"{action} is not supported on resources of kind {_quote(qualified_resource(group, resource))}",
        _details(group, resource),
    )


def not_acceptable(accepted: Iterable[str]) -> ApiError:
    return ApiError(
        406,
        "NotAcceptable",
        "only the following media types are accepted: " + ", ".join(accepted),
    )


PATCH_MEDIA_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)


def unsupported_media_type(content_type: str, accepted: Iterable[str] = PATCH_MEDIA_TYPES) -> ApiError:
    """415 as kube's negotiation.NewUnsupportedMediaTypeError. kube's message lists what is accepted, not
    what was sent; the sent type is kept in `internal_detail` for logs."""
    return ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted),
        internal_detail=f"content type {content_type!r}",
    )


def request_entity_too_large(limit: int = 3 * 1024 * 1024) -> ApiError:
    return ApiError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def gone(message: str) -> ApiError:
    return ApiError(410, "Gone", message)


def expired(message: str) -> ApiError:
    """NewResourceExpired: 410 with reason Expired, as for a watch or continue token past compaction."""
    return ApiError(410, "Expired", message)


def too_old_resource_version(requested: int, oldest: int) -> ApiError:
    """The watch-cache wording for a resourceVersion older than the history window."""
    return expired(f"too old resource version: {requested} ({oldest})")


def too_many_requests(retry_after: int, message: str = "") -> ApiError:
    return ApiError(
        429,
        "TooManyRequests",
        message or "Too many requests, please try again later.",
        {"retryAfterSeconds": retry_after},
    )


def internal(message: str) -> ApiError:
    return ApiError(
        500,
        "InternalError",
        f"Internal error occurred: {message}",
        {"causes": [{"message": message}]},
    )


def service_unavailable(message: str) -> ApiError:
    return ApiError(503, "ServiceUnavailable", message)


def timeout(message: str, retry_after: int = 0) -> ApiError:
    return ApiError(
        504,
        "Timeout",
        f"Timeout: {message}",
        {"retryAfterSeconds": retry_after} if retry_after else None,
    )


# Field errors, returned as metav1.StatusCause dicts: {reason, message, field}.


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def _quote(value: str) -> str:
    """Go's %q (strconv.Quote): C-style escapes, hex escapes for other unprintable characters."""
    out = ['"']
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def go_value(value: Any) -> str:
    """How field.Error.ErrorBody prints a bad value: strings quoted, simple scalars bare."""
    if value is None:
        return '"null"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _go_number(value)
    if isinstance(value, str):
        return _quote(value)
    # Go falls back to %#v for composite values; JSON is the readable equivalent.
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _go_number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def field_error(reason: str, field: str, value: Any = _OMIT, detail: str = "") -> dict[str, Any]:
    """A cause whose message is field.Error.ErrorBody(): `<Type words>[: <value>][: <detail>]`."""
    message = _TYPE_WORDS.get(reason, reason)
    if reason not in _NO_VALUE_TYPES and value is not _OMIT:
        message = f"{message}: {go_value(value)}"
    if detail:
        message = f"{message}: {detail}"
    return {"reason": reason, "message": message, "field": field}


def field_error_string(cause: dict[str, Any]) -> str:
    """field.Error.Error(): `<field>: <message>` (just the message when the field is empty)."""
    field = cause.get("field") or ""
    message = str(cause.get("message", ""))
    return f"{field}: {message}" if field else message


def required(field: str, detail: str = "") -> dict[str, Any]:
    return field_error(FIELD_VALUE_REQUIRED, field, detail=detail)


def invalid_value(field: str, value: Any, detail: str = "") -> dict[str, Any]:
    return field_error(FIELD_VALUE_INVALID, field, value, detail)


def type_invalid(field: str, value: Any, detail: str = "") -> dict[str, Any]:
    return field_error(FIELD_VALUE_TYPE_INVALID, field, value, detail)


def not_supported(field: str, value: Any, valid: Iterable[Any]) -> dict[str, Any]:
    detail = ""
    quoted = [go_value(v) for v in valid]
    if quoted:
        detail = "supported values: " + ", ".join(quoted)
    return field_error(FIELD_VALUE_NOT_SUPPORTED, field, value, detail)


def forbidden_field(field: str, detail: str) -> dict[str, Any]:
    return field_error(FIELD_VALUE_FORBIDDEN, field, detail=detail)


def duplicate(field: str, value: Any) -> dict[str, Any]:
    return field_error(FIELD_VALUE_DUPLICATE, field, value)


def not_found_field(field: str, value: Any) -> dict[str, Any]:
    return field_error(FIELD_VALUE_NOT_FOUND, field, value)


def too_long(field: str, max_length: int) -> dict[str, Any]:
    unit = "byte" if max_length == 1 else "bytes"
    return field_error(FIELD_VALUE_TOO_LONG, field, detail=f"may not be more than {max_length} {unit}")


def too_many(field: str, actual: int, max_items: int) -> dict[str, Any]:
    unit = "item" if max_items == 1 else "items"
    return field_error(FIELD_VALUE_TOO_MANY, field, actual, f"must have at most {max_items} {unit}")
