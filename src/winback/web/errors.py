"""Turn domain errors into JSON responses: the only place statuses are chosen."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from winback.errors import RateLimited, WinbackError, json_pointer, validation_reason
from winback.web.responses import JSONBody


async def winback_error_response(_request: Request, error: Exception) -> JSONBody:
    assert isinstance(error, WinbackError)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
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


async def http_error_response(request: Request, error: Exception) -> JSONBody:
    """The router's own answers (no such route, method not allowed) in winback's shape,
    so a client reads every error the same way."""
    assert isinstance(error, HTTPException)
    status = HTTPStatus(error.status_code)
    code = status.phrase.lower().replace(" ", "_").replace("-", "_")
    reason = error.detail if error.detail != status.phrase else _reason(request, error)
    return JSONBody(
        {"error": {"code": code, "reason": reason}},
        status_code=error.status_code,
        headers=error.headers,
    )


def _reason(request: Request, error: HTTPException) -> str:
    where = f"{request.method} {request.url.path}"
    if error.status_code == HTTPStatus.NOT_FOUND:
        return f"no such route: {where}"
    if error.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        allowed = (error.headers or {}).get("Allow", "")
        return f"method not allowed: {where} (allowed: {allowed})"
    return str(error.detail)
