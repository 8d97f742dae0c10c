"""A minimal keep-alive HTTP/1.1 client for the load generator.

One request at a time per connection, requests pre-encoded as bytes, responses
parsed by httptools (C). General clients (httpx, aiohttp) spend more CPU per
request than the server under test would, and the load generator shares this
machine's two cores with it, so it has to be as cheap as possible.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import httptools

# Called with (status, body); status 0 means the connection failed or closed.
Completion = Callable[[int, bytes], None]


def encode_request(
    method: str, path: str, headers: dict[str, str], body: bytes = b"", host: str = "127.0.0.1"
) -> bytes:
    """The request as it goes on the wire, with Host and Content-Length."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class _Response:
    status: int = 0
    chunks: list[bytes] = field(default_factory=list)


class HttpConnection(asyncio.Protocol):
    """A connection that carries one request at a time and reports each response."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._response = _Response()
        self._done: Completion | None = None
        self.closed = asyncio.get_running_loop().create_future()

    @property
    def usable(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self._transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if not self.closed.done():
            self.closed.set_result(None)
        self._finish(0, b"")

    def send(self, request: bytes, done: Completion) -> None:
        """Write ``request``; ``done`` is called once with the response (or status 0)."""
        if self._transport is None or self._transport.is_closing():
            done(0, b"")
            return
        self._done = done
        self._response = _Response()
        self._transport.write(request)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self.close()

    # httptools callbacks
    def on_status(self, status: bytes) -> None:
        self._response.status = self._parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self._response.chunks.append(body)

    def on_message_complete(self) -> None:
        self._finish(self._response.status, b"".join(self._response.chunks))

    def _finish(self, status: int, body: bytes) -> None:
        done, self._done = self._done, None
        if done is not None:
            done(status, body)


async def connect(host: str, port: int) -> HttpConnection:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(HttpConnection, host, port)
    return protocol


async def fetch(conn: HttpConnection, request: bytes, wait_seconds: float) -> tuple[int, bytes]:
    """Send one request and wait for its response (status 0 on failure or timeout)."""
    future: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()

    def done(status: int, body: bytes) -> None:
        if not future.done():
            future.set_result((status, body))

    conn.send(request, done)
    try:
        return await asyncio.wait_for(future, wait_seconds)
    except TimeoutError:
        conn.close()
        return 0, b""
