"""An import job whose process died: any worker ends it as failed and removes its file."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from winback.imports.jobs import FAILED, QUEUED, RUNNING, SUCCEEDED, ImportJob
from winback.imports.runs import (
    ABANDONED_AFTER,
    JobHeartbeat,
    end_abandoned_jobs,
    new_job_id,
    record_job,
    upload_path,
)
from winback.storage import imports as store
from winback.stores.service import create_store

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _job(engine: Engine, data_dir: Path, status: str, last_sign: datetime | None) -> ImportJob:
    """A job left in ``status``, its process last heard from at ``last_sign``, its file saved."""
    store_record, _key = create_store(engine, name=f"Store of a {status} job")
    job = record_job(
        engine, new_job_id(), store_record.id, "contacts", dry_run=False, filename=None,
        bytes_total=10,
    )  # fmt: skip
    job.status, job.started_at, job.heartbeat_at = status, NOW - timedelta(hours=1), last_sign
    with engine.begin() as conn:
        store.save_job(conn, job)
    upload_path(data_dir, job.id).write_bytes(b"email\na@example.com\n")
    return job


def _stored(engine: Engine, job_id: str) -> ImportJob:
    with engine.connect() as conn:
        found = store.job_by_id(conn, job_id)
    assert found is not None
    return found


def test_a_running_job_silent_too_long_is_ended_and_its_file_removed(
    private_engine: Engine, tmp_path: Path
) -> None:
    silent = _job(private_engine, tmp_path, RUNNING, NOW - ABANDONED_AFTER - timedelta(seconds=1))

    ended = end_abandoned_jobs(private_engine, tmp_path, now=NOW)

    job = _stored(private_engine, silent.id)
    assert ended == [silent.id]
    assert (job.status, job.finished_at) == (FAILED, NOW)
    assert job.reason == "the process running it stopped before it finished"
    assert not upload_path(tmp_path, silent.id).exists()


def test_a_job_still_beating_or_not_running_is_left_as_it_is(
    private_engine: Engine, tmp_path: Path
) -> None:
    beating = _job(private_engine, tmp_path, RUNNING, NOW - ABANDONED_AFTER + timedelta(seconds=5))
    queued = _job(private_engine, tmp_path, QUEUED, None)
    finished = _job(private_engine, tmp_path, SUCCEEDED, NOW - timedelta(days=1))

    assert end_abandoned_jobs(private_engine, tmp_path, now=NOW) == []

    for job in (beating, queued, finished):
        assert _stored(private_engine, job.id).status == job.status
        assert upload_path(tmp_path, job.id).exists()


def test_a_running_job_that_never_beat_is_judged_by_its_start(
    private_engine: Engine, tmp_path: Path
) -> None:
    # (a job started by a version that kept no heartbeat)
    silent = _job(private_engine, tmp_path, RUNNING, None)

    assert end_abandoned_jobs(private_engine, tmp_path, now=NOW) == [silent.id]
    assert _stored(private_engine, silent.id).status == FAILED


def test_the_heartbeat_keeps_a_running_job_alive_while_it_works(
    private_engine: Engine, tmp_path: Path
) -> None:
    started = datetime.now(UTC)
    working = _job(private_engine, tmp_path, RUNNING, started - timedelta(hours=1))

    with JobHeartbeat(private_engine, working.id, every=0.02):
        deadline = time.monotonic() + 10
        while (beat := _stored(private_engine, working.id).heartbeat_at) and beat < started:
            assert time.monotonic() < deadline, "no heartbeat was written"
            time.sleep(0.02)

    assert end_abandoned_jobs(private_engine, tmp_path) == []
    assert _stored(private_engine, working.id).status == RUNNING
