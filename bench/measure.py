"""What the database says about a run: apply lag, applied rate, outcomes.

Read straight from ``raw_events`` (``received_at`` is stamped before the 200,
``applied_at`` in the applier's transaction), with a plain read-only
connection, so measuring adds no load to winback's own connections. On SQLite
a reader in WAL mode never blocks the writer.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from servers import Database
from stats import milliseconds, percentile

POLL_SECONDS = 0.2


@contextlib.contextmanager
def reader(database: Database) -> Iterator[Any]:
    """A DB-API connection that only reads (autocommit, so no snapshot is held)."""
    if database.sqlite_file is not None:
        conn = sqlite3.connect(f"file:{database.sqlite_file}?mode=ro", uri=True, timeout=30)
        try:
            yield conn
        finally:
            conn.close()
        return
    assert database.postgres_url is not None
    with psycopg.connect(database.postgres_url, autocommit=True) as pg:
        yield pg


def _placeholder(conn: Any) -> str:
    return "?" if isinstance(conn, sqlite3.Connection) else "%s"


def _epoch(value: datetime | str) -> float:
    # SQLite keeps naive UTC text; PostgreSQL gives aware datetimes.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def max_seq(database: Database) -> int:
    with reader(database) as conn:
        row = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM raw_events").fetchone()
    return int(row[0])


def pending(database: Database) -> int:
    with reader(database) as conn:
        row = conn.execute("SELECT COUNT(*) FROM raw_events WHERE outcome = 'pending'").fetchone()
    return int(row[0])


def wait_drained(database: Database, limit_seconds: float) -> float | None:
    """Seconds until no event is pending, or None if still pending after ``limit_seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < limit_seconds:
        if pending(database) == 0:
            return time.monotonic() - started
        time.sleep(POLL_SECONDS)
    return None


@dataclass(frozen=True)
class Window:
    """The events a phase sent: sequence numbers in (first_seq, last_seq], and when."""

    first_seq: int
    last_seq: int
    load_start: float
    load_end: float


def _rows(database: Database, window: Window) -> list[tuple[Any, Any, str]]:
    with reader(database) as conn:
        mark = _placeholder(conn)
        query = (
            "SELECT received_at, applied_at, outcome FROM raw_events "
            f"WHERE seq > {mark} AND seq <= {mark} AND outcome <> 'rejected'"
        )
        return list(conn.execute(query, (window.first_seq, window.last_seq)).fetchall())


def apply_stats(database: Database, window: Window) -> dict[str, Any]:
    """Lag (applied_at - received_at) percentiles, applied rates and outcomes of a window."""
    rows = _rows(database, window)
    outcomes = Counter(outcome for _, _, outcome in rows)
    done = [(_epoch(r), _epoch(a)) for r, a, _ in rows if a is not None]
    # An event still pending when measured has no lag yet: it counts as infinite.
    lags = [applied - received for received, applied in done]
    lags += [math.inf] * (len(rows) - len(done))
    during = sum(1 for _, applied in done if applied <= window.load_end)
    seconds = max(window.load_end - window.load_start, 1e-9)
    result: dict[str, Any] = {
        "events": len(rows),
        "not_applied": len(rows) - len(done),
        "outcomes": dict(sorted(outcomes.items())),
        "applied_rate_during_load": during / seconds,
        "lag_p50_ms": milliseconds(percentile(lags, 0.50)),
        "lag_p99_ms": milliseconds(percentile(lags, 0.99)),
        "lag_max_ms": milliseconds(max(lags, default=None)),
    }
    if done:
        first_received = min(received for received, _ in done)
        last_applied = max(applied for _, applied in done)
        # Acknowledged AND applied: from the first arrival to the last apply.
        result["acked_and_applied_rate"] = len(done) / max(last_applied - first_received, 1e-9)
        result["caught_up_after_load_s"] = round(max(0.0, last_applied - window.load_end), 3)
    return result


def stored_events(database: Database, seqs: Sequence[int]) -> dict[int, tuple[bytes, str]]:
    """Body and outcome of each of ``seqs`` found in the raw log."""
    found: dict[int, tuple[bytes, str]] = {}
    with reader(database) as conn:
        mark = _placeholder(conn)
        for start in range(0, len(seqs), 500):
            chunk = list(seqs[start : start + 500])
            marks = ", ".join([mark] * len(chunk))
            query = f"SELECT seq, body, outcome FROM raw_events WHERE seq IN ({marks})"
            for seq, body, outcome in conn.execute(query, chunk).fetchall():
                found[int(seq)] = (bytes(body), str(outcome))
    return found
