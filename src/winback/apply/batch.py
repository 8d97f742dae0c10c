"""Apply a batch of raw events in one transaction, in the order they were received."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import Connection, select

from winback.apply.context import DUPLICATE, REJECTED, STALE, EventContext
from winback.apply.dispatch import apply_payload
from winback.carts.payloads import CartPayload
from winback.catalog.payloads import ProductPayload
from winback.errors import WinbackError
from winback.intake.topics import Topic
from winback.intake.validation import parse_payload
from winback.orders.payloads import OrderPayload
from winback.shoppers.payloads import CustomerPayload
from winback.storage.flush import flush
from winback.storage.schema import raw_events, stores
from winback.storage.workspace import Workspace

APPLIED_OUTCOMES = ("applied", "stale")


@dataclass(frozen=True)
class PendingEvent:
    seq: int
    store_id: str
    source: str
    event_type: str
    topic: str
    event_time: datetime
    received_at: datetime
    body: bytes
    digest: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    seq: int
    outcome: str
    reason: str | None = None
    pointer: str | None = None


@dataclass
class _Parsed:
    event: PendingEvent
    topic: Topic
    body: dict[str, Any]
    payload: BaseModel | None


def _parse(event: PendingEvent) -> _Parsed:
    body = orjson.loads(event.body)
    if not isinstance(body, dict):
        raise WinbackError("the body is not a JSON object", pointer="")
    topic = Topic(event.topic)
    return _Parsed(event, topic, body, parse_payload(topic, body))


def _seen_digests(conn: Connection, events: list[PendingEvent]) -> set[tuple[str, str]]:
    by_store: dict[str, set[str]] = defaultdict(set)
    for event in events:
        by_store[event.store_id].add(event.digest)
    seen: set[tuple[str, str]] = set()
    for store_id, digests in by_store.items():
        rows = conn.execute(
            select(raw_events.c.digest).where(
                raw_events.c.store_id == store_id,
                raw_events.c.digest.in_(digests),
                raw_events.c.outcome.in_(APPLIED_OUTCOMES),
            )
        )
        seen.update((store_id, row.digest) for row in rows)
    return seen


def _preload(ws: Workspace, parsed: list[_Parsed]) -> None:
    keys: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for item in parsed:
        wanted = keys[item.event.store_id]
        payload = item.payload
        if isinstance(payload, CustomerPayload):
            if payload.id:
                wanted["customers"].add(payload.id)
            wanted["emails"].add(payload.email)
        if isinstance(payload, (OrderPayload, CartPayload)):
            wanted["orders" if isinstance(payload, OrderPayload) else "carts"].add(payload.id)
            if payload.customer is not None and payload.customer.id:
                wanted["customers"].add(payload.customer.id)
            if payload.buyer_email:
                wanted["emails"].add(payload.buyer_email)
            wanted["products"].update(
                line.product_id for line in payload.line_items if line.product_id
            )
        if isinstance(payload, ProductPayload):
            wanted["products"].add(payload.id)
    for store_id, wanted in keys.items():
        ws.preload(
            store_id,
            customer_ids=wanted["customers"],
            emails=wanted["emails"],
            order_ids=wanted["orders"],
            product_ids=wanted["products"],
            cart_ids=wanted["carts"],
        )


def _store_contexts(conn: Connection, store_ids: set[str]) -> dict[str, tuple[str, bool]]:
    rows = conn.execute(
        select(stores.c.id, stores.c.currency, stores.c.settings).where(stores.c.id.in_(store_ids))
    )
    return {row.id: (row.currency, bool((row.settings or {}).get("double_opt_in"))) for row in rows}


def apply_batch(conn: Connection, events: list[PendingEvent]) -> list[Outcome]:
    """Apply ``events`` (sorted by seq) and write the result; returns each one's outcome."""
    ws = Workspace(conn)
    outcomes: list[Outcome] = []
    parsed: list[_Parsed] = []
    for event in events:
        try:
            parsed.append(_parse(event))
        except (WinbackError, ValueError) as error:
            reason = error.reason if isinstance(error, WinbackError) else str(error)
            pointer = error.pointer if isinstance(error, WinbackError) else None
            outcomes.append(Outcome(event.seq, REJECTED, reason, pointer))
    seen = _seen_digests(conn, events)
    contexts = _store_contexts(conn, {event.store_id for event in events})
    _preload(ws, parsed)
    for item in parsed:
        event = item.event
        if (event.store_id, event.digest) in seen:
            outcomes.append(Outcome(event.seq, DUPLICATE, "the same event was applied before"))
            continue
        currency, double_opt_in = contexts[event.store_id]
        ctx = EventContext(
            store_id=event.store_id,
            store_currency=currency,
            double_opt_in=double_opt_in,
            event_time=event.event_time,
            seq=event.seq,
            source=event.source,
            visitor_id=event.headers.get("x-visitor-id"),
        )
        result = apply_payload(ws, ctx, item.topic, event.event_type, item.payload, item.body)
        stale_reason = "a newer version is already stored" if result == STALE else None
        outcomes.append(Outcome(event.seq, result, stale_reason))
        seen.add((event.store_id, event.digest))
    flush(ws)
    return outcomes
