"""A shopper's timeline: activities, carts and orders in one list, newest first.

Each kind is read with its own indexed query, then merged. The order is
(time, kind, key) descending, and the cursor is the last entry's triple, so a
page boundary falls cleanly even between entries of the same time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, or_, select, true

from winback.carts.model import Cart
from winback.errors import InvalidPayload
from winback.orders.model import Order
from winback.storage.reads import CursorScope, cursor_time, decode_cursor, encode_cursor
from winback.storage.rows import from_row
from winback.storage.schema import activities, carts, orders

ACTIVITY = "activity"
CART = "cart"
ORDER = "order"


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    at: datetime
    key: Any  # the activity's id, the cart's or order's uid: unique within a kind
    item: Any  # an activities row, a Cart or an Order

    @property
    def position(self) -> tuple[datetime, str, Any]:
        return (self.at, self.kind, self.key)


@dataclass(frozen=True)
class _Cursor:
    at: datetime
    kind: str
    key: Any


# Each kind's key: an activity's number, a cart's or an order's uid.
_KEY_TYPES: dict[str, type] = {ACTIVITY: int, CART: str, ORDER: str}


def _cursor(cursor: str | None, scope: CursorScope) -> _Cursor | None:
    if not cursor:
        return None
    at_text, kind, key = decode_cursor(cursor, scope, str, str, (str, int))
    at = cursor_time(at_text)
    # (a key of the wrong type would reach the query: PostgreSQL refuses comparing it)
    if at is None or not isinstance(key, _KEY_TYPES.get(kind, type(None))):
        raise InvalidPayload(
            "the cursor is not one this API gave out", code="invalid_cursor", parameter="cursor"
        )
    return _Cursor(at, kind, key)


def _after(
    kind: str, at: ColumnElement[Any], key: ColumnElement[Any], cursor: _Cursor | None
) -> ColumnElement[bool]:
    """Rows of ``kind`` that come after the cursor in (time, kind, key) descending order."""
    if cursor is None:
        return true()
    if kind < cursor.kind:
        return at <= cursor.at
    if kind > cursor.kind:
        return at < cursor.at
    return or_(at < cursor.at, and_(at == cursor.at, key < cursor.key))


def _page(conn: Connection, query: Select[Any], limit: int) -> list[Any]:
    return list(conn.execute(query.limit(limit + 1)))


def timeline_page(
    conn: Connection, store_id: str, customer_uid: str, cursor: str | None, limit: int
) -> tuple[list[TimelineEntry], str | None]:
    """One page of the shopper's timeline and the cursor of the next (None at the end)."""
    scope: CursorScope = ("timeline", store_id, customer_uid)
    after = _cursor(cursor, scope)
    a, c, o = activities.c, carts.c, orders.c
    activity_rows = _page(
        conn,
        select(activities)
        .where(a.store_id == store_id, a.customer_uid == customer_uid)
        .where(_after(ACTIVITY, a.occurred_at, a.id, after))
        .order_by(a.occurred_at.desc(), a.id.desc()),
        limit,
    )
    cart_rows = _page(
        conn,
        select(carts)
        .where(c.store_id == store_id, c.customer_uid == customer_uid)
        .where(_after(CART, c.version_at, c.uid, after))
        .order_by(c.version_at.desc(), c.uid.desc()),
        limit,
    )
    order_rows = _page(
        conn,
        select(orders)
        .where(o.store_id == store_id, o.customer_uid == customer_uid)
        .where(_after(ORDER, o.created_at, o.uid, after))
        .order_by(o.created_at.desc(), o.uid.desc()),
        limit,
    )
    entries = [TimelineEntry(ACTIVITY, row.occurred_at, row.id, row) for row in activity_rows]
    entries += [
        TimelineEntry(CART, row.version_at, row.uid, from_row(Cart, row)) for row in cart_rows
    ]
    entries += [
        TimelineEntry(ORDER, row.created_at, row.uid, from_row(Order, row)) for row in order_rows
    ]
    entries.sort(key=lambda entry: entry.position, reverse=True)
    if len(entries) <= limit:
        return entries, None
    last = entries[limit - 1]
    return entries[:limit], encode_cursor([last.at.isoformat(), last.kind, last.key], scope)
