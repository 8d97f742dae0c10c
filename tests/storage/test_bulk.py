"""``execute_many`` writes what SQLAlchemy's own executemany would, on both databases."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from winback.storage import bulk
from winback.storage.bulk import execute_many
from winback.storage.schema import markers, products
from winback.stores.service import create_store

AT = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture(autouse=True)
def every_row_count_takes_the_driver_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests write a few rows; the driver path is the one under test.
    monkeypatch.setattr(bulk, "MIN_ROWS", 0)


@pytest.fixture
def store_id(engine: Engine) -> str:
    created, _ = create_store(engine, name="Bulk store " + secrets.token_hex(3))
    return created.id


def _product(store_id: str, number: int) -> dict[str, Any]:
    return {
        "uid": secrets.token_hex(16),
        "store_id": store_id,
        "external_id": f"P{number}",
        "title": f"Product {number} ünïcode",
        "price": Decimal("129.9") + number,
        "sale_price": None,
        "status": "active",
        "categories": [{"code": None, "name": "Home > Kitchen"}],
        "images": [],
        "variants": [{"id": f"V{number}", "price": "1.10"}],
        "tags": ["a"],
        "data": {"note": "x"},
        "source": "feed",
        "created_at": AT + timedelta(days=number),
        "version_at": AT,
    }


def _prices(engine: Engine, store_id: str, *where: ColumnElement[bool]) -> dict[str, Decimal]:
    """The store's stored prices by product id (of the products ``where`` picks)."""
    with engine.connect() as conn:
        query = select(products.c.external_id, products.c.price)
        rows = conn.execute(query.where(products.c.store_id == store_id, *where)).all()
    return {external_id: price for external_id, price in rows}


def test_inserted_rows_read_back_with_their_types(engine: Engine, store_id: str) -> None:
    rows = [_product(store_id, number) for number in range(3)]
    with engine.begin() as conn:
        execute_many(conn, insert(products), rows)
    with engine.connect() as conn:
        stored = conn.execute(
            select(products).where(products.c.store_id == store_id).order_by(products.c.title)
        ).all()
    assert len(stored) == 3
    for row, expected in zip(stored, rows, strict=True):
        for name, value in expected.items():
            assert getattr(row, name) == value, name
    assert stored[0].price == Decimal("129.9000")  # exact, not a float, on SQLite too
    assert stored[0].created_at.tzinfo is not None


def test_constants_of_the_statement_are_kept_beside_the_rows(engine: Engine, store_id: str) -> None:
    with engine.begin() as conn:
        execute_many(conn, insert(products), [_product(store_id, n) for n in range(4)])
        # The status in the WHERE clause is the statement's own bound constant.
        execute_many(
            conn,
            update(products)
            .where(
                products.c.store_id == bindparam("b_store"),
                products.c.external_id == bindparam("b_id"),
                products.c.status == "active",
            )
            .values(status="unavailable", price=bindparam("b_price")),
            [
                {"b_store": store_id, "b_id": "P1", "b_price": Decimal("5.55")},
                {"b_store": store_id, "b_id": "P3", "b_price": Decimal("0.01")},
            ],
        )
    unavailable = _prices(engine, store_id, products.c.status == "unavailable")
    assert unavailable == {"P1": Decimal("5.5500"), "P3": Decimal("0.0100")}


def test_a_column_left_to_its_python_default_gets_it(engine: Engine, store_id: str) -> None:
    row = _product(store_id, 9)
    for name in ("categories", "images", "variants", "tags", "data"):
        del row[name]
    with engine.begin() as conn:
        execute_many(conn, insert(products), [row])
    with engine.connect() as conn:
        stored = conn.execute(select(products).where(products.c.uid == row["uid"])).one()
    assert (stored.categories, stored.data) == ([], {})


def test_no_rows_runs_nothing(engine: Engine, store_id: str) -> None:
    with engine.begin() as conn:
        execute_many(conn, insert(markers), [])
        count = conn.execute(select(markers.c.key).where(markers.c.store_id == store_id)).all()
    assert count == []


def test_a_refused_row_fails_the_statement_and_the_transaction_keeps_nothing(
    engine: Engine, store_id: str
) -> None:
    rows = [
        {"store_id": store_id, "kind": "k", "key": "same", "at": AT},
        {"store_id": store_id, "kind": "k", "key": "same", "at": AT},
    ]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        execute_many(conn, insert(markers), rows)
    with engine.connect() as conn:
        kept = conn.execute(select(markers.c.key).where(markers.c.store_id == store_id)).all()
    assert kept == []


def test_a_small_batch_goes_through_sqlalchemy_and_writes_the_same(
    engine: Engine, store_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "MIN_ROWS", 100)
    rows = [_product(store_id, number) for number in range(2)]
    with engine.begin() as conn:
        execute_many(conn, insert(products), rows)
    assert _prices(engine, store_id) == {"P0": Decimal("129.9000"), "P1": Decimal("130.9000")}


def test_a_named_shape_is_compiled_once_and_writes_every_call_right(
    engine: Engine, store_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "MIN_ROWS", 100)  # (a named shape takes the driver path anyway)
    compiled: list[object] = []
    plan = bulk._plan

    def counted(*args: Any) -> Any:
        compiled.append(args)
        return plan(*args)

    monkeypatch.setattr(bulk, "_plan", counted)
    shape = ("test: price by uid", secrets.token_hex(4))
    rows = [_product(store_id, number) for number in range(3)]
    with engine.begin() as conn:
        execute_many(conn, insert(products), rows)
        for row, price in ((rows[0], Decimal("1.25")), (rows[2], Decimal("7.5"))):
            statement = (
                update(products)
                .where(products.c.uid == bindparam("b_uid"))
                .values(price=bindparam("b_price"))
            )
            execute_many(conn, statement, [{"b_uid": row["uid"], "b_price": price}], shape=shape)
    stored = _prices(engine, store_id)
    assert stored == {"P0": Decimal("1.2500"), "P1": Decimal("130.9000"), "P2": Decimal("7.5000")}
    assert len(compiled) == 1


def test_a_shape_with_other_columns_is_another_plan(engine: Engine, store_id: str) -> None:
    row = _product(store_id, 1)
    shape = ("test: insert", secrets.token_hex(4))
    short = {name: value for name, value in row.items() if name not in ("tags", "data")}
    with engine.begin() as conn:
        execute_many(conn, insert(products), [row], shape=shape)
        execute_many(
            conn,
            insert(products),
            [short | {"uid": secrets.token_hex(16), "external_id": "Q"}],
            shape=shape,
        )
    with engine.connect() as conn:
        stored = conn.execute(
            select(products.c.external_id, products.c.tags, products.c.data)
            .where(products.c.store_id == store_id)
            .order_by(products.c.external_id)
        ).all()
    assert [tuple(r) for r in stored] == [("P1", ["a"], {"note": "x"}), ("Q", [], {})]
