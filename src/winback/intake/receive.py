"""Receive one delivery: check it, then append it to the raw log (raw first, apply later).

A delivery that fails a check is appended too, marked ``rejected`` with the
reason, so a store's developer can see what arrived and why it was refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog

from winback.config import Settings
from winback.errors import (
    InvalidPayload,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    WinbackError,
)
from winback.fields import NUMERIC_TEXT
from winback.intake.body import check_content_encoding, check_content_type, decode_object
from winback.intake.checked import CheckedEvent
from winback.intake.ratelimit import RateLimiter
from winback.intake.rawlog import RawEvent, RawLogWriter, event_digest, rejected_event
from winback.intake.topics import MAX_EVENT_TYPE_LENGTH, Topic, topic_for
from winback.intake.validation import check_version_time, parse_payload
from winback.metrics import EVENTS_RECEIVED
from winback.stores.directory import StoreDirectory
from winback.stores.keys import by_any_key
from winback.stores.service import Store

log = structlog.get_logger(__name__)

# Never written to the log: they are credentials.
SECRET_HEADERS = frozenset({"x-token", "x-api-key", "authorization", "cookie"})
REJECTED_BODY_KEPT = 64 * 1024
# Deliveries without a valid key are logged at most this often per store: anyone
# who knows a store's public id can send them, as fast as they like, and the log
# is not theirs to fill. Enough are kept to debug a wrong key; all are counted.
UNAUTHENTICATED_LOGGED_PER_SECOND = 1.0
UNAUTHENTICATED_LOGGED_BURST = 60


@dataclass(frozen=True)
class Delivery:
    store_id: str
    headers: Mapping[str, str]  # names lower-cased
    body: bytes
    source: str = "webhook"
    too_large: bool = False  # the body went over the limit and was not read to its end
    # headers sent more than once with different values: name -> the values, in order
    repeated: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


UTF8_BOM = b"\xef\xbb\xbf"
# Clocks drift: a sender's a little ahead of ours still says when its event happened.
EVENT_TIME_AHEAD_ALLOWED = timedelta(minutes=10)
SHOWN_HEADER_CHARACTERS = 40
# Headers that say what the event is: sent twice with two values, which one the
# sender meant cannot be told (an order applied as an unsubscribe, say). The same
# value twice (a proxy that copies it) says one thing and is let through.
SAID_ONCE = ("x-event-type", "x-event-time")


def _check_header_length(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidPayload(
            f"the {name} header must be at most {limit} characters, got {len(value)}",
            code="invalid_header",
        )


def _check_said_once(repeated: Mapping[str, tuple[str, ...]]) -> None:
    for name in SAID_ONCE:
        if name in repeated:
            shown = ", ".join(_shown(value) for value in repeated[name])
            raise InvalidPayload(
                f"the {name} header was sent {len(repeated[name])} times with different"
                f" values ({shown}); send it once",
                code="invalid_header",
            )


def _one_value(headers: Mapping[str, str], name: str) -> str | None:
    """A SAID_ONCE header's value. A proxy may join a header sent twice into one
    line, the values between commas (RFC 9110, 5.3): the same value twice is that
    value, two values are refused as two lines are. (So no event type holds a comma.)"""
    value = headers.get(name)
    if value is None or "," not in value:
        return value
    values = tuple(part.strip() for part in value.split(","))
    if len(set(values)) > 1:
        shown = ", ".join(_shown(part) for part in values)
        raise InvalidPayload(
            f"the {name} header holds {len(values)} different values ({shown}): it was sent"
            " more than once, or a proxy joined copies of it; send it once",
            code="invalid_header",
        )
    return values[0]


def parse_event_time(raw: str | None, received_at: datetime) -> datetime:
    """``x-event-time`` (UNIX seconds) when the sender back-fills, else arrival time.

    A time ahead of this server's clock (beyond the drift clocks have) is refused:
    it cannot be when the event happened, and as the event's version it would make
    every real update of the record stale until then.
    """
    if raw is None or raw.strip() == "":
        return received_at
    text = raw.strip()
    if not NUMERIC_TEXT.fullmatch(text):
        raise InvalidPayload(
            f"the x-event-time header must be UNIX seconds (like 1795780800), got {_shown(raw)}",
            code="invalid_header",
        )
    try:
        at = datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError, OSError):
        raise InvalidPayload(
            "the x-event-time header must be UNIX seconds between the years 1 and 9999"
            f" (milliseconds are too many digits), got {_shown(raw)}",
            code="invalid_header",
        ) from None
    if at > received_at + EVENT_TIME_AHEAD_ALLOWED:
        ahead = int((at - received_at).total_seconds())
        raise InvalidPayload(
            f"the x-event-time header is {ahead} seconds ahead of this server's clock; it"
            " must say when the event happened (up to 10 minutes ahead is taken as drift)",
            code="invalid_header",
        )
    return at


def event_time_key(raw: str | None) -> str | None:
    """The header as the duplicate check reads it: one text per instant, however it
    is written (``1795780800.0``, ``01795780800``: ``1795780800``, the plain form,
    whose digest is then what it always was)."""
    if raw is None or not raw.strip():
        return raw
    try:
        seconds = Decimal(raw.strip())
    except InvalidOperation:
        return raw  # (refused before it is read: parse_event_time)
    return "0" if seconds == 0 else format(seconds.normalize(), "f")


def _shown(value: str) -> str:
    """A header's value for an error reason: quoted, and cut where it is long."""
    if len(value) > SHOWN_HEADER_CHARACTERS:
        value = value[:SHOWN_HEADER_CHARACTERS] + "..."
    return repr(value)


def _kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name not in SECRET_HEADERS}


def _delivery_digest(
    topic: Topic, event_type: str, time_header: str | None, body: dict[str, Any]
) -> str:
    """What makes two deliveries one event (the second is then a duplicate).

    The same body under the same type, as a rule. A custom event that carries its
    sender's ``event_id`` is that event whatever else changed: senders that add a
    send-time ``timestamp`` would otherwise make each retry a second event, and a
    custom event has no id or version of its own to catch it.
    """
    time_header = event_time_key(time_header)
    if topic is not Topic.CUSTOM:
        return event_digest(topic.value, time_header, body)
    sender_id = body.get("event_id")
    if isinstance(sender_id, bool) or not isinstance(sender_id, (str, int)):
        return event_digest(event_type, time_header, body)
    if not str(sender_id).strip():
        return event_digest(event_type, time_header, body)
    return event_digest(event_type, "event_id", str(sender_id).strip().encode())


class Intake:
    def __init__(self, settings: Settings, directory: StoreDirectory, writer: RawLogWriter) -> None:
        self._settings = settings
        self._directory = directory
        self._writer = writer
        self._limiter = RateLimiter(
            per_second=settings.rate_limit_per_second, burst=settings.rate_limit_burst
        )
        self._unauthenticated_logged = RateLimiter(
            per_second=UNAUTHENTICATED_LOGGED_PER_SECOND, burst=UNAUTHENTICATED_LOGGED_BURST
        )
        # (all unknown stores together: anyone can make up as many ids as they like)
        self._unknown_store_logged = RateLimiter(
            per_second=UNAUTHENTICATED_LOGGED_PER_SECOND, burst=UNAUTHENTICATED_LOGGED_BURST
        )

    async def receive_webhook(self, delivery: Delivery) -> int:
        """Check a server-to-server event and store it; returns its sequence number."""
        if delivery.body.startswith(UTF8_BOM):
            # Some platforms' JSON encoders write one; it marks the encoding, it is not
            # part of the JSON (RFC 8259 lets a parser ignore it), so it is not kept.
            delivery = replace(delivery, body=delivery.body[len(UTF8_BOM) :])
        store = self._known_store(delivery)
        received_at = datetime.now(UTC)
        try:
            self._authenticate(store.id, delivery.headers)
            self._limiter.check(store.id)
            event, checked = self._checked_event(delivery, received_at)
        except RateLimited:
            EVENTS_RECEIVED.labels(source=delivery.source, outcome="rate_limited").inc()
            raise
        except Unauthorized as error:
            if self._unauthenticated_logged.allows(store.id):
                await self._log_rejection(delivery, received_at, error)
            else:
                EVENTS_RECEIVED.labels(
                    source=delivery.source, outcome="unauthorized_unlogged"
                ).inc()
            raise
        except WinbackError as error:
            await self._log_rejection(delivery, received_at, error)
            raise
        seq = await self._writer.append(event, checked)
        EVENTS_RECEIVED.labels(source=delivery.source, outcome="accepted").inc()
        return seq

    def _known_store(self, delivery: Delivery) -> Store:
        """The store the delivery names. One unknown has no integration log to keep the
        delivery: it is counted, and said in the server's log (a sender posting to a
        mistyped id is the operator's to see), at most as often as a wrong key is."""
        try:
            return self._directory.find(delivery.store_id)
        except NotFound:
            EVENTS_RECEIVED.labels(source=delivery.source, outcome="unknown_store").inc()
            if self._unknown_store_logged.allows(""):
                log.info(
                    "event refused",
                    store_id=delivery.store_id[:64],
                    source=delivery.source,
                    status=NotFound.status,
                    reason="no store has this id",
                )
            raise

    def _authenticate(self, store_id: str, headers: Mapping[str, str]) -> None:
        """Either header may carry the key: a sender that sends both (one of them
        stale after a rotation, say) is let in by either."""
        keys = [headers.get("x-token"), headers.get("x-api-key")]
        if not any(key and key.strip() for key in keys):
            self._directory.authenticate(store_id, None)  # (says what to send)
        by_any_key(keys, lambda key: self._directory.authenticate(store_id, key))

    def _checked_event(
        self, delivery: Delivery, received_at: datetime
    ) -> tuple[RawEvent, CheckedEvent]:
        if delivery.too_large or len(delivery.body) > self._settings.max_body_bytes:
            raise PayloadTooLarge(f"the body is larger than {self._settings.max_body_bytes} bytes")
        check_content_type(delivery.headers.get("content-type"))
        check_content_encoding(delivery.headers.get("content-encoding"))
        _check_said_once(delivery.repeated)
        event_type = (_one_value(delivery.headers, "x-event-type") or "").strip()
        if not event_type:
            raise InvalidPayload("the x-event-type header is required", code="missing_event_type")
        _check_header_length("x-event-type", event_type, MAX_EVENT_TYPE_LENGTH)
        time_header = _one_value(delivery.headers, "x-event-time")
        event_time = parse_event_time(time_header, received_at)
        body = decode_object(delivery.body, max_depth=self._settings.max_json_depth)
        topic = topic_for(event_type)
        payload = parse_payload(topic, body)
        check_version_time(payload, received_at)
        event = self.accepted_event(
            delivery, event_type, topic, body, received_at, event_time, time_header
        )
        return event, CheckedEvent(body, payload)

    @staticmethod
    def accepted_event(
        delivery: Delivery,
        event_type: str,
        topic: Topic,
        body: dict[str, Any],
        received_at: datetime,
        event_time: datetime,
        time_header: str | None,
    ) -> RawEvent:
        return RawEvent(
            store_id=delivery.store_id,
            source=delivery.source,
            event_type=event_type,
            topic=topic.value,
            received_at=received_at,
            event_time=event_time,
            headers=_kept_headers(delivery.headers),
            body=delivery.body,
            digest=_delivery_digest(topic, event_type, time_header, body),
        )

    async def _log_rejection(
        self, delivery: Delivery, received_at: datetime, error: WinbackError
    ) -> None:
        EVENTS_RECEIVED.labels(source=delivery.source, outcome="rejected").inc()
        event_type = (delivery.headers.get("x-event-type") or "").strip()[:MAX_EVENT_TYPE_LENGTH]
        rejected = rejected_event(
            store_id=delivery.store_id,
            source=delivery.source,
            event_type=event_type,
            body=delivery.body[:REJECTED_BODY_KEPT],
            headers=_kept_headers(delivery.headers),
            received_at=received_at,
            error=error,
        )
        await self._writer.append_refusal(rejected)
