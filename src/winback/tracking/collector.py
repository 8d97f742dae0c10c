"""The tracking collector: check a browser's batch, then append its events to the raw log.

A browser is anonymous and untrusted. It names the store by its public id
only, may send only browser event types, and is limited per IP address and
per visitor instead of per store. Each of its events becomes one raw event
(``source="browser"``) that carries the visitor id, so the applier knows whose
it is; the request is answered only once all of them are durably stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import structlog

from winback.config import Settings
from winback.errors import (
    InvalidPayload,
    PayloadTooLarge,
    RateLimited,
    UnsupportedMediaType,
    WinbackError,
)
from winback.intake.body import decode_object
from winback.intake.ratelimit import RateLimiter
from winback.intake.rawlog import REJECTED, RawEvent, RawLogWriter, event_digest
from winback.intake.topics import BROWSER_TOPICS, Topic, topic_for
from winback.intake.validation import parse_payload
from winback.metrics import COLLECTOR_REQUESTS, EVENTS_RECEIVED
from winback.stores.service import Store
from winback.tracking.bots import is_crawler
from winback.tracking.origins import origin_refused
from winback.tracking.payloads import BrowserBatch, BrowserEvent, identify_payload, parse_batch

log = structlog.get_logger(__name__)

BROWSER = "browser"
IDENTIFY = "identify"
ACCEPTED = "accepted"
CRAWLER = "crawler"
CART_TOPICS = frozenset({Topic.CART_CREATE, Topic.CART_UPDATE})
MEDIA_TYPES = frozenset({"text/plain", "application/json"})
# Request headers worth keeping with each event: what sent it, from which page.
KEPT_HEADERS = ("user-agent", "origin", "referer")
REJECTED_BODY_KEPT = 64 * 1024
# A browser's clock is not trusted, only the gaps between its events; a page
# left open for days before it flushed is not believed further back than this.
MAX_EVENT_AGE = timedelta(days=1)


class OriginNotAllowed(WinbackError):
    status = 403
    code = "origin_not_allowed"


class ServerOnlyType(InvalidPayload):
    """An event type only the store's server may send (orders, products, erasure...)."""

    code = "server_only_type"

    def __init__(self, event_type: str, index: int) -> None:
        super().__init__(
            f"{event_type!r} is a server-only event type; a browser may send only "
            "carts, customers/update, newsletter/subscribe, identify and page or custom events",
            pointer=f"/events/{index}/type",
        )
        self.event_type = event_type


@dataclass(frozen=True)
class BrowserRequest:
    """What the HTTP layer read; ``too_large`` means the body was cut at the limit."""

    body: bytes
    too_large: bool
    headers: dict[str, str]  # names lower-cased
    client_ip: str


@dataclass(frozen=True)
class CheckedEvent:
    event_type: str
    topic: Topic
    data: dict[str, Any]
    at: int | None


@dataclass(frozen=True)
class Collected:
    outcome: str
    event_ids: list[int]


def check_media_type(content_type: str | None) -> None:
    """The script sends text/plain (no CORS preflight); other clients may send JSON."""
    media_type = (content_type or "text/plain").split(";", 1)[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"the body must be JSON sent as text/plain or application/json, got {media_type!r}"
        )


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
    """Check one event's data as its topic's payload, so a bad one is refused at once."""
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


def checked_events(batch: BrowserBatch, max_events: int) -> list[CheckedEvent]:
    if len(batch.events) > max_events:
        raise InvalidPayload(f"at most {max_events} events per request", pointer="/events")
    return [check_event(index, event, batch.v) for index, event in enumerate(batch.events)]


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
        age = min(timedelta(milliseconds=newest - stamp), MAX_EVENT_AGE)
        times.append(received_at - age)
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
    kept.update({name: headers[name][:1000] for name in KEPT_HEADERS if name in headers})
    return kept


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


class Collector:
    """Checks and stores browser batches; holds the per-IP and per-visitor rate limits."""

    def __init__(self, settings: Settings, writer: RawLogWriter) -> None:
        self._settings = settings
        self._writer = writer
        self._ips = RateLimiter(
            per_second=settings.tracking_ip_per_second, burst=settings.tracking_ip_burst
        )
        self._visitors = RateLimiter(
            per_second=settings.tracking_visitor_per_second,
            burst=settings.tracking_visitor_burst,
        )

    @property
    def writer(self) -> RawLogWriter:
        return self._writer

    async def collect(self, store: Store, request: BrowserRequest) -> Collected:
        """Store the batch's events durably and return their ids, or raise why not.

        A crawler's batch is dropped without a word (``crawler``): it is no
        shopper, and an error would only show up in the store's page.
        """
        if is_crawler(request.headers.get("user-agent")):
            COLLECTOR_REQUESTS.labels(outcome=CRAWLER).inc()
            return Collected(CRAWLER, [])
        self._limit_ip(request.client_ip)
        received_at = datetime.now(UTC)
        try:
            batch, events = self._checked(store, request)
        except WinbackError as error:
            await self._log_rejection(store.id, request, received_at, error)
            raise
        self._limit_visitor(store.id, batch.v, len(events))
        raws = raw_events_for(store.id, batch, events, request.headers, received_at)
        event_ids = list(await asyncio.gather(*(self._writer.append(raw) for raw in raws)))
        COLLECTOR_REQUESTS.labels(outcome=ACCEPTED).inc()
        EVENTS_RECEIVED.labels(source=BROWSER, outcome=ACCEPTED).inc(len(raws))
        return Collected(ACCEPTED, event_ids)

    def _checked(
        self, store: Store, request: BrowserRequest
    ) -> tuple[BrowserBatch, list[CheckedEvent]]:
        limit = self._settings.tracking_max_body_bytes
        if request.too_large:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
        check_media_type(request.headers.get("content-type"))
        origin = request.headers.get("origin")
        if origin_refused(store.domain, origin):
            raise OriginNotAllowed(f"pages of {origin} may not send events to this store")
        body = decode_object(request.body, max_depth=self._settings.max_json_depth)
        batch = parse_batch(body)
        return batch, checked_events(batch, self._settings.tracking_max_events)

    def _limit_ip(self, client_ip: str) -> None:
        rate = self._settings.tracking_ip_per_second
        try:
            self._ips.check(client_ip)
        except RateLimited as error:
            COLLECTOR_REQUESTS.labels(outcome="rate_limited_ip").inc()
            raise RateLimited(
                f"more than {rate:g} requests/s from this IP address",
                retry_after=error.retry_after,
            ) from None

    def _limit_visitor(self, store_id: str, visitor_id: str, events: int) -> None:
        """One token per event: a visitor sending one big batch counts as sending many."""
        rate = self._settings.tracking_visitor_per_second
        try:
            for _ in range(events):
                self._visitors.check(f"{store_id}:{visitor_id}")
        except RateLimited as error:
            COLLECTOR_REQUESTS.labels(outcome="rate_limited_visitor").inc()
            raise RateLimited(
                f"more than {rate:g} events/s from this visitor", retry_after=error.retry_after
            ) from None

    async def _log_rejection(
        self, store_id: str, request: BrowserRequest, received_at: datetime, error: WinbackError
    ) -> None:
        """Keep the refused request in the store's integration log, with the reason."""
        outcome = {413: "too_large", 403: "refused_origin"}.get(error.status, "rejected")
        COLLECTOR_REQUESTS.labels(outcome=outcome).inc()
        EVENTS_RECEIVED.labels(source=BROWSER, outcome="rejected").inc()
        event_type = error.event_type if isinstance(error, ServerOnlyType) else ""
        body = request.body[:REJECTED_BODY_KEPT]
        headers = {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}
        rejected = RawEvent(
            store_id=store_id,
            source=BROWSER,
            event_type=event_type[:200],
            topic=topic_for(event_type).value if event_type else "",
            received_at=received_at,
            event_time=received_at,
            headers=headers,
            body=body,
            digest=event_digest("rejected", None, body),
            outcome=REJECTED,
            http_status=error.status,
            reason=error.reason,
            pointer=error.pointer,
            applied_at=received_at,
        )
        try:
            await self._writer.append(rejected)
        except Exception as log_error:
            log.warning("could not log a refused browser batch", error=str(log_error))
        log.info(
            "browser batch refused",
            store_id=store_id,
            status=error.status,
            reason=error.reason,
            pointer=error.pointer,
        )
