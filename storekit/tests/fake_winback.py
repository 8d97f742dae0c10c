"""A real local stand-in for winback's webhook intake, and helpers for outbox tests."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from winback_storekit import OutboxSettings


@dataclass(frozen=True)
class Reply:
    """How the fake winback answers one request."""

    status: int = 200
    body: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    """One request the fake winback got, with the status it answered."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float
    status: int


class FakeWinback:
    """A threaded HTTP server on 127.0.0.1 that plays winback's webhook intake.

    Replies come from `queue` first, then from `responder` (default: 200).
    """

    def __init__(self, port: int = 0) -> None:
        self.received: list[Received] = []
        self.replies: deque[Reply] = deque()
        self.responder: Callable[[str, dict[str, str], dict[str, Any]], Reply] = (
            lambda path, headers, body: Reply()
        )
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def requests(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def accepted(self) -> list[Received]:
        return [request for request in self.requests() if request.status == 200]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _reply_for(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Reply:
        with self._lock:
            if self.replies:
                return self.replies.popleft()
        return self.responder(path, headers, body)

    def _record(self, request: Received) -> None:
        with self._lock:
            self.received.append(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                body = json.loads(raw)
                reply = fake._reply_for(self.path, headers, body)
                fake._record(Received(self.path, headers, body, time.time(), reply.status))
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll until `condition` holds; fail the test if it does not within `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def fast_settings(base_url: str, path: Path, **overrides: Any) -> OutboxSettings:
    """Outbox settings with tiny timeouts and back-off, so retries take milliseconds."""
    values: dict[str, Any] = {
        "base_url": base_url,
        "store_id": "store-1",
        "api_key": "secret-key",
        "path": path,
        "domain": "shop.example",
        "timeout": 2.0,
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "poll_interval": 0.05,
        "horizon": 60.0,
        "workers": 2,
    } | overrides
    return OutboxSettings(**values)
