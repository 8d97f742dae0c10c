"""The ASGI application: routes, error handlers, health and metrics."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from winback import __version__
from winback.api.routes import router as read_router
from winback.config import Settings, load_settings
from winback.coupons.http import router as coupons_router
from winback.errors import WinbackError
from winback.feeds.http import router as feed_router
from winback.imports.http import router as imports_router
from winback.intake.http import router as intake_router
from winback.logs import configure_logging
from winback.metrics import APPLY_PENDING, exposition
from winback.runtime import Runtime, build_runtime
from winback.storage.pending import oldest_pending_age, pending_count
from winback.stores.http import router as admin_router
from winback.supervise import Apart, exit_with_parent
from winback.tracking.http import router as tracking_router
from winback.web.errors import (
    database_error_response,
    http_error_response,
    server_error_response,
    validation_error_response,
    winback_error_response,
)
from winback.web.heads import HeadAsGet
from winback.web.nul import RefuseNul
from winback.web.openapi import openapi_document
from winback.web.paths import KeepEncodedSlashes
from winback.web.responses import JSONBody

log = structlog.get_logger(__name__)


def create_app(
    settings: Settings | None = None, *, apply_in_process: bool = True, apart: Apart | None = None
) -> FastAPI:
    """Build the app; the runtime (database, writer, applier) starts with the lifespan.

    ``apart``: what ``winback serve`` shares with the HTTP processes it starts when
    the applier runs in ``winback worker``."""
    settings = settings or load_settings()
    configure_logging(settings.log_level, as_json=settings.log_json)
    # (redirect_slashes: the router would redirect a POST to a path with a slash too
    # many, webhooks included; web/errors.py answers such paths instead)
    app = FastAPI(
        title="winback",
        version=__version__,
        lifespan=_lifespan(settings, apply_in_process, apart),
        default_response_class=JSONBody,
        redirect_slashes=False,
    )
    _answer_errors(app)
    app.add_middleware(KeepEncodedSlashes)
    app.add_middleware(RefuseNul)
    app.add_middleware(HeadAsGet)
    _add_routes(app)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    return app


def _lifespan(
    settings: Settings, apply_in_process: bool, apart: Apart | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The runtime's life: built and started with the server, closed with it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = build_runtime(settings, apply_in_process=apply_in_process, apart=apart)
        app.state.runtime = runtime
        runtime.start()
        if apart is not None:
            # (SIGTERM: the server stops as it does when serve stops it)
            exit_with_parent(apart.serve_pid, lambda: os.kill(os.getpid(), signal.SIGTERM))
        try:
            yield
        finally:
            runtime.close()

    return lifespan


def _answer_errors(app: FastAPI) -> None:
    """Every error in winback's own shape (web/errors.py)."""
    app.add_exception_handler(WinbackError, winback_error_response)
    app.add_exception_handler(RequestValidationError, validation_error_response)
    app.add_exception_handler(HTTPException, http_error_response)
    app.add_exception_handler(OperationalError, database_error_response)
    app.add_exception_handler(Exception, server_error_response)


def _add_routes(app: FastAPI) -> None:
    app.include_router(intake_router)
    app.include_router(read_router)
    app.include_router(admin_router)
    app.include_router(coupons_router)
    app.include_router(feed_router)
    app.include_router(imports_router)
    app.include_router(tracking_router)
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["operations"])
    app.add_api_route(
        "/metrics", metrics, methods=["GET"], tags=["operations"], response_class=Response
    )


def healthz(request: Request) -> JSONBody:
    """Up when the database answers and this process's applier runs (or the
    ``winback worker`` serve started, with the applier apart); reports how many
    events wait to be applied and how long the oldest has waited."""
    runtime: Runtime = request.app.state.runtime
    try:
        with runtime.reader.connect() as conn:
            pending = pending_count(conn)
            oldest_waited = oldest_pending_age(conn, datetime.now(UTC))
    except Exception as error:
        # The cause names the database's host, port and driver: for the operator's
        # log, not for whoever can reach this URL.
        log.error("health check failed", error=str(error))
        reason = "the database does not answer (the cause is in winback's log)"
        return JSONBody({"status": "unavailable", "reason": reason}, status_code=503)
    applier = runtime.applier_state()
    body: dict[str, Any] = {
        "status": "ok",
        "version": __version__,
        "pending_events": pending,
        "oldest_pending_seconds": round(oldest_waited, 3),
        "applier": applier,
        "database": runtime.engine.dialect.name,
    }
    failing_since = _appends_failing_since(runtime)
    if failing_since is not None:
        # The database answers reads, but events cannot be stored: every webhook
        # gets a 503, and a load balancer should send them elsewhere.
        reason = f"events cannot be stored since {failing_since.isoformat()} (see winback's log)"
        body |= {"status": "unavailable", "reason": reason}
        return JSONBody(body, status_code=503)
    if applier == "stopped":
        # Events are still taken in and kept, but none is applied: a restart is due.
        body |= {"status": "unavailable", "reason": "the applier has stopped"}
        return JSONBody(body, status_code=503)
    return JSONBody(body)


def _appends_failing_since(runtime: Runtime) -> datetime | None:
    """Since when the raw log's appends fail, if they still do. The writer notes its
    failures; whether they go on is tried here (a write transaction, on SQLite its
    lock), as a balancer that sends no more events while this says so would
    otherwise never let an append tell that the database is back."""
    failing_since = runtime.writer.failing_since
    if failing_since is None:
        return None
    try:
        with runtime.engine.begin() as conn:
            conn.execute(select(1))
    except SQLAlchemyError:
        return failing_since
    runtime.writer.failing_since = None
    return None


def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    # The backlog as it is now, whoever applies it (another process may): counted
    # here, not by the applier, which knows only what it took.
    try:
        with runtime.reader.connect() as conn:
            APPLY_PENDING.set(pending_count(conn))
    except Exception as error:
        log.error("counting the pending events failed", error=str(error))
        APPLY_PENDING.set(float("nan"))  # (unknown, not the count it last had)
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
