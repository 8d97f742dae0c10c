"""Bulk batches on one connection: a batch's products carried to the next, never stale."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

import winback.apply.batch
from winback.apply.direct import BulkApplier, apply_direct
from winback.apply.item import ApplyItem
from winback.catalog.payloads import ProductPayload
from winback.intake.topics import Topic
from winback.orders.payloads import OrderPayload
from winback.storage.flush import flush as real_flush
from winback.storage.schema import products

AT = datetime(2026, 11, 1, tzinfo=UTC)


def _order(store_id: str, number: int, title: str) -> ApplyItem:
    at = AT + timedelta(days=number)
    payload = OrderPayload.model_validate(
        {
            "id": f"O{number}",
            "created_at": at,
            "email": "ada@example.com",
            "line_items": [{"product_id": "P1", "name": title, "price": "12.45"}],
        }
    )
    return ApplyItem(store_id, Topic.ORDER_CREATE, "orders/create", payload, {}, at, "csv")


def _product_event(store_id: str, title: str) -> ApplyItem:
    payload = ProductPayload.model_validate({"id": "P1", "title": title})
    at = AT + timedelta(days=30)
    return ApplyItem(store_id, Topic.PRODUCT_UPDATE, "products/update", payload, {}, at, "webhook")


@pytest.fixture
def bulk(engine: Engine) -> Iterator[BulkApplier]:
    applier = BulkApplier(engine)
    yield applier
    applier.close()


@pytest.fixture
def product_reads(engine: Engine) -> Iterator[list[str]]:
    """The statements that read the products table, as sent."""
    sent: list[str] = []

    def heard(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM products" in statement:
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", heard)
    yield sent
    event.remove(engine, "before_cursor_execute", heard)


def _title(engine: Engine, store_id: str) -> str | None:
    with engine.connect() as conn:
        title: str | None = conn.execute(
            select(products.c.title).where(
                products.c.store_id == store_id, products.c.external_id == "P1"
            )
        ).scalar_one()
    return title


def test_a_change_made_elsewhere_between_batches_is_read_not_overwritten(
    engine: Engine, store_id: str, bulk: BulkApplier
) -> None:
    # given a product created by a bulk batch's line
    bulk.apply([_order(store_id, 1, "Mug")])
    # and then described by the store itself, through another connection
    apply_direct(engine, [_product_event(store_id, "Cup")])

    # when the next batch names it in a newer line
    bulk.apply([_order(store_id, 2, "Mug, newer")])

    # then the store's description stands: the batch read the product as it is now
    assert _title(engine, store_id) == "Cup"


def test_the_products_a_batch_left_are_read_again_only_where_the_database_cannot_vouch(
    engine: Engine, store_id: str, bulk: BulkApplier, product_reads: list[str]
) -> None:
    bulk.apply([_order(store_id, 1, "Mug")])
    read_by_first = len(product_reads)

    bulk.apply([_order(store_id, 2, "Mug, newer")])

    # SQLite tells that no one else wrote, so the second batch takes the product as
    # the first left it; PostgreSQL cannot tell, so each batch reads it
    read_by_second = len(product_reads) - read_by_first
    assert read_by_first > 0
    assert read_by_second == (0 if engine.dialect.name == "sqlite" else read_by_first)
    assert _title(engine, store_id) == "Mug, newer"


def test_a_batch_that_fails_leaves_nothing_to_carry(
    engine: Engine,
    store_id: str,
    bulk: BulkApplier,
    product_reads: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a batch applied, then one whose write fails after it changed the product
    bulk.apply([_order(store_id, 1, "Mug")])

    def failing(_ws: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(winback.apply.batch, "flush", failing)
    with pytest.raises(RuntimeError):
        bulk.apply([_order(store_id, 2, "Never stored")])
    monkeypatch.setattr(winback.apply.batch, "flush", real_flush)
    reads_before = len(product_reads)

    # when the next batch runs
    bulk.apply([_order(store_id, 3, "Mug, again")])

    # then it read the product from the database, where the failed batch left no trace
    assert len(product_reads) > reads_before
    assert _title(engine, store_id) == "Mug, again"
