"""The SQL of CSV imports: the job records, and the time a contacts file is applied as of.

The rows themselves go through the apply functions like any other event; what
is kept here is only bookkeeping.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from winback.errors import InvalidPayload
from winback.imports.jobs import FAILED, RUNNING, ImportJob
from winback.storage.reads import CursorScope, cursor_time, decode_cursor, page_of
from winback.storage.schema import import_jobs, markers

# The marker of a contacts file already imported: its digest and the time it was applied as of.
CONTACTS_FILE_MARKER = "contacts_file"
# The ``errors`` column is a JSON list; when errors were left out, a last entry counts them.
_NOT_LISTED = "not_listed"

_SAVED_FIELDS = [
    "status",
    "heartbeat_at",
    "filename",
    "started_at",
    "finished_at",
    "bytes_total",
    "bytes_read",
    "rows_read",
    "imported",
    "unchanged",
    "skipped",
    "reason",
]


def _errors_column(job: ImportJob) -> list[dict[str, Any]]:
    if not job.errors_not_listed:
        return list(job.errors)
    count = job.errors_not_listed
    more = {"line": None, "column": None, "reason": f"{count} more errors are not listed"}
    return [*job.errors, more | {_NOT_LISTED: count}]


def _job(row: Any) -> ImportJob:
    values = dict(row._mapping)
    errors: list[dict[str, Any]] = list(values.pop("errors") or [])
    not_listed = 0
    if errors and _NOT_LISTED in errors[-1]:
        not_listed = int(errors.pop()[_NOT_LISTED])
    return ImportJob(**values, errors=errors, errors_not_listed=not_listed)


def insert_job(conn: Connection, job: ImportJob) -> None:
    values = {name: getattr(job, name) for name in _SAVED_FIELDS}
    values |= {
        "id": job.id,
        "store_id": job.store_id,
        "kind": job.kind,
        "dry_run": job.dry_run,
        "created_at": job.created_at,
        "errors": _errors_column(job),
    }
    conn.execute(insert(import_jobs).values(values))


def save_job(conn: Connection, job: ImportJob) -> None:
    values = {name: getattr(job, name) for name in _SAVED_FIELDS}
    values["errors"] = _errors_column(job)
    conn.execute(update(import_jobs).where(import_jobs.c.id == job.id).values(values))


def store_job(conn: Connection, store_id: str, job_id: str) -> ImportJob | None:
    """A job of one store (the API's view: another store's job does not exist)."""
    row = conn.execute(
        select(import_jobs).where(import_jobs.c.store_id == store_id, import_jobs.c.id == job_id)
    ).first()
    return None if row is None else _job(row)


def job_by_id(conn: Connection, job_id: str) -> ImportJob | None:
    """A job by its id alone: for the worker that runs it."""
    row = conn.execute(select(import_jobs).where(import_jobs.c.id == job_id)).first()
    return None if row is None else _job(row)


def beat(conn: Connection, job_id: str, now: datetime) -> None:
    """Say that the process running a job is alive (a job no longer running is left as it is)."""
    conn.execute(
        update(import_jobs)
        .where(import_jobs.c.id == job_id, import_jobs.c.status == RUNNING)
        .values(heartbeat_at=now)
    )


def end_abandoned_jobs(conn: Connection, *, silent_since: datetime, now: datetime) -> list[str]:
    """Mark failed the running jobs whose process has not beaten since ``silent_since``.

    Returns their ids. A job started before heartbeats were kept has none, and is
    judged by its start.
    """
    job = import_jobs.c
    last_sign = func.coalesce(job.heartbeat_at, job.started_at, job.created_at)
    # One statement, so a job that beats between a look and a write is never ended.
    ended = conn.execute(
        update(import_jobs)
        .where(job.status == RUNNING, last_sign < silent_since)
        .values(status=FAILED, finished_at=now, reason=ABANDONED_REASON)
        .returning(job.id)
    )
    return list(ended.scalars())


ABANDONED_REASON = "the process running it stopped before it finished"


def contacts_file_as_of(conn: Connection, store_id: str, digest: str) -> datetime | None:
    """When the same contacts file was first applied, if it was."""
    row = conn.execute(
        select(markers.c.at).where(
            markers.c.store_id == store_id,
            markers.c.kind == CONTACTS_FILE_MARKER,
            markers.c.key == digest,
        )
    ).first()
    return None if row is None else row.at


def remember_contacts_file(conn: Connection, store_id: str, digest: str, at: datetime) -> None:
    if contacts_file_as_of(conn, store_id, digest) is None:
        conn.execute(
            insert(markers).values(store_id=store_id, kind=CONTACTS_FILE_MARKER, key=digest, at=at)
        )


def jobs_page(
    conn: Connection, store_id: str, cursor: str | None, limit: int
) -> tuple[list[ImportJob], str | None]:
    """A page of the store's imports, newest first, and the cursor of the next."""
    job = import_jobs.c
    scope: CursorScope = ("imports", store_id)
    query = select(import_jobs).where(job.store_id == store_id)
    if cursor:
        at_text, job_id = decode_cursor(cursor, scope, str, str)
        at = cursor_time(at_text)
        if at is None:
            raise InvalidPayload(
                "the cursor is not one this API gave out", code="invalid_cursor", parameter="cursor"
            )
        query = query.where(or_(job.created_at < at, and_(job.created_at == at, job.id < job_id)))
    newest_first = query.order_by(job.created_at.desc(), job.id.desc())
    rows, next_cursor = page_of(
        conn, newest_first, limit, scope, lambda row: [row.created_at.isoformat(), row.id]
    )
    return [_job(row) for row in rows], next_cursor


# The tables an import fills, whose planner statistics go stale as it does.
_FILLED_TABLES = "customers, orders, order_lines, products, markers"


def refresh_statistics(conn: Connection) -> None:
    """Tell PostgreSQL's planner how the tables an import fills have grown.

    Without fresh statistics (autovacuum may be off, or not have run yet) it
    keeps the estimates of a nearly empty table and reads every order of the
    store where an index would find a few. SQLite's planner does without them
    for the queries an apply makes.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {_FILLED_TABLES}")
