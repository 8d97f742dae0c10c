"""The tracking collector: check a browser's batch, then append its events to the raw log.

A browser is anonymous and untrusted. It names the store by its public id
only, may send only browser event types, and is limited per IP address and
per visitor instead of per store. Each of its events becomes one raw event
(``source="browser"``) that carries the visitor id, so the applier knows whose
it is; the request is answered only once all of them are durably stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
from winback.intake.rawlog import RawEvent, RawLogWriter
from winback.metrics import COLLECTOR_REQUESTS, EVENTS_RECEIVED
from winback.stores.service import Store
from winback.tracking.bots import is_crawler
from winback.tracking.events import (
    BROWSER,
    raw_events_for,
    refused_entries,
    rejected_event,
    request_headers,
    sort_events,
)
from winback.tracking.origins import origin_refused
from winback.tracking.payloads import BrowserBatch, parse_batch

log = structlog.get_logger(__name__)

ACCEPTED = "accepted"
CRAWLER = "crawler"
MEDIA_TYPES = frozenset({"text/plain", "application/json"})
REJECTED_BODY_KEPT = 64 * 1024


class OriginNotAllowed(WinbackError):
    status = 403
    code = "origin_not_allowed"


@dataclass(frozen=True)
class BrowserRequest:
    """What the HTTP layer read; ``too_large`` means the body was cut at the limit."""

    body: bytes
    too_large: bool
    headers: dict[str, str]  # names lower-cased
    client_ip: str


@dataclass(frozen=True)
class Collected:
    outcome: str
    event_ids: list[int] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)


def check_media_type(content_type: str | None) -> None:
    """The script sends text/plain (no CORS preflight); other clients may send JSON."""
    media_type = (content_type or "text/plain").split(";", 1)[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"the body must be JSON sent as text/plain or application/json, got {media_type!r}"
        )


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
        """Store the batch's good events durably and return their ids, or raise why not.

        A crawler's batch is dropped without a word (``crawler``): it is no
        shopper, and an error would only show up in the store's page. Events
        refused one by one are logged; the request fails only if none is left.
        """
        if is_crawler(request.headers.get("user-agent")):
            COLLECTOR_REQUESTS.labels(outcome=CRAWLER).inc()
            return Collected(CRAWLER)
        self._limit_ip(request.client_ip)
        received_at = datetime.now(UTC)
        try:
            batch = self._batch(store, request)
        except WinbackError as error:
            await self._log_refused_request(store.id, request, received_at, error)
            raise
        self._limit_visitor(store.id, batch.v, len(batch.events))
        accepted, refused = sort_events(batch)
        raws = raw_events_for(store.id, batch, accepted, request.headers, received_at)
        entries = refused_entries(store.id, batch, refused, request.headers, received_at)
        results = await asyncio.gather(
            *(self._writer.append(raw) for raw in raws), self._log(entries)
        )
        EVENTS_RECEIVED.labels(source=BROWSER, outcome=ACCEPTED).inc(len(raws))
        EVENTS_RECEIVED.labels(source=BROWSER, outcome="rejected").inc(len(refused))
        if not raws:
            COLLECTOR_REQUESTS.labels(outcome="rejected").inc()
            raise refused[0].error
        COLLECTOR_REQUESTS.labels(outcome=ACCEPTED).inc()
        event_ids = [seq for seq in results[: len(raws)] if isinstance(seq, int)]
        return Collected(ACCEPTED, event_ids, [item.error.to_dict() for item in refused])

    def _batch(self, store: Store, request: BrowserRequest) -> BrowserBatch:
        """The request as a whole: size, type, origin, shape; any failure refuses all of it."""
        if request.too_large:
            limit = self._settings.tracking_max_body_bytes
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
        check_media_type(request.headers.get("content-type"))
        origin = request.headers.get("origin")
        if origin_refused(store.domain, origin):
            raise OriginNotAllowed(f"pages of {origin} may not send events to this store")
        batch = parse_batch(decode_object(request.body, max_depth=self._settings.max_json_depth))
        most = self._settings.tracking_max_events
        if len(batch.events) > most:
            raise InvalidPayload(f"at most {most} events per request", pointer="/events")
        return batch

    def _limit_ip(self, client_ip: str) -> None:
        """Per request, before anything is parsed: the guard against floods."""
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

    async def _log(self, entries: list[RawEvent]) -> None:
        """Append refusals to the integration log; losing one must not fail the request."""
        for entry in entries:
            await self._writer.append_refusal(entry)

    async def _log_refused_request(
        self, store_id: str, request: BrowserRequest, received_at: datetime, error: WinbackError
    ) -> None:
        """Keep a refused request in the store's integration log, with the reason."""
        outcome = {413: "too_large", 403: "refused_origin"}.get(error.status, "rejected")
        COLLECTOR_REQUESTS.labels(outcome=outcome).inc()
        body = request.body[:REJECTED_BODY_KEPT]
        headers = request_headers(request.headers)
        await self._log([rejected_event(store_id, "", body, headers, received_at, error)])
