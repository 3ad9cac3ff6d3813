"""structlog configuration: Eno's JSON fields, or console lines."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import structlog

from eno.runtime.logging import configure_logging, reset_logging


@pytest.fixture(autouse=True)
def restore_structlog() -> Iterator[None]:
    yield
    reset_logging()


def test_json_lines_carry_enos_fields_and_bound_context() -> None:
    out = io.StringIO()
    configure_logging(json=True, level="info", stream=out, build_version="v1.2.3")
    with structlog.contextvars.bound_contextvars(controller="compositionController", reconcileID="r1"):
        structlog.get_logger("x").info("synthesis_started", compositionName="c")
    structlog.get_logger("x").debug("hidden")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["msg"] == "synthesis_started"
    assert line["level"] == "info"
    assert isinstance(line["ts"], float)
    assert line["caller"].startswith("test_logging.py:")
    assert line["serviceBuild"] == "v1.2.3"
    assert (line["controller"], line["reconcileID"], line["compositionName"]) == (
        "compositionController",
        "r1",
        "c",
    )


def test_errors_carry_a_stacktrace() -> None:
    out = io.StringIO()
    configure_logging(json=True, stream=out, build_version="")
    try:
        raise ValueError("boom")
    except ValueError:
        structlog.get_logger().error("reconciler_error", exc_info=True)
    line = json.loads(out.getvalue())
    assert "ValueError: boom" in line["stacktrace"]
    assert "serviceBuild" not in line


def test_console_format_and_debug_level() -> None:
    out = io.StringIO()
    configure_logging(json=False, level="debug", stream=out)
    structlog.get_logger().debug("queue_idle", depth=0)
    text = out.getvalue()
    assert "queue_idle" in text and "depth=0" in text
