"""Turn domain errors into JSON responses: the only place statuses are chosen."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match

from winback.errors import RateLimited, Unauthorized, WinbackError, json_pointer
from winback.reasons import validation_reason
from winback.web.heads import SENT_METHOD
from winback.web.responses import JSONBody

log = structlog.get_logger(__name__)

# How long a sender should wait before trying again when the database is out of reach.
RETRY_AFTER_UNAVAILABLE_SECONDS = 5


async def winback_error_response(_request: Request, error: Exception) -> JSONBody:
    assert isinstance(error, WinbackError)
    headers = None
    if isinstance(error, RateLimited):
        headers = {"Retry-After": str(error.retry_after)}
    elif isinstance(error, Unauthorized):
        # (HTTP wants a 401 to name a way in; the reason names the headers winback reads)
        headers = {"WWW-Authenticate": 'Bearer realm="winback"'}
    return JSONBody({"error": error.to_dict()}, status_code=error.status, headers=headers)


async def validation_error_response(_request: Request, error: Exception) -> JSONBody:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0]
    location = tuple(first.get("loc", ()))
    reason, pointer = _reason_and_pointer(first, location)
    body = {"code": "invalid_request", "reason": reason, "pointer": pointer}
    if location and location[0] in ("query", "path", "header"):
        body["parameter"] = str(location[-1])
    return JSONBody({"error": body}, status_code=400)


def _reason_and_pointer(detail: Mapping[str, Any], location: tuple[Any, ...]) -> tuple[str, str]:
    if detail["type"] == "json_invalid":
        # Its location is where the parser stopped (a character offset), not a field.
        said = detail.get("ctx", {}).get("error")
        return ("the body is not valid JSON" + (f": {said}" if said else ""), "")
    pointer = json_pointer(location[1:]) if len(location) > 1 else ""
    return validation_reason(detail), pointer


async def http_error_response(request: Request, error: Exception) -> Response:
    """The router's own answers (no such route, method not allowed) in winback's shape,
    so a client reads every error the same way; a read of a route's path with a slash
    too many at its end is redirected to the route."""
    assert isinstance(error, HTTPException)
    status = HTTPStatus(error.status_code)
    own = error.detail == status.phrase  # (the router's, which says no more than that)
    meant = _route_meant(request) if own and status == HTTPStatus.NOT_FOUND else None
    if meant is not None and request.method in _REDIRECTED_METHODS:
        return RedirectResponse(URL(scope={**request.scope, "path": meant}))
    headers = error.headers
    if own and status == HTTPStatus.METHOD_NOT_ALLOWED:
        # (the router names the methods of the first route on the path, where several
        # routes may share it: one takes GET, another POST)
        headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    code = status.phrase.lower().replace(" ", "_").replace("-", "_")
    reason = _reason(request, error, headers or {}, meant) if own else error.detail
    return JSONBody(
        {"error": {"code": code, "reason": reason}}, status_code=error.status_code, headers=headers
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at the request's path (HEAD wherever GET is)."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if method != "HEAD"
        and any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]
    return [*allowed[:1], "HEAD", *allowed[1:]] if "GET" in allowed else allowed


# A path with a slash too many at its end is redirected to the route it means (the
# app's router does not do it) only for a read: a redirected POST loses its body with
# many clients, so it is answered 404 naming the route, and its sender fixes its URL.
_REDIRECTED_METHODS = frozenset({"GET", "HEAD"})


def _route_meant(request: Request) -> str | None:
    """The path without its trailing slashes, if a route takes the request's method there."""
    path: str = request.scope["path"]
    trimmed = path.rstrip("/")
    if not trimmed or trimmed == path:
        return None
    scope = {**request.scope, "path": trimmed}
    if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
        return trimmed
    return None


def _reason(
    request: Request, error: HTTPException, headers: Mapping[str, str], meant: str | None
) -> str:
    method = request.scope.get(SENT_METHOD, request.method)
    where = f"{method} {request.url.path}"
    if error.status_code == HTTPStatus.NOT_FOUND:
        if meant is not None:
            return f"no such route: {where} (without the trailing slash, {meant} is one)"
        return f"no such route: {where}"
    if error.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        return f"method not allowed: {where} (allowed: {headers.get('Allow', '')})"
    return str(error.detail)


async def database_error_response(request: Request, error: Exception) -> JSONBody:
    """The database out of reach (locked past its timeout, or its server gone): a
    temporary failure, so 503 and when to come back. Nothing was stored, and the
    contract tells a sender to send it again."""
    assert isinstance(error, OperationalError)
    log.error(
        "database_unavailable",
        route=f"{request.method} {request.url.path}",
        error=str(error.orig),
    )
    return JSONBody(
        {
            "error": {
                "code": "service_unavailable",
                "reason": "the database cannot be reached right now; nothing was"
                " changed, send the request again",
            }
        },
        status_code=HTTPStatus.SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_SECONDS)},
    )


async def server_error_response(request: Request, _error: Exception) -> JSONBody:
    """Anything else that failed inside winback: a 500 in the shape of every other
    error (the server logs the error itself).

    The HTTP server closes the connection after it (the error goes on to it, to be
    logged): the answer says so, or a client would send its next request down a
    connection about to close, and see it reset.
    """
    where = f"{request.method} {request.url.path}"
    return JSONBody(
        {
            "error": {
                "code": "internal_error",
                "reason": f"winback failed to answer {where}; the cause is in its log",
            }
        },
        status_code=HTTPStatus.INTERNAL_SERVER_ERROR,
        headers={"Connection": "close"},
    )
