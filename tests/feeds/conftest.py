"""Feed sync fixtures: the store's feed host on 127.0.0.1, and winback allowed to reach it.

The feed host is a real HTTP server that serves whatever a test puts at a
path, with an ETag and a Last-Modified, answering 304 to a matching
conditional GET, and remembers every request it received.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tests.conftest import LiveServer, StoreClient, open_store, serving, settings_for
from tests.loopback import LoopbackServer
from winback.config import Settings

OUTBOUND_TIMEOUT = 2.0
FINISHED = ("succeeded", "not_modified", "failed", "skipped")


@dataclass
class Page:
    body: bytes
    status: int = 200
    content_type: str = "text/csv"
    delay: float = 0.0  # seconds before the answer starts
    drip: float = 0.0  # seconds between the body's ten parts
    etag: str | None = None
    last_modified: str | None = "Wed, 21 Oct 2026 07:28:00 GMT"


@dataclass
class FeedHost:
    """What the store's web server serves, and the requests it received."""

    url: str
    pages: dict[str, Page] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def serve(self, body: bytes, *, path: str | None = None, **page: Any) -> str:
        """Put ``body`` at ``path`` (a fresh one by default); returns its URL."""
        path = path or f"/feeds/{secrets.token_hex(4)}"
        page.setdefault("etag", '"' + hashlib.sha256(body).hexdigest()[:16] + '"')
        self.pages[path] = Page(body, **page)
        return self.url + path

    def requests_to(self, url: str) -> list[dict[str, str]]:
        path = url.removeprefix(self.url)
        return [headers for seen, headers in self.requests if seen == path]


class _Handler(BaseHTTPRequestHandler):
    host: FeedHost

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.host.requests.append((self.path, headers))
        page = self.host.pages.get(self.path)
        if page is None:
            self._answer(404, b"not found", {"Content-Type": "text/plain"})
            return
        time.sleep(page.delay)
        validators = {"ETag": page.etag, "Last-Modified": page.last_modified}
        sent = {name: value for name, value in validators.items() if value}
        if page.etag and headers.get("if-none-match") == page.etag:
            self._answer(304, b"", sent)
            return
        headers = sent | {"Content-Type": page.content_type}
        self._answer(page.status, page.body, headers, drip=page.drip)

    def _answer(self, status: int, body: bytes, headers: dict[str, str], drip: float = 0) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        part = max(1, len(body) // 10) if drip else len(body) or 1
        for start in range(0, len(body), part):
            self.wfile.write(body[start : start + part])
            self.wfile.flush()
            time.sleep(drip)


@pytest.fixture(scope="session")
def feed_host() -> Iterator[FeedHost]:
    http = LoopbackServer(("127.0.0.1", 0), _Handler)
    host = FeedHost(f"http://127.0.0.1:{http.server_address[1]}")
    _Handler.host = host
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield host
    http.shutdown()


def feed_settings(database_url: str, data_dir: Path) -> Settings:
    """winback allowed to fetch from loopback (the feed host), with a short timeout."""
    return settings_for(
        database_url,
        data_dir,
        outbound_allow_private=True,
        outbound_timeout_seconds=OUTBOUND_TIMEOUT,
    )


@pytest.fixture(scope="session")
def feed_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with serving(feed_settings(database_url, tmp_path_factory.mktemp("feed-data"))) as live:
        yield live


class Shop(StoreClient):
    """A store on the feed server: its feed settings, syncs and products over the API."""

    def put_feed(self, url: str, **extra: Any) -> httpx.Response:
        return self.http.put(
            "/api/v1/feed", json={"url": url, **extra}, headers={"x-api-key": self.api_key}
        )

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"x-api-key": self.api_key} | kwargs.pop("headers", {})
        return self.http.post(path, headers=headers, **kwargs)

    def sync(self) -> dict[str, Any]:
        """POST /api/v1/feed/sync and wait for the run to finish."""
        response = self.post("/api/v1/feed/sync")
        assert response.status_code == 202, response.text
        return self.wait_for_run(response.json()["run"]["id"])

    def upload(self, body: bytes) -> dict[str, Any]:
        response = self.post("/api/v1/feed/upload", content=body)
        assert response.status_code == 202, response.text
        return self.wait_for_run(response.json()["run"]["id"])

    def wait_for_run(self, run_id: int, timeout: float = 30) -> dict[str, Any]:
        return self.wait_finished(f"/api/v1/feed/runs/{run_id}", "run", timeout, FINISHED)

    def product(self, product_id: str) -> dict[str, Any]:
        return self.read(f"/api/v1/products/{product_id}")


def new_shop(server: LiveServer, engine: Engine) -> Shop:
    return open_store(Shop, server, engine, "Feed store")


@pytest.fixture
def shop(feed_server: LiveServer, engine: Engine) -> Iterator[Shop]:
    client = new_shop(feed_server, engine)
    yield client
    client.http.close()
