"""The SQL of product feeds: settings, runs, and the bulk bookkeeping of a sync.

A sync applies changed products through the apply functions like any other
event; what it does in bulk here is only bookkeeping: remember each product's
content digest and the run that last saw it, and make the products a complete
feed no longer lists unavailable.
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

from sqlalchemy import Connection, Engine, bindparam, insert, or_, select, text, update

from winback.catalog.model import SOURCE_FEED, UNAVAILABLE
from winback.feeds.model import FAILED, QUEUED, RUNNING, FeedRun, FeedSettings
from winback.storage.schema import feed_runs, feeds, products

# Ids per statement: well under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 5000


@dataclass(frozen=True, slots=True)
class StoredProduct:
    """What a sync needs to know of a product already stored."""

    content_digest: str | None
    source: str
    status: str
    feed_run_id: int | None


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


def unfinished_run_exists(conn: Connection, store_id: str) -> bool:
    found = conn.execute(
        select(feed_runs.c.id)
        .where(feed_runs.c.store_id == store_id, feed_runs.c.status.in_((QUEUED, RUNNING)))
        .limit(1)
    ).first()
    return found is not None


# -- products ----------------------------------------------------------------------------


def stored_products(
    conn: Connection, store_id: str, external_ids: Iterable[str]
) -> dict[str, StoredProduct]:
    """The stored state of the given products (absent ids are not in the answer)."""
    found: dict[str, StoredProduct] = {}
    columns = (
        products.c.external_id,
        products.c.content_digest,
        products.c.source,
        products.c.status,
        products.c.feed_run_id,
    )
    for chunk in _chunks(list(external_ids)):
        rows = conn.execute(
            select(*columns).where(
                products.c.store_id == store_id, products.c.external_id.in_(chunk)
            )
        )
        for external_id, digest, source, status, run_id in rows:
            found[external_id] = StoredProduct(digest, source, status, run_id)
    return found


def mark_applied(
    conn: Connection, store_id: str, run_id: int, digests: dict[str, str | None]
) -> None:
    """Products this run applied: their new digest (None: not fully written) and the run."""
    if not digests:
        return
    conn.execute(
        update(products)
        .where(products.c.store_id == store_id, products.c.external_id == bindparam("b_id"))
        .values(content_digest=bindparam("b_digest"), feed_run_id=run_id),
        [{"b_id": external_id, "b_digest": digest} for external_id, digest in digests.items()],
    )


def mark_seen(conn: Connection, store_id: str, run_id: int, external_ids: Iterable[str]) -> None:
    """Products this run saw without rewriting them (unchanged, or their row was rejected)."""
    for chunk in _chunks(list(external_ids)):
        conn.execute(
            update(products)
            .where(products.c.store_id == store_id, products.c.external_id.in_(chunk))
            .values(feed_run_id=run_id)
        )


def make_missing_unavailable(conn: Connection, store_id: str, run_id: int, at: datetime) -> int:
    """Products a complete feed no longer lists become unavailable (nothing is deleted).

    Only products the feed described (source ``feed``) and that nothing newer
    than this run has touched; their status version moves to the run's time,
    as a deletion event's would.
    """
    result = conn.execute(
        update(products)
        .where(
            products.c.store_id == store_id,
            products.c.source == SOURCE_FEED,
            products.c.status != UNAVAILABLE,
            or_(products.c.feed_run_id.is_(None), products.c.feed_run_id != run_id),
            products.c.version_at <= at,
        )
        .values(status=UNAVAILABLE, version_at=at)
    )
    return int(result.rowcount)


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
