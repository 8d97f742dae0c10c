"""The apply lock: one writer of customers, orders, products and carts at a time.

SQLite already serialises writers (every transaction begins IMMEDIATE); on
PostgreSQL an advisory lock held to the end of the transaction does the same
for appliers, feed syncs and imports running in different processes.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

APPLY_LOCK_ID = 727_001


def take_apply_lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": APPLY_LOCK_ID})
