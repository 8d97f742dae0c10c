"""Read queries for the API: every one takes the store id and filters by it."""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Select, Text, and_, literal, or_, select

from winback.carts.model import Cart
from winback.catalog.model import Product
from winback.errors import InvalidPayload
from winback.fields import email_as_stored
from winback.intake.topics import Topic, topic_for
from winback.orders.model import Order
from winback.shoppers.model import Customer
from winback.storage.engine import folded
from winback.storage.rows import from_row
from winback.storage.schema import carts, customers, orders, products, raw_events, suppressions

# A cursor names the list it pages: the route, the store and the filters, as a short
# mark of them before its values. A cursor passed to another list (another filter,
# another store's key, another route) would page from a place that list never had.
CursorScope = tuple[str | None, ...]


def _scope_mark(scope: CursorScope) -> str:
    return hashlib.blake2s(orjson.dumps(scope), digest_size=6).hexdigest()


def encode_cursor(values: list[Any], scope: CursorScope) -> str:
    """The cursor of the page after ``values``, in the list ``scope`` names."""
    return base64.urlsafe_b64encode(orjson.dumps([_scope_mark(scope), *values])).decode()


# What the databases' BIGINT holds: a larger number in a cursor is none this API gave.
_BIGINT = range(-(2**63), 2**63)


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    if not isinstance(value, kind) or isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value in _BIGINT
    # (PostgreSQL refuses a NUL in text, in a query's parameters too)
    return not isinstance(value, str) or "\x00" not in value


def decode_cursor(cursor: str, scope: CursorScope, *shape: type | tuple[type, ...]) -> list[Any]:
    """The values of a cursor this API gave out for the list ``scope`` names, each
    checked against ``shape``.

    A cursor is opaque to clients, but it arrives from outside: one of the wrong
    shape is refused here rather than failing (or silently matching) in a query.
    """
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, orjson.JSONDecodeError):
        values = None
    if (
        not isinstance(values, list)
        or len(values) != len(shape) + 1
        or not all(_is(value, kind) for value, kind in zip(values[1:], shape, strict=True))
    ):
        raise InvalidPayload(
            "the cursor is not one this API gave out", code="invalid_cursor", parameter="cursor"
        )
    if values[0] != _scope_mark(scope):
        raise InvalidPayload(
            "the cursor pages another list (another route, filter or store): pass a cursor"
            " back with the same parameters it came with, or start without one",
            code="invalid_cursor",
            parameter="cursor",
        )
    return values[1:]


def page_of(
    conn: Connection,
    query: Select[Any],
    limit: int,
    scope: CursorScope,
    cursor_values: Callable[[Any], list[Any]],
) -> tuple[list[Any], str | None]:
    """The first ``limit`` rows of ``query`` (ordered, and past the cursor already),
    and the cursor of the page after them: one more row is read to tell if there is
    one."""
    rows = conn.execute(query.limit(limit + 1)).all()
    if len(rows) <= limit:
        return list(rows), None
    return list(rows[:limit]), encode_cursor(cursor_values(rows[limit - 1]), scope)


def cursor_time(text: str) -> datetime | None:
    """A time a cursor holds, in UTC; None if the API cannot have given it out (no
    zone, or out of range once in UTC: either would fail the query)."""
    try:
        at = datetime.fromisoformat(text)
        return at.astimezone(UTC) if at.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


def customer(conn: Connection, store_id: str, external_id: str) -> Customer | None:
    row = conn.execute(
        select(customers).where(
            customers.c.store_id == store_id, customers.c.external_id == external_id
        )
    ).first()
    return from_row(Customer, row) if row else None


def customers_by_email(conn: Connection, store_id: str, email: str) -> list[Customer]:
    """All the store's customers with ``email`` (in any case)."""
    return customers_page(conn, store_id, None, MAX_CUSTOMERS_BY_EMAIL, email)[0]


def customer_by_uid(conn: Connection, store_id: str, uid: str) -> Customer | None:
    row = conn.execute(
        select(customers).where(customers.c.store_id == store_id, customers.c.uid == uid)
    ).first()
    return from_row(Customer, row) if row else None


# (many customers may share an address, each under its own id; not without bound)
MAX_CUSTOMERS_BY_EMAIL = 1000


def customers_page(
    conn: Connection, store_id: str, cursor: str | None, limit: int, email: str | None = None
) -> tuple[list[Customer], str | None]:
    """A page of the store's customers (those with ``email``, in any case, if given)."""
    scope: CursorScope = ("customers", store_id, email and email_as_stored(email))
    query = select(customers).where(customers.c.store_id == store_id).order_by(customers.c.uid)
    if email is not None:
        query = query.where(customers.c.email == email_as_stored(email))
    if cursor:
        query = query.where(customers.c.uid > decode_cursor(cursor, scope, str)[0])
    rows, next_cursor = page_of(conn, query, limit, scope, lambda row: [row.uid])
    return [from_row(Customer, row) for row in rows], next_cursor


def suppression_types(conn: Connection, store_id: str, emails: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    if emails:
        rows = conn.execute(
            select(suppressions.c.email, suppressions.c.type)
            .where(suppressions.c.store_id == store_id, suppressions.c.email.in_(emails))
            .order_by(suppressions.c.type)
        )
        for row in rows:
            found[row.email].append(row.type)
    return found


def suppressions_page(
    conn: Connection, store_id: str, email: str | None, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """The list in (email, type) order, or one address's entries, a page at a time."""
    query = select(suppressions).where(suppressions.c.store_id == store_id)
    if email is not None:
        query = query.where(suppressions.c.email == email_as_stored(email))
    scope: CursorScope = ("suppressions", store_id, email and email_as_stored(email))
    columns = [suppressions.c.email, suppressions.c.type]
    query = _keyset(query, columns, cursor, scope).order_by(*columns)
    return page_of(conn, query, limit, scope, lambda row: [row.email, row.type])


def order(conn: Connection, store_id: str, external_id: str) -> Order | None:
    row = conn.execute(
        select(orders).where(orders.c.store_id == store_id, orders.c.external_id == external_id)
    ).first()
    return from_row(Order, row) if row else None


def _keyset(
    query: Select[Any], columns: list[Any], cursor: str | None, scope: CursorScope
) -> Select[Any]:
    """The rows after the cursor's, in ascending order of two text columns."""
    if not cursor:
        return query
    first, second = columns
    value_first, value_second = decode_cursor(cursor, scope, str, str)
    return query.where(or_(first > value_first, and_(first == value_first, second > value_second)))


def orders_page(
    conn: Connection, store_id: str, customer_uid: str | None, cursor: str | None, limit: int
) -> tuple[list[Order], str | None]:
    query = select(orders).where(orders.c.store_id == store_id)
    if customer_uid is not None:
        query = query.where(orders.c.customer_uid == customer_uid)
    scope: CursorScope = ("orders", store_id, customer_uid)
    columns = [orders.c.external_id, orders.c.uid]
    query = _keyset(query, columns, cursor, scope).order_by(*columns)
    rows, next_cursor = page_of(conn, query, limit, scope, lambda row: [row.external_id, row.uid])
    return [from_row(Order, row) for row in rows], next_cursor


def product(conn: Connection, store_id: str, external_id: str) -> Product | None:
    row = conn.execute(
        select(products).where(
            products.c.store_id == store_id, products.c.external_id == external_id
        )
    ).first()
    return from_row(Product, row) if row else None


def cart(conn: Connection, store_id: str, external_id: str) -> Cart | None:
    row = conn.execute(
        select(carts).where(carts.c.store_id == store_id, carts.c.external_id == external_id)
    ).first()
    return from_row(Cart, row) if row else None


def events_page(
    conn: Connection,
    store_id: str,
    event_type: str | None,
    outcome: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    query = select(raw_events).where(raw_events.c.store_id == store_id)
    if event_type:
        query = query.where(_of_type(event_type))
    if outcome:
        query = query.where(raw_events.c.outcome == outcome)
    scope: CursorScope = ("events", store_id, event_type, outcome)
    if cursor:
        query = query.where(raw_events.c.seq < decode_cursor(cursor, scope, int)[0])
    return page_of(conn, query.order_by(raw_events.c.seq.desc()), limit, scope, lambda r: [r.seq])


def _of_type(event_type: str) -> ColumnElement[bool]:
    """Events of ``event_type`` as the intake reads it (``intake/topics.py``): a known type
    or alias means its topic, whichever name and case the sender used; another (custom)
    type means that name in any case."""
    topic = topic_for(event_type)
    if topic is not Topic.CUSTOM:
        return raw_events.c.topic == topic.value
    name = event_type.strip()
    # (both sides folded by the database, as the same function folds them)
    return or_(
        raw_events.c.event_type == name,
        folded(raw_events.c.event_type) == folded(literal(name, Text)),
    )
