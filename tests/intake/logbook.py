"""Read a store's integration log and make more stores: what the contract tests share."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from tests.conftest import LiveServer, StoreClient
from winback.storage.schema import raw_events
from winback.stores.service import create_store


def log_entries(store: StoreClient, **params: Any) -> list[dict[str, Any]]:
    """The newest entries of the store's integration log (GET /api/v1/events)."""
    response = store.get("/api/v1/events", **params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def log_entry(store: StoreClient, event_id: int) -> dict[str, Any]:
    """The log entry of one delivery, found by the event_id its 200 answer gave."""
    found = [entry for entry in log_entries(store, limit=500) if entry["event_id"] == event_id]
    assert found, f"event {event_id} is not in the log"
    return found[0]


def outcomes(store: StoreClient) -> list[str]:
    """Every outcome in the log, oldest first."""
    return [entry["outcome"] for entry in reversed(log_entries(store, limit=500))]


def stored_body(engine: Engine, event_id: int) -> bytes:
    """The raw bytes kept for a delivery (the read API shows bodies of rejections only)."""
    with engine.connect() as conn:
        body = conn.execute(select(raw_events.c.body).where(raw_events.c.seq == event_id))
        return bytes(body.scalar_one())


def unix_seconds(iso: str) -> str:
    """An ``x-event-time`` header value for an ISO 8601 time with a zone."""
    return str(int(datetime.fromisoformat(iso).timestamp()))


def another_store(server: LiveServer, engine: Engine) -> StoreClient:
    created, key = create_store(engine, name="Other store " + secrets.token_hex(3))
    return StoreClient(server, created.id, key)
