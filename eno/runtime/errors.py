"""One exception hierarchy for Kubernetes API errors, mapped from `Status` bodies.

Callers write `except NotFound` / `except Conflict`; the HTTP code and the server's reason pick the class.
"""

from __future__ import annotations

import json
from typing import Any


class ApiError(Exception):
    """An error answered by the API server (or a failure to reach it, code 0)."""

    def __init__(
        self,
        code: int,
        reason: str = "",
        message: str = "",
        details: dict[str, Any] | None = None,
        status: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code} {reason}: {message}" if message else f"{code} {reason}")
        self.code = code
        self.reason = reason
        self.message = message
        self.details: dict[str, Any] = details or {}
        self.status: dict[str, Any] = status or {}


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    pass


class Forbidden(ApiError):
    pass


class NotFound(ApiError):
    pass


class MethodNotAllowed(ApiError):
    pass


class NotAcceptable(ApiError):
    pass


class AlreadyExists(ApiError):
    pass


class Conflict(ApiError):
    pass


class Gone(ApiError):
    """The requested resourceVersion is older than the server's history: relist."""


class UnsupportedMediaType(ApiError):
    pass


class Invalid(ApiError):
    pass


class TooManyRequests(ApiError):
    def __init__(
        self,
        code: int,
        reason: str = "",
        message: str = "",
        details: dict[str, Any] | None = None,
        status: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(code, reason, message, details, status)
        self.retry_after = retry_after


class ServerError(ApiError):
    """Any 5xx answer."""


class InternalError(ServerError):
    pass


class ServiceUnavailable(ServerError):
    pass


class Timeout(ServerError):
    """The server gave up (504 / reason Timeout) or the request timed out client-side."""


class Disconnected(ApiError):
    """The connection failed or dropped before a complete answer (client-side, code 0)."""


class ChaosError(ApiError):
    """A write failed on purpose (Eno's CHAOS_RATIO) before reaching the server."""

    def __str__(self) -> str:
        return "chaos!"


class UnknownKind(ApiError):
    """Discovery does not serve this group/version/kind (client-side, code 404)."""


_BY_REASON: dict[str, type[ApiError]] = {
    "AlreadyExists": AlreadyExists,
    "Conflict": Conflict,
    "Invalid": Invalid,
    "NotFound": NotFound,
    "Gone": Gone,
    "Expired": Gone,
    "BadRequest": BadRequest,
    "Unauthorized": Unauthorized,
    "Forbidden": Forbidden,
    "MethodNotAllowed": MethodNotAllowed,
    "NotAcceptable": NotAcceptable,
    "UnsupportedMediaType": UnsupportedMediaType,
    "TooManyRequests": TooManyRequests,
    "InternalError": InternalError,
    "ServiceUnavailable": ServiceUnavailable,
    "Timeout": Timeout,
    "ServerTimeout": Timeout,
}

_BY_CODE: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    406: NotAcceptable,
    409: Conflict,
    410: Gone,
    415: UnsupportedMediaType,
    422: Invalid,
    429: TooManyRequests,
    500: InternalError,
    503: ServiceUnavailable,
    504: Timeout,
}


def _error_class(code: int, reason: str) -> type[ApiError]:
    # The reason is more precise than the code (409 is both AlreadyExists and Conflict), but only when it
    # agrees with the code's family; an unknown reason falls back to the code.
    by_reason = _BY_REASON.get(reason)
    if by_reason is not None:
        return by_reason
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code >= 500:
        return ServerError
    return ApiError


def from_status(
    code: int, body: bytes | str | dict[str, Any] | None, retry_after: float | None = None
) -> ApiError:
    """Map an HTTP error answer (a `Status` body, or anything else) to the exception hierarchy."""
    status: dict[str, Any] = {}
    if isinstance(body, dict):
        status = body
    elif body:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            status = parsed
        else:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            status = {"message": text.strip()}
    code = int(status.get("code") or code)
    reason = str(status.get("reason") or "")
    message = str(status.get("message") or "")
    details = status.get("details")
    if not isinstance(details, dict):
        details = {}
    cls = _error_class(code, reason)
    if cls is TooManyRequests:
        if retry_after is None:
            seconds = details.get("retryAfterSeconds")
            retry_after = float(seconds) if isinstance(seconds, int | float) else None
        return TooManyRequests(code, reason, message, details, status, retry_after=retry_after)
    return cls(code, reason, message, details, status)
