"""Consent changes that meet in one batch of the applier leave the newest standing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from tests.rawevents import webhook_event
from winback.apply.applier import Applier
from winback.intake.rawlog import append_events
from winback.storage import reads
from winback.stores.service import create_store

AT = datetime(2026, 1, 1, tzinfo=UTC)
EMAIL = "cy@example.com"


def _deliver(engine: Engine, store_id: str, changes: list[tuple[str, int]]) -> None:
    events = [
        webhook_event(
            store_id, f"newsletter/{kind}", {"email": EMAIL}, at=AT + timedelta(minutes=m)
        )
        for kind, m in changes
    ]
    append_events(engine, events)
    Applier(engine, batch_size=100).drain()  # (all of them in one batch)


def _suppressions(engine: Engine, store_id: str) -> list[str]:
    with engine.connect() as conn:
        return reads.suppression_types(conn, store_id, [EMAIL]).get(EMAIL, [])


def test_a_stored_unsubscribe_lifted_twice_in_one_batch_is_gone(private_engine: Engine) -> None:
    store_id = create_store(private_engine, name="consent")[0].id
    _deliver(private_engine, store_id, [("unsubscribe", 0)])
    # When a batch subscribes, unsubscribes and subscribes the address again
    _deliver(private_engine, store_id, [("subscribe", 1), ("unsubscribe", 2), ("subscribe", 3)])
    # Then the newest, a subscribe, stands
    assert _suppressions(private_engine, store_id) == []


def test_a_stored_unsubscribe_lifted_and_made_again_in_one_batch_stays(
    private_engine: Engine,
) -> None:
    store_id = create_store(private_engine, name="consent")[0].id
    _deliver(private_engine, store_id, [("unsubscribe", 0)])
    # When a batch subscribes and unsubscribes the address (written over the stored row)
    _deliver(private_engine, store_id, [("subscribe", 1), ("unsubscribe", 2)])
    # Then it is unsubscribed, as of the newer change
    assert _suppressions(private_engine, store_id) == ["unsubscribed"]
