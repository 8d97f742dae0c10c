"""The one outgoing HTTP client of winback: feeds, coupon calls and outbound events.

Every call has timeouts, follows at most a few redirects, reaches only public
addresses unless ``allow_private`` is set (see ``addresses``), reads at most
``max_bytes`` of a response, and fails with either a ``RetryableError`` or a
``TerminalError`` so callers can tell "try later" from "give up".
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from winback.config import Settings
from winback.outbound.addresses import GuardedTransport, Resolver, system_resolver
from winback.outbound.errors import (
    OutboundError,
    ResponseTooLarge,
    RetryableError,
    TerminalError,
)

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 1024 * 1024
RETRYABLE_STATUSES = {408, 425, 429}


@dataclass(frozen=True, slots=True)
class Validators:
    """What a server said identifies this version of a resource, for the next conditional GET."""

    etag: str | None = None
    last_modified: str | None = None

    def request_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True, slots=True)
class Reply:
    """A whole (size-capped) response to a call such as a coupon request."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


class Download:
    """A streamed response: ``not_modified`` after a 304, otherwise ``chunks()`` to read."""

    def __init__(self, response: httpx.Response, max_bytes: int, deadline: float):
        self.url = str(response.url)
        self.status = response.status_code
        self.not_modified = response.status_code == 304
        self.validators = Validators(
            etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified")
        )
        self._response = response
        self._max_bytes = max_bytes
        self._deadline = deadline

    def chunks(self) -> Iterator[bytes]:
        """The body as it arrives (content-encoding undone), stopped at the size and time caps."""
        received = 0
        with _translated(self.url):
            for chunk in self._response.iter_bytes():
                received += len(chunk)
                if received > self._max_bytes:
                    raise ResponseTooLarge(f"more than {self._max_bytes} bytes", url=self.url)
                if time.monotonic() > self._deadline:
                    raise RetryableError("the download took too long", url=self.url)
                yield chunk


class OutboundClient:
    """Wraps one ``httpx.Client``; create one per process (or per worker) and close it."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        user_agent: str = "winback",
        resolver: Resolver = system_resolver,
    ):
        self.max_bytes = max_bytes
        self._client = httpx.Client(
            transport=GuardedTransport(allow_private=allow_private, resolver=resolver),
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            max_redirects=max_redirects,
            headers={"User-Agent": user_agent},
            # Proxies from the environment would connect on our behalf, past the address check.
            trust_env=False,
        )

    @classmethod
    def configured(cls, settings: Settings, *, user_agent: str) -> OutboundClient:
        """A client as the settings say outbound calls are made."""
        return cls(
            allow_private=settings.outbound_allow_private,
            timeout=settings.outbound_timeout_seconds,
            user_agent=user_agent,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> OutboundClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        max_bytes: int | None = None,
    ) -> Reply:
        """Send a request and read the whole answer; a non-2xx status raises."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        with _translated(url):
            request = self._client.build_request(
                method, url, json=json, params=params, headers=headers, content=content
            )
            response = self._client.send(request, stream=True)
        try:
            _raise_for_status(response)
            download = Download(response, limit, deadline=float("inf"))
            body = b"".join(download.chunks())
        finally:
            response.close()
        return Reply(str(response.url), response.status_code, response.headers, body)

    @contextmanager
    def download(
        self,
        url: str,
        *,
        previous: Validators | None = None,
        max_bytes: int | None = None,
        max_seconds: float = 600.0,
    ) -> Iterator[Download]:
        """GET ``url`` as a stream, conditionally when ``previous`` validators are given.

        A 304 yields a ``Download`` with ``not_modified`` true and nothing to read.
        """
        limit = self.max_bytes if max_bytes is None else max_bytes
        headers = previous.request_headers() if previous else {}
        deadline = time.monotonic() + max_seconds
        with _translated(url):
            request = self._client.build_request("GET", url, headers=headers)
            response = self._client.send(request, stream=True)
        try:
            if response.status_code != 304:
                _raise_for_status(response)
            _check_length(response, limit)
            yield Download(response, limit, deadline)
        finally:
            response.close()


def _check_length(response: httpx.Response, limit: int) -> None:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        reason = f"the response declares {declared} bytes, more than the {limit} allowed"
        raise ResponseTooLarge(reason, url=str(response.url))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    url = str(response.url)
    reason = f"the server answered {status} {response.reason_phrase}".rstrip()
    body = _first_bytes(response)
    if status >= 500 or status in RETRYABLE_STATUSES:
        retry_after = _retry_after(response)
        raise RetryableError(reason, url=url, status=status, retry_after=retry_after, body=body)
    raise TerminalError(reason, url=url, status=status, body=body)


# Of an error status's answer, as much as a message quotes (an error page's start).
ERROR_BODY_BYTES = 1024


def _first_bytes(response: httpx.Response) -> bytes:
    """The start of the answer; nothing if reading it fails (the status says enough)."""
    try:
        for chunk in response.iter_bytes(chunk_size=ERROR_BODY_BYTES):
            return chunk[:ERROR_BODY_BYTES]
    except httpx.HTTPError:
        pass
    return b""


@contextmanager
def _translated(url: str) -> Iterator[None]:
    """httpx's exceptions as ours: timeouts and network trouble retryable, the rest terminal."""
    try:
        yield
    except OutboundError:
        raise
    except httpx.TimeoutException as error:
        raise RetryableError(f"timed out: {error or type(error).__name__}", url=url) from None
    except httpx.TooManyRedirects as error:
        raise TerminalError(f"too many redirects: {error}", url=url) from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.DecodingError) as error:
        raise TerminalError(str(error), url=url) from None
    except httpx.TransportError as error:
        raise RetryableError(f"network error: {error or type(error).__name__}", url=url) from None
