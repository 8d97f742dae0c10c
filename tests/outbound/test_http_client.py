"""The outgoing HTTP client against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pytest

from tests.loopback import LoopbackServer
from winback.outbound import (
    AddressRefused,
    OutboundClient,
    ResponseTooLarge,
    RetryableError,
    TerminalError,
    Validators,
)

FEED = b"id,title,link,price\nP1,Mug,https://s/mug,9.90 USD\n"
ETAG = '"feed-v1"'
LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"


@dataclass
class Seen:
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


class Handler(BaseHTTPRequestHandler):
    seen: Seen

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.seen.requests.append(("GET", self.path, dict(self.headers)))
        if self.path == "/feed.csv":
            self._feed()
        elif self.path.startswith("/hop/"):
            left = int(self.path.rsplit("/", 1)[1])
            self._redirect("/feed.csv" if left == 0 else f"/hop/{left - 1}")
        elif self.path == "/slow":
            time.sleep(1.5)
            self._send(200, b"late")
        elif self.path.startswith("/status/"):
            self._send(int(self.path.rsplit("/", 1)[1]), b"", {"Retry-After": "7"})
        elif self.path == "/declared-big":
            self._send(200, b"x" * 2000)
        elif self.path == "/chunked-big":
            self._chunked([b"x" * 600] * 4)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.requests.append(("POST", self.path, dict(self.headers)))
        self._send(200, b'{"is_success": true, "echo": ' + body + b"}")

    def _feed(self) -> None:
        if self.headers.get("If-None-Match") == ETAG:
            self._send(304, b"", {"ETag": ETAG})
        else:
            self._send(200, FEED, {"ETag": ETAG, "Last-Modified": LAST_MODIFIED})

    def _redirect(self, location: str) -> None:
        self._send(302, b"", {"Location": location})

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _chunked(self, chunks: list[bytes]) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")


@pytest.fixture
def server() -> Iterator[tuple[str, Seen]]:
    seen = Seen()
    handler = type("BoundHandler", (Handler,), {"seen": seen})
    httpd = LoopbackServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def client() -> Iterator[OutboundClient]:
    with OutboundClient(allow_private=True, timeout=0.5, max_bytes=1000) as made:
        yield made


def test_a_second_fetch_with_the_first_validators_is_not_modified(
    server: tuple[str, Seen], client: OutboundClient
) -> None:
    base, seen = server

    with client.download(f"{base}/feed.csv") as first:
        body = b"".join(first.chunks())
        validators = first.validators
    with client.download(f"{base}/feed.csv", previous=validators) as second:
        again = b"".join(second.chunks())

    assert (first.status, first.not_modified, body) == (200, False, FEED)
    assert validators == Validators(etag=ETAG, last_modified=LAST_MODIFIED)
    assert (second.status, second.not_modified, again) == (304, True, b"")
    sent = seen.requests[1][2]
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == (ETAG, LAST_MODIFIED)
    assert "If-None-Match" not in seen.requests[0][2]


def test_redirects_are_followed_up_to_the_limit(
    server: tuple[str, Seen], client: OutboundClient
) -> None:
    base, _ = server

    with client.download(f"{base}/hop/4") as download:
        body = b"".join(download.chunks())

    assert (download.url, body) == (f"{base}/feed.csv", FEED)


def test_one_redirect_too_many_is_a_terminal_error(
    server: tuple[str, Seen], client: OutboundClient
) -> None:
    base, seen = server

    with pytest.raises(TerminalError) as failed, client.download(f"{base}/hop/5"):
        pass

    assert failed.value.reason.startswith("too many redirects")
    assert failed.value.retryable is False
    assert len(seen.requests) == 6


def test_a_timeout_is_a_retryable_error(server: tuple[str, Seen], client: OutboundClient) -> None:
    base, _ = server

    with pytest.raises(RetryableError) as failed, client.download(f"{base}/slow"):
        pass

    assert failed.value.reason.startswith("timed out")
    assert failed.value.retryable is True


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_5xx_or_429_is_a_retryable_error(
    server: tuple[str, Seen], client: OutboundClient, status: int
) -> None:
    base, _ = server

    with pytest.raises(RetryableError) as failed, client.download(f"{base}/status/{status}"):
        pass

    assert (failed.value.status, failed.value.retry_after) == (status, 7.0)


@pytest.mark.parametrize("status", [404, 403, 410])
def test_a_4xx_is_a_terminal_error(
    server: tuple[str, Seen], client: OutboundClient, status: int
) -> None:
    base, _ = server

    with pytest.raises(TerminalError) as failed, client.download(f"{base}/status/{status}"):
        pass

    assert failed.value.status == status
    assert not isinstance(failed.value, RetryableError)


def test_loopback_is_refused_unless_private_addresses_are_allowed(
    server: tuple[str, Seen],
) -> None:
    base, seen = server

    with OutboundClient(allow_private=False) as guarded:
        with pytest.raises(AddressRefused) as refused, guarded.download(f"{base}/feed.csv"):
            pass
        with (
            pytest.raises(AddressRefused),
            guarded.download(base.replace("127.0.0.1", "localhost")),
        ):
            pass

    assert refused.value.reason.startswith("127.0.0.1 resolves to 127.0.0.1, a loopback")
    assert seen.requests == []


def test_a_host_name_is_connected_to_at_its_checked_address(server: tuple[str, Seen]) -> None:
    base, seen = server
    url = base.replace("127.0.0.1", "localhost") + "/feed.csv"

    with OutboundClient(allow_private=True) as open_client, open_client.download(url) as download:
        body = b"".join(download.chunks())

    assert body == FEED
    assert seen.requests[0][2]["Host"] == url.split("/")[2]


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    server: tuple[str, Seen], client: OutboundClient
) -> None:
    base, _ = server

    with pytest.raises(ResponseTooLarge) as refused, client.download(f"{base}/declared-big"):
        pass

    assert refused.value.reason == "the response declares 2000 bytes, more than the 1000 allowed"


def test_a_stream_over_the_limit_stops_while_reading(
    server: tuple[str, Seen], client: OutboundClient
) -> None:
    base, _ = server

    with client.download(f"{base}/chunked-big") as download, pytest.raises(ResponseTooLarge):
        b"".join(download.chunks())


def test_a_request_returns_the_whole_reply(
    server: tuple[str, Seen], client: OutboundClient
) -> None:
    base, seen = server

    reply = client.request("POST", f"{base}/discounts", json={"code": "X1"}, params={"k": "v"})

    assert (reply.status, reply.json()) == (200, {"is_success": True, "echo": {"code": "X1"}})
    assert seen.requests[0][:2] == ("POST", "/discounts?k=v")
    assert seen.requests[0][2]["User-Agent"] == "winback"


def test_a_refused_connection_is_a_retryable_error(client: OutboundClient) -> None:
    with pytest.raises(RetryableError, match="network error"):
        client.request("GET", "http://127.0.0.1:9/")


def test_a_url_that_is_not_http_is_a_terminal_error(client: OutboundClient) -> None:
    with pytest.raises(TerminalError) as failed:
        client.request("GET", "file:///etc/passwd")

    assert not isinstance(failed.value, RetryableError)
