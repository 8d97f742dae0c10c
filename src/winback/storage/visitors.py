"""The visitors table: load and write visitors, and claim an identified visitor's past."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from winback.storage.rows import from_row, to_row
from winback.storage.schema import activities, carts, visitors
from winback.tracking.model import Visitor, VisitorClaim

_CHUNK = 500


def load_visitors(conn: Connection, store_id: str, visitor_ids: Iterable[str]) -> list[Visitor]:
    wanted = sorted(set(visitor_ids))
    found: list[Visitor] = []
    for start in range(0, len(wanted), _CHUNK):
        rows = conn.execute(
            select(visitors).where(
                visitors.c.store_id == store_id,
                visitors.c.visitor_id.in_(wanted[start : start + _CHUNK]),
            )
        )
        found.extend(from_row(Visitor, row) for row in rows)
    return found


def write_visitors(conn: Connection, new: list[Visitor], changed: list[Visitor]) -> None:
    if new:
        conn.execute(insert(visitors), [to_row(visitor) for visitor in new])
    if changed:
        conn.execute(
            update(visitors)
            .where(
                visitors.c.store_id == bindparam("b_store"),
                visitors.c.visitor_id == bindparam("b_visitor"),
            )
            .values(
                customer_uid=bindparam("b_customer"),
                first_seen_at=bindparam("b_first"),
                last_seen_at=bindparam("b_last"),
                identified_at=bindparam("b_identified"),
            ),
            [
                {
                    "b_store": v.store_id,
                    "b_visitor": v.visitor_id,
                    "b_customer": v.customer_uid,
                    "b_first": v.first_seen_at,
                    "b_last": v.last_seen_at,
                    "b_identified": v.identified_at,
                }
                for v in changed
            ],
        )


def claim_for_visitors(conn: Connection, claims: list[VisitorClaim]) -> None:
    """Give each identified visitor's unowned activities and carts to its shopper.

    Runs after the batch's own rows are written, so events of the same batch are
    claimed too; rows that already belong to someone are left where they are.
    """
    if not claims:
        return
    params: list[dict[str, str | None]] = [
        {"b_store": c.store_id, "b_visitor": c.visitor_id, "b_customer": c.customer_uid}
        for c in claims
    ]
    conn.execute(
        update(activities)
        .where(
            activities.c.store_id == bindparam("b_store"),
            activities.c.visitor_id == bindparam("b_visitor"),
            activities.c.customer_uid.is_(None),
        )
        .values(customer_uid=bindparam("b_customer")),
        params,
    )
    conn.execute(
        update(carts)
        .where(
            carts.c.store_id == bindparam("b_store"),
            carts.c.visitor_id == bindparam("b_visitor"),
            carts.c.customer_uid.is_(None),
        )
        .values(customer_uid=bindparam("b_customer")),
        params,
    )


def unlink_erased(conn: Connection, store_id: str, customer_uid: str, at: datetime) -> None:
    """An erased shopper's browsers become anonymous again (unless identified after it)."""
    conn.execute(
        update(visitors)
        .where(
            visitors.c.store_id == store_id,
            visitors.c.customer_uid == customer_uid,
            visitors.c.identified_at <= at,
        )
        .values(customer_uid=None, identified_at=None)
    )
