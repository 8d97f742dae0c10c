"""Log lines: JSON lines when asked, the server's own and tracebacks included."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import orjson
import pytest
import structlog

from winback.logs import configure_logging


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    saved = {
        name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate)
        for name in ("", "uvicorn", "uvicorn.error")
    }
    configure_logging("info", as_json=True, stream=stream)
    yield stream
    for name, (handlers, propagate) in saved.items():
        logging.getLogger(name).handlers = handlers
        logging.getLogger(name).propagate = propagate
    structlog.reset_defaults()


def test_a_failed_requests_traceback_is_one_json_line(json_logs: io.StringIO) -> None:
    empty: dict[str, int] = {}
    try:
        empty["missing"]
    except KeyError as error:
        logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=error)

    [line] = json_logs.getvalue().splitlines()
    record = orjson.loads(line)
    assert (record["event"], record["level"]) == ("Exception in ASGI application", "error")
    assert record["logger"] == "uvicorn.error"
    assert "Traceback (most recent call last)" in record["exception"]
    assert "KeyError: 'missing'" in record["exception"]


def test_winbacks_own_lines_are_json_too(json_logs: io.StringIO) -> None:
    structlog.get_logger("winback.test").info("store created", store_id="st_1")

    record = orjson.loads(json_logs.getvalue())
    assert (record["event"], record["store_id"], record["level"]) == (
        "store created",
        "st_1",
        "info",
    )


def test_the_servers_lines_read_as_winbacks_own_without_json() -> None:
    stream = io.StringIO()
    server = logging.getLogger("uvicorn.error")
    saved = server.handlers[:], logging.getLogger("").handlers[:], server.level
    configure_logging("info", stream=stream)
    server.setLevel(logging.INFO)  # (as uvicorn sets it from serve's log level)
    try:
        server.info("Uvicorn running on http://127.0.0.1:8000")
        empty: dict[str, int] = {}
        try:
            empty["missing"]
        except KeyError as error:
            server.error("Exception in ASGI application", exc_info=error)
    finally:
        server.handlers, logging.getLogger("").handlers, _ = saved
        server.setLevel(saved[2])
        structlog.reset_defaults()

    started, failed, *traceback = stream.getvalue().splitlines()
    assert started.endswith("[info     ] Uvicorn running on http://127.0.0.1:8000 [uvicorn.error]")
    assert re.search(r"\[error\s*\] Exception in ASGI application\s+\[uvicorn.error\]", failed)
    assert "KeyError: 'missing'" in "\n".join(traceback)


@pytest.mark.parametrize("as_json", [False, True])
def test_requests_are_not_logged_one_by_one(as_json: bool) -> None:
    # (as uvicorn leaves its access logger when serve turns access lines off; it
    # writes them whenever that logger has a handler to write to)
    access = logging.getLogger("uvicorn.access")
    saved = access.handlers[:], access.propagate, logging.getLogger("").handlers[:]
    access.handlers, access.propagate = [], False
    try:
        configure_logging("info", as_json=as_json, stream=io.StringIO())
        assert not access.hasHandlers()
    finally:
        access.handlers, access.propagate, logging.getLogger("").handlers = saved
        structlog.reset_defaults()
