"""A browser's events, one by one: which are allowed, and the raw events they become.

Plain functions, no I/O: the collector calls them, the tests call them directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from winback.errors import InvalidPayload, WinbackError
from winback.intake import rawlog
from winback.intake.rawlog import RawEvent, event_digest
from winback.intake.topics import BROWSER_TOPICS, Topic, topic_for
from winback.intake.validation import parse_payload
from winback.tracking.payloads import BrowserBatch, BrowserEvent, identify_payload

BROWSER = "browser"
IDENTIFY = "identify"
CART_TOPICS = frozenset({Topic.CART_CREATE, Topic.CART_UPDATE})
# Request headers worth keeping with each event: what sent it, from which page.
KEPT_HEADERS = ("user-agent", "origin", "referer")
# A browser's clock is not trusted, only the gaps between its events; a page
# left open for days before it sent is not believed further back than this.
MAX_EVENT_AGE = timedelta(days=1)
MAX_EVENT_AGE_MS = MAX_EVENT_AGE // timedelta(milliseconds=1)


class ServerOnlyType(InvalidPayload):
    """An event type only the store's server may send (orders, products, erasure...)."""

    code = "server_only_type"

    def __init__(self, event_type: str, index: int) -> None:
        super().__init__(
            f"{event_type!r} is a server-only event type; a browser may send only "
            "carts, customers/update, newsletter/subscribe, identify and page or custom events",
            pointer=f"/events/{index}/type",
        )


@dataclass(frozen=True)
class CheckedEvent:
    event_type: str
    topic: Topic
    data: dict[str, Any]
    at: int | None


@dataclass(frozen=True)
class RefusedEvent:
    index: int
    event: BrowserEvent
    error: WinbackError


def browser_topic(event_type: str, index: int) -> Topic:
    """The topic a browser event is applied as; server-only types are refused."""
    if event_type == IDENTIFY:
        return Topic.CUSTOM
    topic = topic_for(event_type)
    if topic not in BROWSER_TOPICS:
        raise ServerOnlyType(event_type, index)
    return topic


def with_cart_id(data: dict[str, Any], visitor_id: str) -> dict[str, Any]:
    """A browser cart without an id is the visitor's cart: its token, else one per visitor."""
    if data.get("id") not in (None, ""):
        return data
    token = data.get("cart_token")
    return {**data, "id": token if isinstance(token, str) and token else f"visitor-{visitor_id}"}


def check_event(index: int, event: BrowserEvent, visitor_id: str) -> CheckedEvent:
    """Check one event's data as its topic's payload, as a server's event would be."""
    event_type, data = event.type, event.data or {}
    topic = browser_topic(event_type, index)
    if topic in CART_TOPICS:
        data = with_cart_id(data, visitor_id)
    try:
        if event_type == IDENTIFY:
            identify_payload(data)
        else:
            parse_payload(topic, data)
    except InvalidPayload as error:
        raise InvalidPayload(
            error.reason, pointer=f"/events/{index}/data{error.pointer or ''}"
        ) from None
    return CheckedEvent(event_type, topic, data, event.at)


def sort_events(batch: BrowserBatch) -> tuple[list[CheckedEvent], list[RefusedEvent]]:
    """The events that may be stored, and the refused ones with the reason for each.

    One bad push on a page must not cost the shopper's other events: a browser
    does not resend, so the good ones are kept and the bad ones logged.
    """
    accepted: list[CheckedEvent] = []
    refused: list[RefusedEvent] = []
    for index, event in enumerate(batch.events):
        try:
            accepted.append(check_event(index, event, batch.v))
        except WinbackError as error:
            refused.append(RefusedEvent(index, event, error))
    return accepted, refused


def event_times(stamps: list[int | None], received_at: datetime) -> list[datetime]:
    """When each event happened, on winback's clock.

    The newest event of a batch was pushed just before it was sent; the others
    happened as long before it as the browser's own clock says.
    """
    newest = max((stamp for stamp in stamps if stamp is not None), default=None)
    times = []
    for stamp in stamps:
        if stamp is None or newest is None:
            times.append(received_at)
            continue
        # Capped in milliseconds first: a stamp far off (0 beside 2**64 - 1) is a gap
        # no timedelta can hold.
        age_ms = min(newest - stamp, MAX_EVENT_AGE_MS)
        times.append(received_at - timedelta(milliseconds=age_ms))
    return times


def event_headers(batch: BrowserBatch, headers: dict[str, str]) -> dict[str, str]:
    """The visitor, session and page, and what sent them, as the raw event's headers."""
    kept = {"x-visitor-id": batch.v}
    if batch.s:
        kept["x-session-id"] = batch.s
    page = batch.page
    if page is not None:
        for name, value in (("url", page.url), ("referrer", page.referrer), ("title", page.title)):
            if value:
                kept["x-page-" + name] = value
    kept.update(request_headers(headers))
    return kept


def request_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: headers[name][:1000] for name in KEPT_HEADERS if name in headers}


def raw_events_for(
    store_id: str,
    batch: BrowserBatch,
    events: list[CheckedEvent],
    headers: dict[str, str],
    received_at: datetime,
) -> list[RawEvent]:
    """One raw event per browser event, each with the visitor id the applier needs."""
    kept = event_headers(batch, headers)
    received_ms = int(received_at.timestamp() * 1000)
    times = event_times([event.at for event in events], received_at)
    return [
        RawEvent(
            store_id=store_id,
            source=BROWSER,
            event_type=event.event_type,
            topic=event.topic.value,
            received_at=received_at,
            event_time=at,
            headers=kept,
            body=orjson.dumps(event.data),
            # The same visitor doing the same thing at another moment is another event.
            digest=event_digest(
                f"{BROWSER}:{event.event_type}",
                None,
                {"v": batch.v, "at": event.at or received_ms, "data": event.data},
            ),
        )
        for event, at in zip(events, times, strict=True)
    ]


def rejected_event(
    store_id: str,
    event_type: str,
    body: bytes,
    headers: dict[str, str],
    received_at: datetime,
    error: WinbackError,
) -> RawEvent:
    """The integration log's entry for a refused browser event or request."""
    return rawlog.rejected_event(
        store_id=store_id,
        source=BROWSER,
        event_type=event_type,
        body=body,
        headers=headers,
        received_at=received_at,
        error=error,
    )


def refused_entries(
    store_id: str,
    batch: BrowserBatch,
    refused: list[RefusedEvent],
    headers: dict[str, str],
    received_at: datetime,
) -> list[RawEvent]:
    """One rejected log entry per refused event, with the visitor and page it came from."""
    kept = event_headers(batch, headers)
    return [
        rejected_event(
            store_id,
            item.event.type,
            orjson.dumps(item.event.model_dump(exclude_none=True)),
            kept,
            received_at,
            item.error,
        )
        for item in refused
    ]
