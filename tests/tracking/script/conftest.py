"""Fixtures for the tracking script: a local site (headless Chromium is tests/tracking's).

The site is a real HTTP server on 127.0.0.1 that serves the test pages and
`track.js` and stands in for the collector: it records every
`POST /collect/{storeId}` and can be told to answer slowly for one store.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page
from tests.loopback import LoopbackServer

SCRIPT = Path(__file__).resolve().parents[3] / "src/winback/tracking/static/track.js"
BARRIER = "test/barrier"

TINY_GIF = base64.b64decode("R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==")

# Installed before any page script, so errors thrown by track.js while loading are caught too.
ERROR_TRAP = """
window.__testErrors = [];
window.onerror = function (message) { window.__testErrors.push(String(message)); };
window.addEventListener('unhandledrejection', function (e) {
  window.__testErrors.push('unhandled rejection: ' + e.reason);
});
"""


@dataclass(frozen=True)
class Collected:
    """One request the collector received."""

    store: str
    method: str
    content_type: str
    body: str
    host: str
    origin: str | None
    cookie: str | None
    received_at: float

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.payload["events"]  # type: ignore[no-any-return]

    @property
    def event_types(self) -> list[str]:
        return [event["type"] for event in self.events]


@dataclass
class Site:
    """What the local server serves and what it has received, shared with its threads."""

    base_url: str = ""
    pages: dict[str, str] = field(default_factory=dict)
    slow_stores: dict[str, float] = field(default_factory=dict)
    _received: list[Collected] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def other_origin(self) -> str:
        """The same server under another host name, so pages can be cross-origin to it."""
        return self.base_url.replace("127.0.0.1", "localhost")

    def add_page(self, html: str) -> str:
        path = f"/pages/{secrets.token_hex(6)}"
        self.pages[path] = html
        return path

    def reserve_page(self) -> str:
        """A path for a page that will be added later, so other pages can link to it."""
        return f"/pages/{secrets.token_hex(6)}"

    def record(self, request: Collected) -> None:
        with self._changed:
            self._received.append(request)
            self._changed.notify_all()

    def received(self, store: str) -> list[Collected]:
        with self._changed:
            return [request for request in self._received if request.store == store]

    def wait_for(self, store: str, count: int, timeout: float = 5.0) -> list[Collected]:
        """The requests for `store`, once there are at least `count` of them."""
        return self._wait(store, lambda found: len(found) >= count, f"{count} requests", timeout)

    def wait_for_event(self, store: str, event_type: str, timeout: float = 5.0) -> list[Collected]:
        """The requests for `store`, once one of them carries an event of `event_type`."""
        return self._wait(
            store,
            lambda found: any(event_type in request.event_types for request in found),
            f"an event {event_type!r}",
            timeout,
        )

    def _wait(
        self,
        store: str,
        done: Callable[[list[Collected]], bool],
        expected: str,
        timeout: float,
    ) -> list[Collected]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not done(found := self.received(store)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {expected} for {store}, got {found}")
                self._changed.wait(left)
            return found


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        site = self.server.site
        if path == "/track.js":
            self._answer(200, "text/javascript; charset=utf-8", SCRIPT.read_bytes())
        elif path == "/slow.gif":
            # Holds the page's load event back, so the script runs and sends before it.
            time.sleep(float(parse_qs(urlsplit(self.path).query)["seconds"][0]))
            self._answer(200, "image/gif", TINY_GIF)
        elif path in site.pages:
            self._answer(200, "text/html; charset=utf-8", site.pages[path].encode())
        else:
            self._answer(404, "text/plain", b"not found")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        found = re.fullmatch(r"/collect/([^/?]+)", urlsplit(self.path).path)
        if not found:
            self._answer(404, "text/plain", b"not found")
            return
        store = found.group(1)
        site = self.server.site
        site.record(
            Collected(
                store=store,
                method=self.command,
                content_type=self.headers.get("Content-Type", ""),
                body=body.decode(),
                host=self.headers.get("Host", ""),
                origin=self.headers.get("Origin"),
                cookie=self.headers.get("Cookie"),
                received_at=time.monotonic(),
            )
        )
        time.sleep(site.slow_stores.get(store, 0))
        self._answer(204, "text/plain", b"")

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(LoopbackServer):
    def __init__(self, site: Site) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.site = site


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    site = Site()
    server = _Server(site)
    site.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


class StorePage:
    """One browser tab on the local site, with the store snippet and what it threw."""

    def __init__(self, page: Page, site: Site) -> None:
        self.page = page
        self.site = site
        self._thrown: list[str] = []
        page.on("pageerror", lambda error: self._thrown.append(str(error)))
        page.add_init_script(ERROR_TRAP)

    def open(
        self,
        store: str | None,
        commands: str = "",
        *,
        script_src: str = "/track.js",
        copies: int = 1,
        base: str | None = None,
        body: str = "<p>products</p>",
    ) -> str:
        """Load a page that queues `commands` and then loads the script; returns its URL."""
        key = f"_rmData.push(['setStoreKey', {json.dumps(store)}]);" if store else ""
        tags = f'<script async src="{script_src}"></script>' * copies
        return self.open_html(
            "<!doctype html><html><head><meta charset='utf-8'><title>A store page</title>"
            f"<script>var _rmData = _rmData || []; {key} {commands}</script>{tags}"
            f"</head><body>{body}</body></html>",
            base=base,
        )

    def open_html(self, html: str, base: str | None = None) -> str:
        """Load `html` from the site and wait for its load event; returns its URL."""
        url = (base or self.site.base_url) + self.site.add_page(html)
        self.page.goto(url, wait_until="load")
        return url

    def wait_for_script(self) -> None:
        self.page.wait_for_function("() => _rmData.push !== Array.prototype.push")

    def push(self, *commands: str) -> list[Any]:
        """Push commands in one task of their own, once the script has loaded.

        Returns what each `push` call returned.
        """
        self.wait_for_script()
        calls = ", ".join(f"_rmData.push({command})" for command in commands)
        return self.page.evaluate(f"() => [{calls}]")  # type: ignore[no-any-return]

    def settle(self, store: str) -> list[Collected]:
        """Every request the page has sent for `store`, once all of them have arrived.

        Pushes a barrier event in a later task and waits for its request; anything
        the page sent before it has arrived by then. The barrier's request is left out.
        """
        self.page.wait_for_timeout(100)
        self.push(f"['track', '{BARRIER}', {{}}]")
        found = self.site.wait_for_event(store, BARRIER)
        return [request for request in found if BARRIER not in request.event_types]

    def errors(self) -> list[str]:
        """Everything thrown into the page: uncaught errors and unhandled rejections."""
        thrown_in_page: list[str] = self.page.evaluate("window.__testErrors")
        return self._thrown + thrown_in_page


@pytest.fixture
def shop(browser: Browser, site: Site) -> Iterator[StorePage]:
    """A tab in a fresh browser context, so every test starts without cookies."""
    context = browser.new_context()
    yield StorePage(context.new_page(), site)
    context.close()


@pytest.fixture
def store_id() -> str:
    return f"store-{secrets.token_hex(4)}"
