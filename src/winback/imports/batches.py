"""Applying imported records a batch at a time, through the same apply functions as webhooks.

Each batch is one transaction under the apply lock, so a batch is written
whole or not at all. If the database refuses a batch (a value too long for a
column, say), its records are applied one by one, so that one bad record is
reported with its line and the others still go in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from winback.apply.direct import BulkApplier, apply_and_discard, apply_direct
from winback.apply.item import ApplyItem
from winback.imports.jobs import ImportSummary
from winback.imports.problems import RowError
from winback.intake.topics import Topic
from winback.outcomes import DUPLICATE, STALE
from winback.storage import imports as import_storage

log = structlog.get_logger(__name__)

SOURCE_CSV = "csv"
# Orders (or contacts) per transaction: a batch's look-ups and writes are a few bulk
# statements, and the products and customers it shares with the next are written once
# per batch; the apply lock is held for the batch (seconds at this size: see runs.py
# for the queued jobs' smaller batches).
BATCH_SIZE = 5000
_UNCHANGED = (DUPLICATE, STALE)


@dataclass(frozen=True, slots=True)
class Record:
    """One order or contact to apply: the line it starts on, its rows, its version time."""

    line: int
    rows: int
    payload: BaseModel
    event_time: datetime


class BatchApplier:
    """Collects records and applies them ``batch_size`` at a time; counts into the summary."""

    def __init__(
        self,
        engine: Engine,
        store_id: str,
        topic: Topic,
        summary: ImportSummary,
        *,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._engine = engine
        self._bulk = BulkApplier(engine)
        self._store_id = store_id
        self._topic = topic
        self._summary = summary
        self._batch_size = batch_size
        self._pending: list[Record] = []
        self.imported_rows = 0
        # Statistics are refreshed after the first batch, then each time the import doubles.
        self._statistics_due = 1

    def add(self, record: Record) -> bool:
        """Keep a record; True when that filled a batch, which was then applied."""
        self._pending.append(record)
        if len(self._pending) < self._batch_size:
            return False
        self.flush()
        return True

    def flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            outcomes = self._apply([self._item(record) for record in batch])
        except SQLAlchemyError as error:
            log.warning("import batch refused, applying one by one", error=repr(error))
            self._apply_one_by_one(batch)
        else:
            self._count(batch, outcomes)
        if self._summary.imported >= self._statistics_due:
            self._statistics_due = 2 * max(self._summary.imported, 1)
            self.refresh_statistics()

    def close(self) -> None:
        """Give back the connection the batches were applied on."""
        self._bulk.close()

    def refresh_statistics(self) -> None:
        """A bulk load makes the planner's statistics stale: refresh them (PostgreSQL)."""
        if self._summary.dry_run:
            return
        with self._engine.begin() as conn:
            import_storage.refresh_statistics(conn)

    def _apply(self, items: list[ApplyItem], *, alone: bool = False) -> list[str]:
        """Apply a batch (or one record, ``alone``); a dry run's writes are rolled back,
        batch by batch, so it reports what a real run would."""
        if self._summary.dry_run:
            return apply_and_discard(self._engine, items)
        return apply_direct(self._engine, items) if alone else self._bulk.apply(items)

    def _count(self, records: list[Record], outcomes: list[str]) -> None:
        """Count applied records as imported; those a stored version already had (the
        same, or a newer one), as unchanged."""
        unchanged = sum(outcome in _UNCHANGED for outcome in outcomes)
        self._summary.imported += len(records) - unchanged
        self._summary.unchanged += unchanged
        self.imported_rows += sum(record.rows for record in records)

    def _item(self, record: Record) -> ApplyItem:
        return ApplyItem(
            store_id=self._store_id,
            topic=self._topic,
            event_type=self._topic.value,
            payload=record.payload,
            body={},
            event_time=record.event_time,
            source=SOURCE_CSV,
        )

    def _apply_one_by_one(self, batch: list[Record]) -> None:
        for record in batch:
            try:
                outcomes = self._apply([self._item(record)], alone=True)
            except SQLAlchemyError as error:
                reason = f"the database refused it: {_first_line(error)}"
                self._summary.report(RowError(record.line, None, reason))
            else:
                self._count([record], outcomes)


def _first_line(error: SQLAlchemyError) -> str:
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
