"""The apply lock: one writer of customers, orders, products and carts at a time.

SQLite already serialises writers (every transaction begins IMMEDIATE); on
PostgreSQL an advisory lock held to the end of the transaction does the same
for appliers, feed syncs and imports running in different processes.

On SQLite taking it also counts the transaction in ``derived_writes``, so the
applier can work a batch out on a snapshot before it takes the one write lock,
and tell afterwards whether anyone wrote derived state in between.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from winback.storage.schema import derived_writes

APPLY_LOCK_ID = 727_001
_ROW = 1


def take_apply_lock(conn: Connection) -> int | None:
    """Take the lock for the caller's transaction; on SQLite, returns how many
    transactions had written derived state before this one (None elsewhere)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": APPLY_LOCK_ID})
        return None
    if conn.dialect.name != "sqlite":
        return None
    counted = (
        sqlite_insert(derived_writes)
        .values(id=_ROW, count=1)
        .on_conflict_do_update(
            index_elements=[derived_writes.c.id], set_={"count": derived_writes.c.count + 1}
        )
        .returning(derived_writes.c.count)
    )
    return int(conn.execute(counted).scalar_one()) - 1


def derived_writes_so_far(conn: Connection) -> int | None:
    """On SQLite, how many transactions have written derived state (as of the
    connection's snapshot); None elsewhere."""
    if conn.dialect.name != "sqlite":
        return None
    found = conn.execute(select(derived_writes.c.count).where(derived_writes.c.id == _ROW))
    return found.scalar() or 0
