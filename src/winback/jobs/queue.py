"""The job queue: huey with SQLite storage embedded, or Redis when several processes share it.

Tasks are registered at start-up by the domains that own them (``register``
functions receiving the queue and the runtime), so no task module reads
settings at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer
from sqlalchemy import Engine

from winback.config import REDIS_SCHEMES, Settings
from winback.storage.files import usable_database_file


def make_queue(settings: Settings) -> Huey:
    """Redis when ``WINBACK_QUEUE_URL`` is ``redis://...``, a SQLite file when it is
    ``sqlite:///PATH``, else a SQLite file in the data dir (config.py allows no other)."""
    url = settings.queue_url
    if url.startswith(REDIS_SCHEMES):
        return RedisHuey("winback", url=url)
    if url:
        path, setting = Path(url.removeprefix("sqlite:///")), "WINBACK_QUEUE_URL"
    else:
        path, setting = settings.data_dir / "queue.db", "WINBACK_DATA_DIR"
    usable_database_file(path, setting)
    return SqliteHuey("winback", filename=str(path))


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without its signal handlers: the web server owns the signals here."""

    def _set_signal_handlers(self) -> None:
        return None


class QueueWorkers:
    """Huey's consumer run in threads of this process (the embedded, one-process mode)."""

    def __init__(self, queue: Huey, *, workers: int = 2) -> None:
        self._consumer = _EmbeddedConsumer(
            queue,
            workers=workers,
            worker_type="thread",
            periodic=True,
            initial_delay=0.05,
            backoff=1.5,
            max_delay=1.0,
        )

    def start(self) -> None:
        self._consumer.start()

    def stop(self) -> None:
        self._consumer.stop(graceful=True)


TaskRegistrar = Callable[[Huey, Any], None]


class TaskRuntime(Protocol):
    """What a queued task needs of the process it runs in (read, never set)."""

    @property
    def engine(self) -> Engine: ...

    @property
    def settings(self) -> Settings: ...


class Task(Protocol):
    """A huey task: calling it enqueues a run."""

    def __call__(self, *args: Any) -> Any: ...
