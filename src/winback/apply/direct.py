"""Apply records that do not come through the raw log (feed rows, CSV rows) in batches."""

from __future__ import annotations

from sqlalchemy import Engine

from winback.apply.batch import ApplyItem, apply_items
from winback.storage.locks import take_apply_lock


def apply_direct(engine: Engine, items: list[ApplyItem]) -> list[str]:
    """Apply one batch in its own transaction, under the apply lock; returns outcomes."""
    if not items:
        return []
    with engine.begin() as conn:
        take_apply_lock(conn)
        return apply_items(conn, items)
