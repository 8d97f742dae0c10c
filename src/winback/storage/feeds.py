"""The SQL of product feeds: settings, runs, and the bulk bookkeeping of a sync.

A sync applies changed products through the apply functions like any other
event (which store each product's content digest); what it does in bulk here
is only bookkeeping: read the stored digests, remember which products the run
saw, and make the products a complete feed no longer lists unavailable.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, column, insert, select, table, text, update

from winback.catalog.model import SOURCE_FEED, UNAVAILABLE
from winback.feeds.model import FAILED, RUNNING, FeedRun, FeedSettings
from winback.storage.schema import feed_runs, feeds, products

# Ids per statement: well under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 5000


@dataclass(frozen=True, slots=True)
class StoredProduct:
    """What a sync needs to know of a product already stored."""

    content_digest: str | None
    status: str


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# -- settings ----------------------------------------------------------------------------


def feed_settings(conn: Connection, store_id: str) -> FeedSettings | None:
    row = conn.execute(select(feeds).where(feeds.c.store_id == store_id)).first()
    return None if row is None else FeedSettings(**row._mapping)


def put_feed_settings(
    conn: Connection, store_id: str, *, url: str, schedule_hours: int, now: datetime
) -> FeedSettings:
    """Create or change a store's feed; a new URL forgets the old URL's validators."""
    current = feed_settings(conn, store_id)
    next_run_at = now + timedelta(hours=schedule_hours)
    if current is None:
        conn.execute(
            insert(feeds).values(
                store_id=store_id,
                url=url,
                schedule_hours=schedule_hours,
                next_run_at=next_run_at,
                updated_at=now,
            )
        )
    else:
        values: dict[str, Any] = {
            "url": url,
            "schedule_hours": schedule_hours,
            "next_run_at": next_run_at,
            "updated_at": now,
        }
        if current.url != url:
            values |= {"etag": None, "last_modified": None}
        conn.execute(update(feeds).where(feeds.c.store_id == store_id).values(values))
    settings = feed_settings(conn, store_id)
    assert settings is not None
    return settings


def save_validators(
    conn: Connection, store_id: str, *, url: str, etag: str | None, last_modified: str | None
) -> None:
    """Keep the ETag / Last-Modified of the feed just applied, if the URL is still the same."""
    conn.execute(
        update(feeds)
        .where(feeds.c.store_id == store_id, feeds.c.url == url)
        .values(etag=etag, last_modified=last_modified)
    )


def reschedule(conn: Connection, store_id: str, next_run_at: datetime) -> None:
    conn.execute(update(feeds).where(feeds.c.store_id == store_id).values(next_run_at=next_run_at))


def claim_due_feeds(conn: Connection, now: datetime) -> list[str]:
    """Stores whose feed is due, each moved to its next slot so no other scheduler takes it."""
    due = conn.execute(
        select(feeds.c.store_id, feeds.c.next_run_at, feeds.c.schedule_hours).where(
            feeds.c.url.is_not(None), feeds.c.next_run_at <= now
        )
    ).all()
    claimed: list[str] = []
    for store_id, next_run_at, hours in due:
        moved = conn.execute(
            update(feeds)
            .where(feeds.c.store_id == store_id, feeds.c.next_run_at == next_run_at)
            .values(next_run_at=now + timedelta(hours=hours))
        )
        if moved.rowcount == 1:
            claimed.append(store_id)
    return claimed


# -- runs --------------------------------------------------------------------------------


def insert_run(
    conn: Connection, store_id: str, *, trigger: str, source: str | None, status: str, now: datetime
) -> FeedRun:
    run_id = conn.execute(
        insert(feed_runs)
        .values(
            store_id=store_id,
            trigger=trigger,
            source=source,
            status=status,
            started_at=now,
            rows_read=0,
            created=0,
            updated=0,
            unchanged=0,
            made_unavailable=0,
            rejected=0,
            errors=[],
            errors_not_listed=0,
        )
        .returning(feed_runs.c.id)
    ).scalar_one()
    return FeedRun(
        id=run_id, store_id=store_id, trigger=trigger, source=source, status=status, started_at=now
    )


# Every column of a run but its id, store and trigger, which never change.
_RUN_FIELDS = [
    column.name for column in feed_runs.columns if column.name not in ("id", "store_id", "trigger")
]


def save_run(conn: Connection, run: FeedRun) -> None:
    values = {name: getattr(run, name) for name in _RUN_FIELDS}
    conn.execute(update(feed_runs).where(feed_runs.c.id == run.id).values(values))


def feed_run(conn: Connection, store_id: str, run_id: int) -> FeedRun | None:
    row = conn.execute(
        select(feed_runs).where(feed_runs.c.store_id == store_id, feed_runs.c.id == run_id)
    ).first()
    return None if row is None else FeedRun(**row._mapping)


def latest_runs(conn: Connection, store_id: str, limit: int) -> list[FeedRun]:
    rows = conn.execute(
        select(feed_runs)
        .where(feed_runs.c.store_id == store_id)
        .order_by(feed_runs.c.id.desc())
        .limit(limit)
    )
    return [FeedRun(**row._mapping) for row in rows]


def end_orphaned_runs(conn: Connection, store_id: str, *, keep: int, now: datetime) -> int:
    """Runs left running by a process that died (the caller holds the store's sync lock)."""
    result = conn.execute(
        update(feed_runs)
        .where(
            feed_runs.c.store_id == store_id,
            feed_runs.c.status == RUNNING,
            feed_runs.c.id != keep,
        )
        .values(status=FAILED, finished_at=now, reason="the process running it stopped")
    )
    return int(result.rowcount)


# -- products ----------------------------------------------------------------------------
#
# What a run has seen is kept in a temporary table of the run's own connection,
# not in a column of every product: writing a column of each of a million
# products every day would rewrite each row (on PostgreSQL, a new 2 KB tuple
# version each) to say that nothing changed.
#
# A batch's ids travel as one parameter (a JSON array on SQLite, an array on
# PostgreSQL) rather than one parameter each: binding thousands of parameters
# costs more than the look-up itself.

_IN_IDS = {
    "sqlite": "IN (SELECT value FROM json_each(:ids))",
    "postgresql": "= ANY(CAST(:ids AS text[]))",
}
_ADD_SEEN = {
    "sqlite": "INSERT OR IGNORE INTO feed_seen SELECT value FROM json_each(:ids)",
    "postgresql": (
        "INSERT INTO feed_seen SELECT unnest(CAST(:ids AS text[])) ON CONFLICT DO NOTHING"
    ),
}
_seen = table("feed_seen", column("external_id"))


def _ids(conn: Connection, values: list[str]) -> Any:
    return orjson.dumps(values).decode() if conn.dialect.name == "sqlite" else values


def _in_ids(conn: Connection) -> str:
    return _IN_IDS[conn.dialect.name]


def stored_products(
    conn: Connection, store_id: str, external_ids: Iterable[str]
) -> dict[str, StoredProduct]:
    """The stored digest and status of the given products (absent ids are not in the answer)."""
    found: dict[str, StoredProduct] = {}
    statement = text(
        "SELECT external_id, content_digest, status FROM products "
        f"WHERE store_id = :store AND external_id {_in_ids(conn)}"
    )
    for chunk in _chunks(list(external_ids)):
        rows = conn.execute(statement, {"store": store_id, "ids": _ids(conn, chunk)})
        for external_id, digest, status in rows:
            found[external_id] = StoredProduct(digest, status)
    return found


def start_seen(conn: Connection) -> None:
    """An empty record of the products this run has seen, on ``conn`` only."""
    create = "CREATE TEMPORARY TABLE IF NOT EXISTS feed_seen (external_id TEXT PRIMARY KEY)"
    conn.execute(text(create))
    conn.execute(text("DELETE FROM feed_seen"))


def drop_seen(conn: Connection) -> None:
    conn.execute(text("DROP TABLE IF EXISTS feed_seen"))


def seen_before(conn: Connection, external_ids: list[str]) -> set[str]:
    """Which of these ids this run has seen already (an id listed twice in one feed)."""
    statement = text(f"SELECT external_id FROM feed_seen WHERE external_id {_in_ids(conn)}")
    found: set[str] = set()
    for chunk in _chunks(external_ids):
        found.update(conn.execute(statement, {"ids": _ids(conn, chunk)}).scalars())
    return found


def add_seen(conn: Connection, external_ids: list[str]) -> None:
    statement = text(_ADD_SEEN[conn.dialect.name])
    for chunk in _chunks(external_ids):
        conn.execute(statement, {"ids": _ids(conn, chunk)})


def make_missing_unavailable(conn: Connection, store_id: str, at: datetime) -> int:
    """Products a complete feed no longer lists become unavailable (nothing is deleted).

    Only products the feed described (source ``feed``), that this run did not
    see, and that nothing newer than this run has touched; their status
    version moves to the run's time, as a deletion event's would.
    """
    if conn.dialect.name == "postgresql":
        # A temporary table is never analyzed by autovacuum; without statistics
        # the planner can pick a nested loop over hundreds of thousands of ids.
        conn.execute(text("ANALYZE feed_seen"))
    seen = select(_seen.c.external_id).where(_seen.c.external_id == products.c.external_id)
    result = conn.execute(
        update(products)
        .where(
            products.c.store_id == store_id,
            products.c.source == SOURCE_FEED,
            products.c.status != UNAVAILABLE,
            products.c.version_at <= at,
            # NOT EXISTS, not NOT IN: PostgreSQL runs it as a hash anti-join, where
            # NOT IN a large subquery became a scan of the ids for every product.
            ~seen.exists(),
        )
        .values(status=UNAVAILABLE, version_at=at)
    )
    return int(result.rowcount)


def refresh_statistics(conn: Connection) -> None:
    """Let PostgreSQL's planner see the rows a bulk load just added (no-op on SQLite).

    Without fresh statistics, a table that was empty looks empty: PostgreSQL then
    reads a store's products by its sku index and filters every row for the
    ids wanted, so each look-up of a batch scans the whole store, and a first
    sync slows down as it goes. SQLite picks the (store, id) index anyway.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("ANALYZE products"))


# -- one sync per store --------------------------------------------------------------------

SYNC_LOCK_CLASS = 727_002


@contextmanager
def sync_lock(engine: Engine, store_id: str) -> Iterator[bool]:
    """Try to become the only sync of ``store_id``; yields whether it worked.

    The lock belongs to a live process, not to a row: if the process dies, the
    lock goes with it and the next sync can start. On PostgreSQL it is a
    session advisory lock (good across machines); on SQLite, which lives on
    one machine, an ``flock`` on a file beside the database.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            key = {"c": SYNC_LOCK_CLASS, "s": store_id}
            taken = conn.execute(text("SELECT pg_try_advisory_lock(:c, hashtext(:s))"), key)
            if not taken.scalar_one():
                yield False
                return
            try:
                yield True
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:c, hashtext(:s))"), key)
        return
    with _file_lock(_lock_path(engine, store_id)) as locked:
        yield locked


def _lock_path(engine: Engine, store_id: str) -> Path:
    database = engine.url.database
    folder = Path(database).parent if database and database != ":memory:" else Path.cwd()
    name = hashlib.sha256(store_id.encode()).hexdigest()[:32]
    return folder / "feed-locks" / f"{name}.lock"


@contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Each open() is its own lock owner, so two threads of one process exclude each other too.
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
