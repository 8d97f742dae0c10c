"""What the store's coupon endpoint did, in words for whoever set it up.

A reason says what happened: no answer at all ("could not be reached"), an
answer with an HTTP error status and what that status class usually means, a
redirect and where it led, or a 2xx that is not in the contract's shape. It
never holds the key: the key travels in the query string, so URLs are shown
without their query, and the key is masked in body excerpts.
"""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import quote, quote_plus

import httpx

from winback.outbound.errors import OutboundError, ResponseTooLarge, RetryableError

EXCERPT_CHARS = 200
MASK = "***"
THE_ENDPOINT = "the endpoint"
KEY_REFUSED_STATUSES = (401, 403)
NOT_THERE_STATUSES = (404, 405, 410)
# A 4xx behind a redirect is most likely the redirect's doing, not the settings':
# 301/302/303 make the POST a GET, and a Location without the query drops the key.
AFTER_A_REDIRECT = (
    "a redirect can turn winback's POST into a GET and drop the key from the query; "
    "set the endpoint's URL to where it redirects"
)


def failure_reason(called: str, error: OutboundError, *, key: str) -> str:
    """Why the call to ``called`` (the endpoint's URL, sent with ``key``) failed with
    ``error``; what the store's server said comes after, the key masked in it."""
    if error.status is None:
        return _no_answer(error)
    who = who_answered(called, error.url)
    redirected = who != THE_ENDPOINT
    meaning = _status_meaning(error.status, retryable=error.retryable, redirected=redirected)
    said = f"; it said: {excerpt(error.body, key)}" if error.body.strip() else ""
    return f"{who} answered {status_line(error.status)}: {meaning}{said}"


def who_answered(called: str, answered_from: str) -> str:
    """Who answered: the endpoint, or, when redirects led elsewhere, where they led."""
    if shown_url(answered_from) == shown_url(called):
        return THE_ENDPOINT
    return f"the endpoint redirected to {shown_url(answered_from)}, which"


def status_line(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:  # a status of the server's own making, such as 520
        return f"HTTP {status}"


def shown_url(url: str) -> str:
    """The URL without user info, query or fragment: what may appear in a reason."""
    parsed = httpx.URL(url)
    return str(
        httpx.URL(scheme=parsed.scheme, host=parsed.host, port=parsed.port, path=parsed.path)
    )


def excerpt(body: bytes, key: str) -> str:
    """The start of a body on one line, the key masked: error pages may echo the URL."""
    text = body.decode("utf-8", "replace")
    for form in sorted({key, quote(key, safe=""), quote_plus(key)}, key=len, reverse=True):
        text = text.replace(form, MASK)
    text = " ".join(text.split())
    if not text:
        return "(empty)"
    return text[:EXCERPT_CHARS] + ("..." if len(text) > EXCERPT_CHARS else "")


def _no_answer(error: OutboundError) -> str:
    if isinstance(error, RetryableError):
        return f"the endpoint could not be reached: {error.reason}"
    if isinstance(error, ResponseTooLarge):
        return f"the endpoint's answer is too large: {error.reason}"
    return f"the call to the endpoint failed: {error.reason}"


def _status_meaning(status: int, *, retryable: bool, redirected: bool) -> str:
    if status >= 500:
        return "a failure on the store's server"
    if retryable:  # 408, 425, 429
        return "the store asks winback to try again later"
    if status < 400:  # a 3xx the client did not follow: no Location, or not a redirect it follows
        return "a redirect winback cannot follow"
    if redirected:
        return AFTER_A_REDIRECT
    if status in KEY_REFUSED_STATUSES:
        return "the store refused winback's key; check the endpoint's key"
    if status in NOT_THERE_STATUSES:
        return "no coupon endpoint there; check the base URL (winback adds /discounts)"
    return "the store refused the call; check the endpoint's settings on the store's side"
