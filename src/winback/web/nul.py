"""Requests whose path or query holds a NUL character, answered before routing.

Nothing winback stores can hold a NUL: bodies with one are refused, and
PostgreSQL's text cannot. So no id or filter with one can match anything, and
looked up on PostgreSQL the driver refuses the parameter: the request would
fail with a 500 instead of the 404 or 400 it deserves.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from winback.errors import InvalidPayload, NotFound, WinbackError
from winback.web.responses import JSONBody


def nul_error(path: str, query: bytes) -> WinbackError | None:
    """What is wrong with a request whose (decoded) path or query holds a NUL, if any."""
    if "\x00" in path:
        return NotFound("nothing here has a NUL character (%00) in its id")
    if b"%00" not in query and b"\x00" not in query:
        return None
    webhook = path == WEBHOOKS or path.startswith(WEBHOOKS + "/")
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" not in name and "\x00" not in value:
            continue
        if name == "storeId":  # as the other form of the webhook URL, in its path
            return NotFound("unknown store: a store id has no NUL character (%00)")
        if webhook:
            continue  # (a webhook reads no other parameter: one a sender adds is no fault)
        shown = name.replace(chr(0), "")
        return InvalidPayload(
            f"the query parameter {shown!r} must not contain the NUL character (%00)",
            code="nul_character",
            parameter=shown,
        )
    return None


# The webhook routes (intake/http.py) read one query parameter, storeId.
WEBHOOKS = "/webhooks"


class RefuseNul:
    """ASGI middleware: a request ``nul_error`` finds fault with gets its error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            error = nul_error(scope["path"], scope.get("query_string", b""))
            if error is not None:
                response = JSONBody({"error": error.to_dict()}, status_code=error.status)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
