"""Errors that carry a code, the field they concern and the reason.

They are plain exceptions here; only the HTTP layer turns them into responses.
"""

from __future__ import annotations

from typing import Any


class WinbackError(Exception):
    """Base class: ``code`` is stable and machine-readable, ``reason`` is for humans."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        reason: str,
        *,
        pointer: str | None = None,
        code: str | None = None,
        parameter: str | None = None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.pointer = pointer
        self.parameter = parameter  # the query parameter at fault, if one is
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "reason": self.reason}
        if self.pointer is not None:
            body["pointer"] = self.pointer
        if self.parameter is not None:
            body["parameter"] = self.parameter
        return body


class InvalidPayload(WinbackError):
    """The body is not what the contract asks for (status 400)."""

    status = 400
    code = "invalid_payload"


class Unauthorized(WinbackError):
    status = 401
    code = "unauthorized"


class NotFound(WinbackError):
    status = 404
    code = "not_found"


class UnsupportedMediaType(WinbackError):
    status = 415
    code = "unsupported_media_type"


class PayloadTooLarge(WinbackError):
    status = 413
    code = "payload_too_large"


class RateLimited(WinbackError):
    status = 429
    code = "rate_limited"

    def __init__(self, reason: str, *, retry_after: int):
        super().__init__(reason)
        self.retry_after = retry_after


class Conflict(WinbackError):
    status = 409
    code = "conflict"


def json_pointer(location: tuple[str | int, ...]) -> str:
    """Turn a path such as ``("line_items", 0, "price")`` into ``/line_items/0/price``."""
    parts = (str(part).replace("~", "~0").replace("/", "~1") for part in location)
    return "".join("/" + part for part in parts)
