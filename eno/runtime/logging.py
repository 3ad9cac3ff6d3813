"""structlog configuration for a manager process: JSON lines (as Eno's zap production logger) or console.

JSON fields follow Eno's: `level`, `ts` (epoch seconds), `caller`, `msg`, `stacktrace` for errors, and
`serviceBuild` when ENO_BUILD_VERSION is set. Context bound with structlog.contextvars (the controller binds
`controller` and `reconcileID` around each reconcile) is merged into every line.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def _caller(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    filename = event.pop("filename", None)
    lineno = event.pop("lineno", None)
    if filename is not None:
        event["caller"] = f"{filename}:{lineno}"
    return event


def _service_build(version: str) -> Processor:
    def add(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
        event.setdefault("serviceBuild", version)
        return event

    return add


def _rename_exception(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    if "exception" in event:
        event["stacktrace"] = event.pop("exception")
    return event


def configure_logging(
    *,
    json: bool = True,
    level: str | int = "info",
    stream: TextIO | None = None,
    build_version: str | None = None,
) -> None:
    """Configure structlog process-wide. `level` is a name ("debug", "info", ...) or a logging level."""
    threshold = LEVELS[level.lower()] if isinstance(level, str) else level
    version = build_version if build_version is not None else os.environ.get("ENO_BUILD_VERSION", "")
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.CallsiteParameterAdder(
            [structlog.processors.CallsiteParameter.FILENAME, structlog.processors.CallsiteParameter.LINENO]
        ),
        _caller,
    ]
    if version:
        processors.append(_service_build(version))
    if json:
        processors += [
            structlog.processors.TimeStamper(fmt=None, key="ts"),
            structlog.processors.format_exc_info,
            _rename_exception,
            structlog.processors.EventRenamer("msg"),
            structlog.processors.JSONRenderer(),
        ]
    else:
        processors += [
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
            structlog.dev.ConsoleRenderer(colors=False),
        ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def reset_logging() -> None:
    structlog.reset_defaults()
