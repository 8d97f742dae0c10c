"""Which version of an order stands when two are of one time: the later event's,
whichever arrives first (a webhook's create and an import, both as of its placing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.apply.histories import deliver, fresh_store
from winback.api.views import order_view
from winback.imports.service import import_orders
from winback.storage.reads import order as stored_order

PLACED = datetime(2026, 11, 1, 10, tzinfo=UTC)
CREATE = {
    "id": "o1",
    "created_at": PLACED.isoformat(),
    "name": "#1001",
    "financial_status": "paid",
    "total_price": "12.00",
}
IMPORTED = (
    "order_id,order_created_at,order_status,order_total,customer_id,customer_email,price\n"
    f"o1,{PLACED.isoformat()},complete,12.00,c1,c1@example.com,12\n"
).encode()


def _shown(engine: Engine, store_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        found = stored_order(conn, store_id, "o1")
    assert found is not None
    return order_view(found, None)


@pytest.mark.parametrize("webhook_first", [True, False])
def test_a_webhooks_create_outlives_an_import_of_the_same_placing_in_either_order(
    engine: Engine, webhook_first: bool
) -> None:
    # given an order's create sent an hour after it was placed, without updated_at, and
    # a history file with the same order (no order_modified_at: as of its placing too)
    store_id = fresh_store(engine)
    webhook = [("orders/create", CREATE, PLACED + timedelta(hours=1))]

    # when both arrive, in either order
    if webhook_first:
        deliver(engine, store_id, webhook)
        summary = import_orders(engine, store_id, IMPORTED)
        assert (summary.imported, summary.unchanged) == (0, 1)
    else:
        import_orders(engine, store_id, IMPORTED)
        deliver(engine, store_id, webhook)

    # then the webhook's version stands: its event is the later one
    shown = _shown(engine, store_id)
    assert (shown["name"], shown["financial_status"]) == ("#1001", "paid")
    assert "_event_at" not in shown


@pytest.mark.parametrize("batch_size", [1, 5])
def test_of_two_creates_of_one_placing_the_later_events_stands_in_either_order(
    engine: Engine, batch_size: int
) -> None:
    # given two creates of one order, no updated_at, sent a minute apart as x-event-time says
    first = ("orders/create", {**CREATE, "financial_status": "pending"}, PLACED)
    second = ("orders/create", CREATE, PLACED + timedelta(minutes=1))
    ends = []
    for deliveries in ([first, second], [second, first]):
        store_id = fresh_store(engine)
        # when they arrive in either order
        deliver(engine, store_id, deliveries, batch_size)
        ends.append(_shown(engine, store_id)["financial_status"])

    # then the later event's version stands both times
    assert ends == ["paid", "paid"]
