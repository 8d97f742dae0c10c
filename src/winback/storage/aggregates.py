"""A shopper's order aggregates: orders count, total spent, average, first and last order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    bindparam,
    case,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.sql.expression import ColumnElement, type_coerce

from winback.fields import MAX_AMOUNT
from winback.storage.bulk import execute_many
from winback.storage.schema import MONEY_PLACES, Money, UTCDateTime, customers, orders, stores

# Each order's total is under MAX_AMOUNT, but a shopper's orders add up without
# bound, and total_spent is a Money column: on SQLite a 64-bit count of
# ten-thousandths, full at 922 trillion. A sum past this is stored as this (and the
# API shows it), so the shopper's batch is applied rather than failed; the average
# is still worked out from the exact sum.
MAX_TOTAL_SPENT = Decimal(9 * MAX_AMOUNT)
# SQLite's sum() of integers fails the whole statement when it overflows 64 bits,
# from the tenth order near MAX_AMOUNT (10**18 ten-thousandths each). It adds each
# total in two parts instead, the 10**8s and what is left: neither sum can overflow
# before a shopper has some 10**9 orders.
_SPLIT = 10**8
_CHUNK = 500

Figures = tuple[int, Decimal, int, datetime | None, datetime | None]
"""Orders, spend, orders in the store's currency (the average's divisor), first and last."""


def aggregate_figures(conn: Connection, due: set[tuple[str, str]]) -> dict[str, Figures]:
    """Orders count, spend and first/last order of each due customer (by uid), computed
    from the orders themselves.

    Recomputing (rather than adding to a running total) is what makes duplicates,
    reordering and replays converge on the same figures. Money is summed in the
    store's currency only: an order in another currency counts as an order (and in
    the first and last order times) but adds nothing to the spend or the average,
    as amounts in two currencies cannot be added without a rate.
    """
    by_store: dict[str, list[str]] = defaultdict(list)
    for store_id, uid in due:
        by_store[store_id].append(uid)
    currencies = _store_currencies(conn, set(by_store))
    figures: dict[str, Figures] = {}
    for store_id, uids in by_store.items():
        for start in range(0, len(uids), _CHUNK):
            chunk = uids[start : start + _CHUNK]
            figures.update(_figures(conn, store_id, currencies.get(store_id), chunk))
    return figures


def figure_columns(figures: Figures) -> dict[str, Any]:
    """The customer's aggregate columns, as stored, for ``figures``."""
    count, total, counted, first, last = figures
    return {
        "orders_count": count,
        "total_spent": max(-MAX_TOTAL_SPENT, min(total, MAX_TOTAL_SPENT)),
        "average_order_value": _average(total, counted),
        "first_order_at": first,
        "last_order_at": last,
    }


def _average(total: Decimal, counted: int) -> Decimal | None:
    """Spend per order, to the ten-thousandth money is kept to; halves round up, as
    money does (Decimal's own default is to the even digit)."""
    if not counted:
        return None
    return (total / counted).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def write_figures(conn: Connection, figures: dict[str, Figures]) -> None:
    """Store the figures of customers whose rows are not otherwise written."""
    rows = [
        {"b_uid": uid} | {"b_" + name: value for name, value in figure_columns(found).items()}
        for uid, found in figures.items()
    ]
    execute_many(
        conn,
        update(customers)
        .where(customers.c.uid == bindparam("b_uid"))
        .values({name: bindparam("b_" + name) for name in _FIGURE_COLUMNS}),
        rows,
    )


_FIGURE_COLUMNS = (
    "orders_count",
    "total_spent",
    "average_order_value",
    "first_order_at",
    "last_order_at",
)


def _store_currencies(conn: Connection, store_ids: set[str]) -> dict[str, str]:
    rows = conn.execute(select(stores.c.id, stores.c.currency).where(stores.c.id.in_(store_ids)))
    return {row.id: row.currency for row in rows}


def _figures(
    conn: Connection, store_id: str, currency: str | None, chunk: list[str]
) -> dict[str, Figures]:
    dialect = conn.dialect.name
    figures: dict[str, Figures] = {uid: (0, Decimal(0), 0, None, None) for uid in chunk}
    in_currency = orders.c.currency == currency
    result = conn.execute(
        select(
            orders.c.customer_uid,
            func.count(),
            func.count(case((in_currency, 1))),
            type_coerce(func.min(orders.c.created_at), UTCDateTime),
            type_coerce(func.max(orders.c.created_at), UTCDateTime),
            *_spent_columns(dialect, in_currency),
        )
        .where(
            # As an expression, the store filter is checked on the customers' orders
            # only: without table statistics SQLite reckons a bare "store_id = ?"
            # more selective than a long IN list, and would read every order of the
            # store through the (store_id, external_id) index for each chunk.
            orders.c.store_id.concat("") == store_id,
            orders.c.customer_uid.in_(chunk),
            orders.c.test.is_(False),
        )
        .group_by(orders.c.customer_uid)
    )
    for uid, count, counted, first, last, *spent in result:
        figures[uid] = (count, _spent(dialect, spent), counted, first, last)
    return figures


def _spent_columns(dialect: str, in_currency: ColumnElement[bool]) -> list[ColumnElement[Any]]:
    """The sum of the totals of the orders in the store's currency: exact on
    PostgreSQL, in two parts on SQLite."""
    if dialect != "sqlite":
        return [type_coerce(func.sum(case((in_currency, orders.c.total_price))), Money)]
    units = type_coerce(orders.c.total_price, BigInteger)
    split = literal_column(str(_SPLIT), BigInteger())
    return [
        func.sum(case((in_currency, units.op("/")(split)))),
        func.sum(case((in_currency, units.op("%")(split)))),
    ]


def _spent(dialect: str, parts: Sequence[Any]) -> Decimal:
    if dialect != "sqlite":
        return Decimal(parts[0] or 0)
    # SQLite's integer / and % truncate alike, so whole * split + rest is the sum.
    whole, rest = parts
    return Decimal((whole or 0) * _SPLIT + (rest or 0)).scaleb(-MONEY_PLACES)
