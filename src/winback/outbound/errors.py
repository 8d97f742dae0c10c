"""Failures of outgoing HTTP calls, split by what the caller should do next.

``RetryableError``: try again later (network trouble, a timeout, a 5xx, 429).
``TerminalError``: trying again will not help (a 4xx, a refused address, a
response too large, a redirect loop) until someone changes the configuration.
"""

from __future__ import annotations

from typing import ClassVar


class OutboundError(Exception):
    """An outgoing call failed: the URL, the reason, and the HTTP status if there was one."""

    retryable: ClassVar[bool] = False
    code: ClassVar[str] = "outbound_failed"

    def __init__(
        self,
        reason: str,
        *,
        url: str,
        status: int | None = None,
        retry_after: float | None = None,
        body: bytes = b"",
    ):
        super().__init__(f"{reason} ({url})")
        self.reason = reason
        self.url = url
        self.status = status
        self.retry_after = retry_after
        # The start of an error status's answer: what the server said is the best clue.
        self.body = body


class RetryableError(OutboundError):
    """A temporary failure: network, timeout, 5xx, 429, 408."""

    retryable = True
    code = "outbound_retryable"


class TerminalError(OutboundError):
    """A failure that repeats until something changes: 4xx, bad URL, too many redirects."""

    code = "outbound_terminal"


class AddressRefused(TerminalError):
    """The URL points at a loopback, private, link-local or reserved address."""

    code = "outbound_address_refused"


class ResponseTooLarge(TerminalError):
    """The response is larger than the caller allows."""

    code = "outbound_too_large"
