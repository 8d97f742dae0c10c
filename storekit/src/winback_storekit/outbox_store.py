"""The outbox table: a durable SQLite queue of events on their way to winback.

One row per event. A row is `pending` until it is `delivered`, parked as `failed`
(winback refused it for good) or `given_up` (still failing when the retry horizon
ran out). Rows of one entity leave strictly in id order; a short lease on the row
being sent keeps two workers, or two processes sharing the file, off the same entity.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

Status = Literal["pending", "delivered", "failed", "given_up"]
FinalStatus = Literal["failed", "given_up"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    event_time INTEGER NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    lease_until REAL NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'failed', 'given_up')),
    last_error TEXT,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_pending_by_entity
    ON outbox_events (entity_key, id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_pending_by_due
    ON outbox_events (next_attempt_at, id) WHERE status = 'pending';
"""

_COLUMNS = "id, event_type, body, entity_key, event_time, created_at, attempts, status, last_error"

# A pending row is the head of its entity when no older pending row shares its key.
_IS_HEAD = """
NOT EXISTS (
    SELECT 1 FROM outbox_events AS older
    WHERE older.status = 'pending' AND older.entity_key = e.entity_key AND older.id < e.id
)
"""


@dataclass(frozen=True)
class OutboxEvent:
    """One stored event, as the delivery worker and the callbacks see it."""

    id: int
    event_type: str
    body: str
    entity_key: str
    event_time: int
    created_at: float
    attempts: int
    status: Status
    last_error: str | None


@dataclass(frozen=True)
class OutboxStats:
    """How many events are in each state, and how long the oldest pending one has waited."""

    pending: int
    delivered: int
    failed: int
    given_up: int
    oldest_pending_age: float | None


def _event_from_row(row: tuple[Any, ...]) -> OutboxEvent:
    return OutboxEvent(*row)


class OutboxStore:
    """SQLite access for the outbox; every method is safe to call from any thread."""

    def __init__(self, path: str | Path, busy_timeout: float = 10.0) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: each statement is its own durable transaction, and the
        # claim opens an explicit IMMEDIATE one so other processes wait their turn.
        self._db = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def add(self, event_type: str, body: str, entity_key: str, event_time: int, now: float) -> int:
        """Store a new pending event durably and return its id."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO outbox_events (event_type, body, entity_key, event_time,"
                " created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
                (event_type, body, entity_key, event_time, now, now),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def claim_next(self, now: float, lease_seconds: float) -> OutboxEvent | None:
        """Lease the oldest due head-of-entity event and count the attempt, or return None."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    f"SELECT {_COLUMNS} FROM outbox_events AS e"
                    " WHERE e.status = 'pending' AND e.next_attempt_at <= ?"
                    f" AND e.lease_until <= ? AND {_IS_HEAD}"
                    " ORDER BY e.next_attempt_at, e.id LIMIT 1",
                    (now, now),
                ).fetchone()
                if row is not None:
                    self._db.execute(
                        "UPDATE outbox_events SET lease_until = ?, attempts = attempts + 1"
                        " WHERE id = ?",
                        (now + lease_seconds, row[0]),
                    )
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise
        if row is None:
            return None
        event = _event_from_row(row)
        return replace(event, attempts=event.attempts + 1)

    def next_due(self) -> float | None:
        """When the earliest head-of-entity event may be tried; None if nothing is pending."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(MAX(e.next_attempt_at, e.lease_until)) FROM outbox_events AS e"
                f" WHERE e.status = 'pending' AND {_IS_HEAD}"
            ).fetchone()
        return None if row[0] is None else float(row[0])

    def mark_delivered(self, event_id: int, now: float) -> None:
        """Record that winback accepted the event."""
        self._execute(
            "UPDATE outbox_events SET status = 'delivered', finished_at = ?, lease_until = 0"
            " WHERE id = ?",
            (now, event_id),
        )

    def schedule_retry(self, event_id: int, at: float, error: str) -> None:
        """Release the event for another attempt at `at`, remembering why this one failed."""
        self._execute(
            "UPDATE outbox_events SET next_attempt_at = ?, lease_until = 0, last_error = ?"
            " WHERE id = ?",
            (at, error, event_id),
        )

    def mark_final(self, event_id: int, status: FinalStatus, error: str, now: float) -> None:
        """Take the event out of delivery for good, as failed or given up."""
        self._execute(
            "UPDATE outbox_events SET status = ?, last_error = ?, finished_at = ?,"
            " lease_until = 0 WHERE id = ?",
            (status, error, now, event_id),
        )

    def requeue(self, event_ids: list[int], now: float) -> int:
        """Put failed or given-up events back in line as if just sent; return how many."""
        with self._lock:
            cursor = self._db.executemany(
                "UPDATE outbox_events SET status = 'pending', attempts = 0, created_at = ?,"
                " next_attempt_at = ?, finished_at = NULL"
                " WHERE id = ? AND status IN ('failed', 'given_up')",
                [(now, now, event_id) for event_id in event_ids],
            )
        return cursor.rowcount

    def undelivered(self, limit: int) -> list[OutboxEvent]:
        """The most recent failed and given-up events, newest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox_events"
                " WHERE status IN ('failed', 'given_up') ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_event_from_row(row) for row in rows]

    def events(self) -> list[OutboxEvent]:
        """Every stored event in id order (for inspection and tests; not for large outboxes)."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM outbox_events ORDER BY id").fetchall()
        return [_event_from_row(row) for row in rows]

    def count_pending(self) -> int:
        """How many events still wait for delivery."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM outbox_events WHERE status = 'pending'"
            ).fetchone()
        return int(row[0])

    def stats(self, now: float) -> OutboxStats:
        """Counts per status and the age of the oldest pending event."""
        with self._lock:
            counts = dict(
                self._db.execute("SELECT status, COUNT(*) FROM outbox_events GROUP BY status")
            )
            oldest = self._db.execute(
                "SELECT MIN(created_at) FROM outbox_events WHERE status = 'pending'"
            ).fetchone()[0]
        return OutboxStats(
            pending=counts.get("pending", 0),
            delivered=counts.get("delivered", 0),
            failed=counts.get("failed", 0),
            given_up=counts.get("given_up", 0),
            oldest_pending_age=None if oldest is None else max(0.0, now - oldest),
        )

    def prune_delivered(self, older_than: float) -> int:
        """Forget delivered events finished before `older_than`; return how many."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM outbox_events WHERE status = 'delivered' AND finished_at < ?",
                (older_than,),
            )
        return cursor.rowcount

    def _execute(self, sql: str, params: tuple[Any, ...]) -> None:
        with self._lock:
            self._db.execute(sql, params)
