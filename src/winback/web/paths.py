"""Ids the store chose, in a URL path: one that holds a ``/`` is sent as ``%2F``.

The server decodes the path before routing, so ``/products/cat%2Fshirt-1`` would
reach the router as two segments. ``KeepEncodedSlashes`` routes on the path as the
client sent it instead: each segment is decoded on its own and only its ``%`` and
``/`` are escaped again, so an id stays one segment and ``/customers/x%2Factivity``
is customer ``x/activity``, not the activity of ``x``. A route names such an id
``{name:external_id}``; the convertor undoes the escaping.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from starlette.convertors import Convertor, register_url_convertor
from starlette.types import ASGIApp, Receive, Scope, Send


def _escape(segment: str) -> str:
    return segment.replace("%", "%25").replace("/", "%2F")


def routing_path(path: str, raw_path: bytes | None) -> str:
    """``path`` with each segment's own ``%`` and ``/`` escaped, as the client sent it."""
    raw = raw_path.decode("ascii", errors="replace") if raw_path is not None else None
    if "%" not in path and (raw is None or "%" not in raw):
        return path
    if raw is None or unquote(raw) != path:
        # Nothing tells the segments' own slashes apart: keep the server's segments.
        return "/".join(_escape(segment) for segment in path.split("/"))
    return "/".join(_escape(unquote(segment)) for segment in raw.split("/"))


class KeepEncodedSlashes:
    """ASGI middleware: the router sees ``routing_path`` instead of the decoded path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = dict(scope)
            scope["path"] = routing_path(scope["path"], scope.get("raw_path"))
        await self.app(scope, receive, send)


class ExternalIdConvertor(Convertor[str]):
    """An id the store chose: one escaped segment, or (sent unencoded) several. It never
    starts or ends with a slash, so ``/products/7/`` still redirects to ``/products/7``."""

    # (any character between, line breaks too: an id may hold them, sent as %0A)
    regex = r"[^/](?:(?s:.*)[^/])?"

    def convert(self, value: str) -> str:
        # (as the intake keeps an id: " 42\t" was stored as "42", so it is found by it)
        return unquote(value).strip()

    def to_string(self, value: str) -> str:
        return quote(value, safe="")


register_url_convertor("external_id", ExternalIdConvertor())
