"""Structured logs: key=value for people, JSON lines for machines (WINBACK_LOG_JSON)."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog


def configure_logging(
    level: str = "info", *, as_json: bool = False, stream: TextIO | None = None
) -> None:
    """Log lines to ``stream`` (standard output by default: a server's logs; a
    command that prints its answer on standard output logs to standard error)."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stdout),
        cache_logger_on_first_use=True,
    )
    _standard_logging_alike(stream or sys.stdout, renderer, every_library=as_json)


class _CurrentStderr:
    """Standard error as it is when a line is written, not when logging was set up
    (a test runner swaps it for each command it runs)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


# Where a command that prints its answer on standard output logs.
COMMAND_LOG_STREAM: TextIO = _CurrentStderr()  # type: ignore[assignment]


# The loggers the HTTP server writes through, besides the root logger. Not
# "uvicorn.access": uvicorn logs every request once that logger has a handler.
_SERVER_LOGGERS = ("uvicorn", "uvicorn.error")


def _standard_logging_alike(
    stream: TextIO, renderer: structlog.typing.Processor, *, every_library: bool
) -> None:
    """The HTTP server's lines (it starts, where it listens, it stops) in the same
    form as winback's own. As JSON lines, also what any other library logs (the
    traceback of a request that failed), the traceback in one field: a log shipper
    reading JSON lines would otherwise split it into pieces."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *([structlog.processors.format_exc_info] if every_library else []),
                renderer,
            ],
        )
    )
    if every_library:
        logging.getLogger().handlers = [handler]
    for name in _SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        server_logger.handlers = [handler]
        server_logger.propagate = False
