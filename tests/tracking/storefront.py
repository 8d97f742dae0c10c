"""A store's own site for the browser tests: its pages on another origin than winback's.

``Storefront`` serves pages (and a slow image that holds a page's load event
back); ``SlowLink`` stands between the pages and winback and delays every
request to the collector, as a slow network or a busy collector would.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.loopback import LoopbackServer

TINY_GIF = base64.b64decode("R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}
# The relay asks winback for plain bytes, and passes them on as they are.
RELAY_DROPS = HOP_HEADERS | {"accept-encoding", "content-encoding"}


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], **state: Any) -> Iterator[str]:
    """Serve ``handler`` on a loopback port in a thread; yields the base URL."""
    server = LoopbackServer(("127.0.0.1", 0), handler)
    for name, value in state.items():
        setattr(server, name, value)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Pages(_Quiet):
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        pages: dict[str, str] = self.server.pages  # type: ignore[attr-defined]
        if url.path == "/favicon.ico":
            self.answer(200, {"Content-Type": "image/gif"}, TINY_GIF)
        elif url.path == "/slow.gif":
            time.sleep(float(parse_qs(url.query)["seconds"][0]))
            self.answer(200, {"Content-Type": "image/gif"}, TINY_GIF)
        elif url.path in pages:
            self.answer(200, {"Content-Type": "text/html; charset=utf-8"}, pages[url.path].encode())
        else:
            self.answer(404, {"Content-Type": "text/plain"}, b"not found")


class Storefront:
    """The store's site: add a page, get its URL."""

    def __init__(self, base_url: str, pages: dict[str, str]) -> None:
        self.base_url = base_url
        self._pages = pages

    def add(self, html: str, name: str = "page") -> str:
        path = f"/{name}-{secrets.token_hex(4)}"
        self._pages[path] = html
        return self.base_url + path


@contextmanager
def storefront() -> Iterator[Storefront]:
    pages: dict[str, str] = {}
    with serving(_Pages, pages=pages) as base_url:
        yield Storefront(base_url, pages)


class _Relay(_Quiet):
    """Forwards to winback; requests to the collector wait ``delay`` seconds first."""

    def relay(self) -> None:
        target: str = self.server.target  # type: ignore[attr-defined]
        delay: float = self.server.delay  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/collect/"):
            time.sleep(delay)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in RELAY_DROPS}
        headers["accept-encoding"] = "identity"
        response = httpx.request(self.command, target + self.path, headers=headers, content=body)
        kept = {k: v for k, v in response.headers.items() if k.lower() not in RELAY_DROPS}
        self.answer(response.status_code, kept, response.content)

    def do_GET(self) -> None:
        self.relay()

    def do_POST(self) -> None:
        self.relay()

    def do_OPTIONS(self) -> None:
        self.relay()


@contextmanager
def slow_link(target: str, delay: float) -> Iterator[str]:
    """A base URL that reaches ``target`` with every collector request ``delay`` s late."""
    with serving(_Relay, target=target, delay=delay) as base_url:
        yield base_url


def store_page(snippet: str, title: str, pushes: str = "", body: str = "") -> str:
    """A page as a store writes it: the snippet, then the page's own commands.

    ``__queuedBeforeLoad`` records whether the commands were queued before the
    script had loaded (the script replaces ``_rmData.push`` when it starts).
    """
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title>\n{snippet}"
        f"<script>{pushes}\nwindow.__queuedBeforeLoad = "
        "_rmData.push === Array.prototype.push;</script>"
        f"</head><body>{body}</body></html>"
    )
