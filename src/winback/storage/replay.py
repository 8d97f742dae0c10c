"""Rebuild a store's state from its raw log: wipe what was applied, mark it pending again."""

from __future__ import annotations

from sqlalchemy import Engine, delete, update

from winback.outcomes import PENDING, REJECTED
from winback.storage.locks import take_apply_lock
from winback.storage.newevents import announce_appended
from winback.storage.schema import (
    activities,
    carts,
    customers,
    former_emails,
    markers,
    opt_in_requests,
    order_lines,
    orders,
    products,
    raw_events,
    suppressions,
    visitors,
)


def replay_store(engine: Engine, store_id: str) -> int:
    """Everything but rejected deliveries goes back to pending; returns how many."""
    with engine.begin() as conn:
        take_apply_lock(conn)  # (an applier must not work on what is being wiped)
        for table in (
            order_lines,
            orders,
            customers,
            former_emails,
            products,
            carts,
            suppressions,
            markers,
            opt_in_requests,
            activities,
            visitors,
        ):
            conn.execute(delete(table).where(table.c.store_id == store_id))
        result = conn.execute(
            update(raw_events)
            .where(raw_events.c.store_id == store_id, raw_events.c.outcome != REJECTED)
            .values(outcome=PENDING, reason=None, pointer=None, applied_at=None)
        )
        announce_appended(conn)  # (to a running applier, they are new events)
    return result.rowcount
