"""An order applied again as it is stored: logged as a duplicate, and nothing of it written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from winback.apply.direct import apply_direct
from winback.apply.item import ApplyItem
from winback.intake.topics import Topic
from winback.orders.payloads import OrderPayload
from winback.storage.schema import customers

AT = datetime(2026, 11, 1, tzinfo=UTC)
WRITES = ("INSERT", "UPDATE", "DELETE")


def _order(store_id: str, status: str = "paid") -> ApplyItem:
    payload = OrderPayload.model_validate(
        {
            "id": "O1",
            "created_at": AT,
            "updated_at": AT,
            "status": status,
            "customer": {"id": "C1", "email": "ada@example.com"},
            "line_items": [
                {"product_id": "P1", "name": "Mug", "price": "12.45"},
                {"product_id": "P2", "name": "Cup", "price": "3.00", "quantity": 2},
            ],
        }
    )
    return ApplyItem(store_id, Topic.ORDER_UPDATE, "orders/update", payload, {}, AT, "csv")


@pytest.fixture
def written_tables(engine: Engine) -> Iterator[list[str]]:
    """The tables each write statement sent names (its first line)."""
    sent: list[str] = []

    def heard(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        words = statement.split()
        if words and words[0].upper() in WRITES:
            table = words[2] if words[0].upper() != "UPDATE" else words[1]
            sent.append(table.strip('"'))

    event.listen(engine, "before_cursor_execute", heard)
    yield sent
    event.remove(engine, "before_cursor_execute", heard)


def test_the_same_order_again_writes_neither_it_nor_its_lines_nor_their_products(
    engine: Engine, store_id: str, written_tables: list[str]
) -> None:
    assert apply_direct(engine, [_order(store_id)]) == ["applied"]
    assert {"orders", "order_lines", "products"} <= set(written_tables)
    written_tables.clear()

    outcomes = apply_direct(engine, [_order(store_id)])

    assert outcomes == ["duplicate"]
    assert not {"orders", "order_lines", "products"} & set(written_tables)


def test_the_same_order_with_one_field_changed_is_written_again(
    engine: Engine, store_id: str, written_tables: list[str]
) -> None:
    apply_direct(engine, [_order(store_id)])
    written_tables.clear()

    outcomes = apply_direct(engine, [_order(store_id, status="refunded")])

    assert outcomes == ["applied"]
    assert {"orders", "order_lines"} <= set(written_tables)


def test_an_order_older_than_its_buyers_last_mention_still_records_the_purchase(
    engine: Engine, store_id: str
) -> None:
    # given the buyer stored as of a newer order (nothing of the profile will change)
    apply_direct(engine, [_order(store_id)])
    older = OrderPayload.model_validate(
        {
            "id": "O0",
            "created_at": AT - timedelta(days=2),
            "updated_at": AT - timedelta(days=1),
            "customer": {"id": "C1", "email": "ada@example.com"},
            "line_items": [{"product_id": "P1", "name": "Mug", "price": "12.45"}],
        }
    )

    # when an older order of the same buyer arrives, in a batch of its own
    item = ApplyItem(store_id, Topic.ORDER_UPDATE, "orders/update", older, {}, AT, "csv")
    assert apply_direct(engine, [item]) == ["applied"]

    # then the buyer's stored record holds that purchase too
    with engine.connect() as conn:
        data = conn.execute(
            select(customers.c.data).where(
                customers.c.store_id == store_id, customers.c.external_id == "C1"
            )
        ).scalar_one()
    assert set(data["_purchases"]) == {"O1", "O0"}
