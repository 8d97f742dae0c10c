"""SQL for coupon codes: record one before the store is called, settle it, list, mark used."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from winback.coupons.model import PENDING, USED, Coupon
from winback.storage.reads import CursorScope, decode_cursor, page_of
from winback.storage.schema import coupons


class CodeTaken(Exception):
    """The code already exists in this store (the unique index said so)."""


@dataclass(frozen=True)
class CouponUse:
    """An order that carried a code: which store, which code, which order, when."""

    store_id: str
    code: str
    order_id: str
    at: datetime


def _coupon(row: Any) -> Coupon:
    return Coupon(
        id=row.id,
        store_id=row.store_id,
        code=row.code,
        rule_id=row.rule_id,
        email=row.email,
        expires_at=row.expires_at,
        issued_at=row.issued_at,
        status=row.status,
        error=row.error,
        attempts=row.attempts,
        used_at=row.used_at,
        used_order_id=row.used_order_id,
    )


def record_pending(
    engine: Engine,
    *,
    store_id: str,
    code: str,
    rule_id: str,
    email: str | None,
    expires_at: datetime | None,
    issued_at: datetime,
) -> Coupon:
    """Keep the code before the store hears of it; raise ``CodeTaken`` if it exists."""
    try:
        with engine.begin() as conn:
            new_id = conn.execute(
                insert(coupons)
                .values(
                    store_id=store_id,
                    code=code,
                    rule_id=rule_id,
                    email=email,
                    expires_at=expires_at,
                    issued_at=issued_at,
                    status=PENDING,
                    attempts=0,
                )
                .returning(coupons.c.id)
            ).scalar_one()
    except IntegrityError:
        raise CodeTaken(code) from None
    return get(engine, store_id, int(new_id))


def settle(
    engine: Engine, store_id: str, coupon_id: int, *, status: str, error: str | None, attempts: int
) -> Coupon:
    """Record how the call to the store ended. A code already marked used stays used."""
    with engine.begin() as conn:
        conn.execute(
            update(coupons)
            .where(
                coupons.c.store_id == store_id,
                coupons.c.id == coupon_id,
                coupons.c.status != USED,
            )
            .values(status=status, error=error, attempts=attempts)
        )
    return get(engine, store_id, coupon_id)


def get(engine: Engine, store_id: str, coupon_id: int) -> Coupon:
    with engine.connect() as conn:
        row = conn.execute(
            select(coupons).where(coupons.c.store_id == store_id, coupons.c.id == coupon_id)
        ).one()
    return _coupon(row)


def page(
    engine: Engine,
    store_id: str,
    *,
    email: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Coupon], str | None]:
    """Coupons of a store, newest first, filtered by email and status."""
    query = select(coupons).where(coupons.c.store_id == store_id)
    if email is not None:
        query = query.where(coupons.c.email == email)
    if status is not None:
        query = query.where(coupons.c.status == status)
    scope: CursorScope = ("coupons", store_id, email, status)
    if cursor is not None:
        query = query.where(coupons.c.id < decode_cursor(cursor, scope, int)[0])
    with engine.connect() as conn:
        newest_first = query.order_by(coupons.c.id.desc())
        rows, next_cursor = page_of(conn, newest_first, limit, scope, lambda row: [row.id])
    return [_coupon(row) for row in rows], next_cursor


def mark_used(conn: Connection, uses: Iterable[CouponUse]) -> None:
    """Mark codes carried by orders as used, inside the apply transaction.

    Only the first order that carried a code is recorded, so applying the same
    order again (a duplicate, a replay) changes nothing.
    """
    rows = [
        {"b_store": use.store_id, "b_code": use.code, "b_order": use.order_id, "b_at": use.at}
        for use in uses
    ]
    if not rows:
        return
    conn.execute(
        update(coupons)
        .where(
            coupons.c.store_id == bindparam("b_store"),
            coupons.c.code == bindparam("b_code"),
            coupons.c.status != USED,
        )
        .values(status=USED, used_at=bindparam("b_at"), used_order_id=bindparam("b_order")),
        rows,
    )
