"""One delivery attempt to winback's webhook endpoint, and what its answer means.

winback answers 200 only once the event is durably stored, so any 2xx is a
delivery. Network errors, timeouts, 408, 429 and 5xx are temporary; any other 4xx
means this event will never be accepted as it is, so retrying it is pointless.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from winback_storekit.outbox_store import OutboxEvent

_ERROR_BODY_LIMIT = 2000
_TEMPORARY_CLIENT_ERRORS = frozenset({408, 429})
_RETRY_AFTER_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class Delivered:
    """winback stored the event."""

    status_code: int


@dataclass(frozen=True)
class RetryLater:
    """A temporary failure; `retry_after` is the server's own wait in seconds, if it gave one."""

    error: str
    retry_after: float | None = None


@dataclass(frozen=True)
class Rejected:
    """winback refused the event for good (a 4xx other than 408 and 429)."""

    error: str


Outcome = Delivered | RetryLater | Rejected


def webhook_url(base_url: str, store_id: str) -> str:
    """The store's webhook endpoint under winback's base URL."""
    return f"{base_url.rstrip('/')}/webhooks/store/{quote(store_id, safe='')}"


def event_headers(event: OutboxEvent, api_key: str, domain: str | None) -> dict[str, str]:
    """The headers of the integration contract for one event."""
    headers = {
        "Content-Type": "application/json",
        "x-event-type": event.event_type,
        "x-token": api_key,
        "x-event-time": str(event.event_time),
        "x-platform": "custom",
    }
    if domain:
        headers["x-domain"] = domain
    return headers


def post_event(client: httpx.Client, url: str, headers: dict[str, str], body: str) -> Outcome:
    """Send one event and classify the result; never raises for network trouble."""
    try:
        response = client.post(url, content=body.encode("utf-8"), headers=headers)
    except httpx.TimeoutException as exc:
        return RetryLater(f"timed out: {type(exc).__name__}")
    except httpx.TransportError as exc:
        return RetryLater(f"network error: {type(exc).__name__}: {exc}")
    return classify_response(response)


def classify_response(response: httpx.Response) -> Outcome:
    """Map winback's answer to delivered, retry later, or rejected for good."""
    status = response.status_code
    if 200 <= status < 300:
        return Delivered(status)
    error = f"HTTP {status}: {response.text[:_ERROR_BODY_LIMIT]}"
    if 400 <= status < 500 and status not in _TEMPORARY_CLIENT_ERRORS:
        return Rejected(error)
    retry_after = None
    if status in _RETRY_AFTER_STATUSES:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
    return RetryLater(error, retry_after)


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempts: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential back-off with full jitter: a uniform wait up to base * 2^(attempts-1).

    Full jitter spreads the retries of many stores that failed at the same moment
    (a winback restart) instead of bringing them back in one wave.
    """
    ceiling = min(cap, base * 2 ** min(max(attempts - 1, 0), 62))
    return rng.uniform(0, ceiling)
