"""HEAD wherever GET is taken, as HTTP asks of every general-purpose server.

The framework's API routes take only the methods they name, so a HEAD of a read
(an uptime probe, a link checker, ``curl -I``) would be 405. A HEAD is answered
as the GET is; the server sends its headers and drops the body, since it reads
the request's method from its own scope, not the one passed on here.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

# Where the method a client sent is kept when HEAD is passed on as GET.
SENT_METHOD = "winback.sent_method"


class HeadAsGet:
    """ASGI middleware: a HEAD request is routed as a GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET", SENT_METHOD: "HEAD"}
        await self.app(scope, receive, send)
