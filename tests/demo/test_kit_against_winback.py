"""The store kit's outbox against a real winback: a payload winback refuses (400) is parked
as failed with winback's reason, never retried, and the events after it keep flowing."""

from __future__ import annotations

import time
from pathlib import Path

from winback_storekit import Outbox, OutboxSettings

from tests.conftest import StoreClient
from tests.demo.conftest import wait_for


def test_a_refused_event_is_parked_with_the_reason_and_the_rest_flows(
    store: StoreClient, tmp_path: Path
) -> None:
    settings = OutboxSettings(
        base_url=store.server.url,
        store_id=store.store_id,
        api_key=store.api_key,
        path=tmp_path / "outbox.sqlite3",
        backoff_base=0.05,
        backoff_cap=0.2,
        poll_interval=0.05,
    )
    with Outbox(settings) as outbox:
        bad = outbox.send("orders/create", {"id": 1, "email": "ada@example.com"})
        good = outbox.send(
            "orders/create",
            {"id": 2, "created_at": "2026-11-01T10:00:00+00:00", "email": "ada@example.com"},
        )
        later = outbox.send("customers/create", {"id": 9, "email": "bo@example.com"})

        wait_for(lambda: outbox.stats().pending == 0, 20, "the outbox to settle")
        time.sleep(0.5)  # long enough for a retry, were there one

        events = {event.id: event for event in outbox.events()}
        assert events[bad].status == "failed"
        assert events[bad].attempts == 1
        assert "400" in (events[bad].last_error or "")
        assert "/created_at" in (events[bad].last_error or "")
        assert [events[good].status, events[later].status] == ["delivered", "delivered"]
        assert outbox.undelivered() == [events[bad]]
    store.wait_applied()
    assert store.get("/api/v1/orders/2").status_code == 200
    assert store.get("/api/v1/orders/1").status_code == 404
    assert store.get("/api/v1/customers/9").json()["email"] == "bo@example.com"
