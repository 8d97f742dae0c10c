"""Turn domain errors into JSON responses: the only place statuses are chosen."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from winback.errors import RateLimited, WinbackError, json_pointer
from winback.web.responses import JSONBody


async def winback_error_response(_request: Request, error: Exception) -> JSONBody:
    assert isinstance(error, WinbackError)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
    return JSONBody({"error": error.to_dict()}, status_code=error.status, headers=headers)


async def validation_error_response(_request: Request, error: Exception) -> JSONBody:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0]
    location = tuple(first.get("loc", ()))
    body = {
        "code": "invalid_request",
        "reason": str(first.get("msg")),
        "pointer": json_pointer(location[1:]) if len(location) > 1 else "",
    }
    if location and location[0] in ("query", "path", "header"):
        body["parameter"] = str(location[-1])
    return JSONBody({"error": body}, status_code=400)
