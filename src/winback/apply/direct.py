"""Apply records that do not come through the raw log (feed rows, CSV rows) in batches."""

from __future__ import annotations

from sqlalchemy import Connection, Engine

from winback.apply.batch import CarriedProducts, apply_items
from winback.apply.item import ApplyItem
from winback.storage.checkpoints import BackgroundCheckpointer
from winback.storage.engine import data_version
from winback.storage.locks import take_apply_lock


def apply_direct(engine: Engine, items: list[ApplyItem]) -> list[str]:
    """Apply one batch in its own transaction, under the apply lock; returns outcomes."""
    if not items:
        return []
    with engine.begin() as conn:
        take_apply_lock(conn)
        return apply_items(conn, items)


def apply_and_discard(engine: Engine, items: list[ApplyItem]) -> list[str]:
    """The outcomes applying one batch would have, with its writes rolled back.

    A dry run's preview: it meets what is stored as a real run would, so a file
    imported before counts as unchanged, and a record the database would refuse
    is refused here too."""
    if not items:
        return []
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            take_apply_lock(conn)
            return apply_items(conn, items)
        finally:
            transaction.rollback()


class BulkApplier:
    """Applies the batches of one bulk load, one after another, on one connection.

    Each batch is its own transaction under the apply lock, as with
    ``apply_direct``. What differs: the products a batch leaves stored are
    handed to the next batch instead of being read again, when the database can
    tell that nothing else wrote in between (SQLite's ``data_version``, which
    moves only for other connections' commits). A history import names most of
    the catalog in every batch, and read it back whole each time. Where the
    database cannot tell (PostgreSQL), every batch reads its products.

    On SQLite the batches' commits do not copy the log into the database file:
    a ``BackgroundCheckpointer`` does that while the next batch is applied.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None
        self._carried: CarriedProducts | None = None
        self._carried_as_of: int | None = None
        self._checkpointer = BackgroundCheckpointer(engine)

    def apply(self, items: list[ApplyItem]) -> list[str]:
        if not items:
            return []
        if self._conn is None:
            self._conn = self._engine.connect()
            self._checkpointer.attach(self._conn)
        conn, carried = self._conn, None
        try:
            with conn.begin():
                take_apply_lock(conn)
                as_of = data_version(conn)
                if as_of is not None:
                    held = self._carried if as_of == self._carried_as_of else None
                    carried = CarriedProducts(held.products if held is not None else [])
                results = apply_items(conn, items, carried)
        except BaseException:
            self._carried = None  # what it holds may not have been committed
            raise
        self._carried, self._carried_as_of = carried, as_of
        self._checkpointer.request()
        return results

    def close(self) -> None:
        self._checkpointer.close()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
