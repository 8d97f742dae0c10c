"""A cart bought by a guest whose contact is merged into a customer in the same batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.rawevents import webhook_event
from winback.apply.applier import Applier
from winback.intake.rawlog import RawEvent, append_events
from winback.storage.schema import carts
from winback.stores.service import create_store

AT = datetime(2026, 1, 1, tzinfo=UTC)
LINES = [{"product_id": "p1", "quantity": 1, "price": "1.00"}]


def _at(minutes: int) -> datetime:
    return AT + timedelta(minutes=minutes)


def _events(store_id: str) -> list[RawEvent]:
    order = {"id": "o1", "email": "g@example.com", "line_items": LINES, "total_price": "1.00"}
    deliveries: list[tuple[str, dict[str, Any], int]] = [
        ("carts/update", {"id": "k1", "email": "g@example.com", "line_items": LINES}, 1),
        ("orders/create", order | {"created_at": _at(2).isoformat()}, 2),
        ("customers/update", {"id": "c1", "email": "g@example.com"}, 3),
    ]
    return [
        webhook_event(store_id, kind, body | {"updated_at": _at(m).isoformat()}, at=_at(m))
        for kind, body, m in deliveries
    ]


@pytest.mark.parametrize("batch_size", [1, 100], ids=["one by one", "in one batch"])
def test_the_guests_cart_is_converted_whether_or_not_the_merge_meets_it_in_a_batch(
    private_engine: Engine, batch_size: int
) -> None:
    store_id = create_store(private_engine, name="carts")[0].id
    # c1 is known by another address first
    known = {"id": "c1", "email": "old@example.com", "updated_at": AT.isoformat()}
    append_events(private_engine, [webhook_event(store_id, "customers/update", known, at=AT)])
    Applier(private_engine).drain()

    # a guest cart, the guest's order after it, then c1 taking the guest's address
    append_events(private_engine, _events(store_id))
    Applier(private_engine, batch_size=batch_size).drain()

    with private_engine.connect() as conn:
        status = conn.execute(
            select(carts.c.status).where(carts.c.store_id == store_id, carts.c.external_id == "k1")
        ).scalar_one()
    assert status == "converted"
