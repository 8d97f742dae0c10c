"""Imports as queued jobs: the upload kept in the data directory, the job recorded, then run.

The API records a job and saves the file; a queue worker runs it with the same
``import_orders`` / ``import_contacts`` as the CLI, saving its progress in
``import_jobs`` about once a second, and removes the file when it is done.

While a job runs, a thread of its process writes a heartbeat every few
seconds. A worker killed mid-job (kill -9, a lost machine) cannot say it
stopped; a job silent for ``ABANDONED_AFTER`` is ended as failed by any worker
(a periodic task), and its file removed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from winback.errors import WinbackError
from winback.imports.jobs import (
    CONTACTS,
    FAILED,
    ORDERS,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    ImportJob,
    ImportSummary,
)
from winback.imports.mapping import ColumnMapping
from winback.imports.service import import_contacts, import_orders
from winback.storage import imports as import_storage

log = structlog.get_logger(__name__)

IMPORTS_DIR = "imports"
SAVE_EVERY_SECONDS = 1.0
HEARTBEAT_SECONDS = 10.0
# Many missed beats, so one held up behind a long write is not taken for a dead process.
ABANDONED_AFTER = timedelta(minutes=2)
# A queued import runs beside a live intake: smaller batches hold the apply lock (on
# SQLite, the one write lock webhooks need too) for about a second each, not several.
JOB_BATCH_SIZE = 1000
IMPORTERS: dict[str, Callable[..., ImportSummary]] = {
    ORDERS: import_orders,
    CONTACTS: import_contacts,
}


def uploads_dir(data_dir: Path) -> Path:
    folder = data_dir / IMPORTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def upload_path(data_dir: Path, job_id: str) -> Path:
    """Where a job's file waits for its worker."""
    return uploads_dir(data_dir) / f"{job_id}.csv"


def new_job_id() -> str:
    return uuid.uuid4().hex


def record_job(
    engine: Engine,
    job_id: str,
    store_id: str,
    kind: str,
    *,
    dry_run: bool,
    filename: str | None,
    bytes_total: int | None,
) -> ImportJob:
    """Record a job that a queued task will run."""
    job = ImportJob(
        id=job_id,
        store_id=store_id,
        kind=kind,
        status=QUEUED,
        dry_run=dry_run,
        created_at=_now(),
        filename=filename,
        bytes_total=bytes_total,
    )
    with engine.begin() as conn:
        import_storage.insert_job(conn, job)
    return job


def run_import(
    engine: Engine,
    data_dir: Path,
    job_id: str,
    *,
    mapping: ColumnMapping | None,
    encoding: str,
) -> ImportJob | None:
    """Run a recorded job on its saved file; the file is removed whatever happens."""
    path = upload_path(data_dir, job_id)
    try:
        with engine.connect() as conn:
            job = import_storage.job_by_id(conn, job_id)
        if job is None or job.status != QUEUED:
            log.warning("import job not run", job_id=job_id, found=job is not None)
            return job
        _save(engine, job, status=RUNNING, started_at=_now())
        with JobHeartbeat(engine, job.id):
            _run(engine, job, path, mapping=mapping, encoding=encoding)
        log.info("import finished", job_id=job.id, status=job.status, imported=job.imported)
        return job
    finally:
        path.unlink(missing_ok=True)


def end_abandoned_jobs(engine: Engine, data_dir: Path, *, now: datetime | None = None) -> list[str]:
    """End as failed the running jobs whose process stopped beating; remove their files."""
    now = now or _now()
    with engine.begin() as conn:
        ended = import_storage.end_abandoned_jobs(conn, silent_since=now - ABANDONED_AFTER, now=now)
    for job_id in ended:
        upload_path(data_dir, job_id).unlink(missing_ok=True)
        log.warning("import job abandoned by its process", job_id=job_id)
    return ended


class JobHeartbeat:
    """Beats for a running job from a thread of its own, however long a batch takes."""

    def __init__(self, engine: Engine, job_id: str, *, every: float = HEARTBEAT_SECONDS) -> None:
        self._engine = engine
        self._job_id = job_id
        self._every = every
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"import-{job_id}", daemon=True)

    def __enter__(self) -> JobHeartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stopped.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stopped.wait(self._every):
            try:
                with self._engine.begin() as conn:
                    import_storage.beat(conn, self._job_id, _now())
            except SQLAlchemyError as error:  # a missed beat is not the job's failure
                log.warning("import heartbeat missed", job_id=self._job_id, error=str(error))


def _run(
    engine: Engine, job: ImportJob, path: Path, *, mapping: ColumnMapping | None, encoding: str
) -> None:
    saver = _ProgressSaver(engine, job)
    try:
        summary = IMPORTERS[job.kind](
            engine,
            job.store_id,
            path,
            mapping=mapping,
            dry_run=job.dry_run,
            encoding=encoding,
            progress=saver,
            batch_size=JOB_BATCH_SIZE,
        )
    except WinbackError as error:  # the file refused, or the store gone
        if saver.latest is not None:
            job.take(saver.latest)
        _save(engine, job, status=FAILED, reason=error.reason, finished_at=_now())
    except Exception as error:
        reason = f"internal error: {type(error).__name__}"
        _save(engine, job, status=FAILED, reason=reason, finished_at=_now())
        raise
    else:
        job.take(summary)
        status = FAILED if summary.stopped else SUCCEEDED
        _save(engine, job, status=status, reason=summary.stopped, finished_at=_now())


class _ProgressSaver:
    """Saves the job's figures as the import goes, at most once every ``SAVE_EVERY_SECONDS``."""

    def __init__(self, engine: Engine, job: ImportJob) -> None:
        self._engine = engine
        self._job = job
        self._saved_at = time.monotonic()
        self.latest: ImportSummary | None = None

    def __call__(self, summary: ImportSummary) -> None:
        self.latest = summary
        if time.monotonic() - self._saved_at < SAVE_EVERY_SECONDS:
            return
        self._job.take(summary)
        _save(self._engine, self._job)
        self._saved_at = time.monotonic()


def _save(engine: Engine, job: ImportJob, **changes: object) -> None:
    for name, value in changes.items():
        setattr(job, name, value)
    job.heartbeat_at = _now()
    with engine.begin() as conn:
        import_storage.save_job(conn, job)


def _now() -> datetime:
    return datetime.now(UTC)
