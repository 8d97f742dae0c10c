"""The feed's queued work: one task that syncs a store, one periodic task that finds due feeds.

The schedule lives in the database (``feeds.next_run_at``), not in the queue:
it survives restarts, and any process running the queue's consumer finds the
feeds that came due while nothing was running. Claiming a due feed moves its
``next_run_at`` in the same statement, so two schedulers never queue it twice;
the sync lock (``storage.feeds.sync_lock``) keeps two syncs of one store from
running at once whoever started them.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog
from huey import Huey, crontab
from sqlalchemy import Engine

from winback.feeds.fetch import spool_dir
from winback.feeds.model import TRIGGER_SCHEDULE
from winback.feeds.sync import SyncRequest, queue_run, sync_feed
from winback.jobs.queue import Task, TaskRuntime
from winback.storage import feeds as feed_storage

log = structlog.get_logger(__name__)

# Uploads whose task never ran (the process stopped first) are removed after this.
SPOOL_MAX_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class FeedTasks:
    """The registered tasks of one queue; calling ``sync`` enqueues a sync."""

    queue: Huey
    sync_task: Task

    def sync(self, store_id: str, *, trigger: str, run_id: int, upload: Path | None) -> None:
        self.sync_task(store_id, trigger, run_id, str(upload) if upload else None)


_TASKS: weakref.WeakKeyDictionary[Huey, FeedTasks] = weakref.WeakKeyDictionary()


def feed_tasks(queue: Huey) -> FeedTasks:
    """The feed tasks registered on ``queue`` (by ``register`` at start-up)."""
    return _TASKS[queue]


def register(queue: Huey, runtime: TaskRuntime) -> None:
    """Define the feed tasks on ``queue``; they use ``runtime``'s engine and settings."""

    @queue.task(name="feeds.sync_feed", retries=0)  # type: ignore[untyped-decorator]
    def sync_feed_task(store_id: str, trigger: str, run_id: int, upload: str | None) -> None:
        source = Path(upload) if upload else None
        try:
            request = SyncRequest(store_id, trigger, source=source, run_id=run_id)
            sync_feed(runtime.engine, runtime.settings, request)
        finally:
            if source is not None:
                source.unlink(missing_ok=True)

    @queue.periodic_task(crontab(minute="*"), name="feeds.enqueue_due")  # type: ignore[untyped-decorator]
    def enqueue_due_syncs() -> None:
        for store_id in claim_due(runtime.engine):
            run = queue_run(runtime.engine, store_id, trigger=TRIGGER_SCHEDULE, source=None)
            sync_feed_task(store_id, TRIGGER_SCHEDULE, run.id, None)
            log.info("feed sync queued", store_id=store_id, run_id=run.id)
        remove_stale_uploads(runtime.settings.data_dir)

    _TASKS[queue] = FeedTasks(queue, sync_feed_task)


def claim_due(engine: Engine) -> list[str]:
    """The stores whose feed is due now, each claimed for this scheduler."""
    with engine.begin() as conn:
        return feed_storage.claim_due_feeds(conn, datetime.now(UTC))


def remove_stale_uploads(data_dir: Path) -> None:
    cutoff = time.time() - SPOOL_MAX_AGE_SECONDS
    for path in spool_dir(data_dir).iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue
