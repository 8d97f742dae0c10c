"""The services one winback process runs, built once from the settings."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from huey import Huey
from sqlalchemy import Engine

from winback.apply.applier import Applier
from winback.config import Settings
from winback.feeds.tasks import register as register_feed_tasks
from winback.imports.tasks import register as register_import_tasks
from winback.intake.backpressure import ApplyBackpressure
from winback.intake.checked import CheckedEvents
from winback.intake.rawlog import RawLogWriter
from winback.intake.receive import Intake
from winback.jobs.queue import QueueWorkers, TaskRegistrar, TaskRuntime, make_queue
from winback.storage.engine import derived, gated, make_engine, reader
from winback.storage.migrate import upgrade_to_head
from winback.stores.directory import StoreDirectory
from winback.supervise import Apart


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    reader: Engine  # the engine's read-only face: API reads never wait for a writer
    directory: StoreDirectory
    writer: RawLogWriter
    intake: Intake
    applier: Applier
    apply_in_process: bool
    queue: Huey
    apart: Apart | None = None  # (from serve, when the applier runs in ``winback worker``)
    _workers: QueueWorkers | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the in-process applier and job workers (the embedded, one-process mode).

        Otherwise ``winback worker`` runs both: the HTTP workers only queue jobs.
        """
        if self.apply_in_process:
            self._workers = QueueWorkers(self.queue)
            self._workers.start()
            self._thread = threading.Thread(
                target=self.applier.run, args=(self._stop,), name="applier", daemon=True
            )
            self._thread.start()

    def applier_state(self) -> str:
        """``running`` or ``stopped`` for this process's applier; ``apart`` when the
        events are applied by ``winback worker``, ``stopped`` while the serve that
        started this process has none running."""
        if not self.apply_in_process:
            return "apart" if self.apart is None else self.apart.applier_state()
        return "running" if self._thread is not None and self._thread.is_alive() else "stopped"

    def close(self) -> None:
        self._stop.set()
        self.applier.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._workers is not None:
            self._workers.stop()
        self.writer.close()
        self.engine.dispose()


def build_runtime(
    settings: Settings,
    *,
    apply_in_process: bool = True,
    migrate: bool = True,
    apart: Apart | None = None,
) -> Runtime:
    """Connect, migrate, and wire the intake to the applier."""
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        upgrade_to_head(engine)
    # Only an applier of this process can take the intake's checked payloads.
    checked = CheckedEvents() if apply_in_process else None
    applier = Applier(
        gated(derived(engine)), batch_size=settings.batch_size_in("server"), checked=checked
    )
    backpressure = ApplyBackpressure(reader(engine), settings.apply_lag_limit_seconds)
    writer = RawLogWriter(
        gated(engine), on_commit=applier.wake.set, checked=checked, hold=backpressure.hold
    )
    directory = StoreDirectory(reader(engine))
    intake = Intake(settings, directory, writer)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        reader=reader(engine),
        directory=directory,
        writer=writer,
        intake=intake,
        applier=applier,
        apply_in_process=apply_in_process,
        queue=make_queue(settings),
        apart=apart,
    )
    register_tasks(runtime.queue, runtime)
    return runtime


@dataclass(frozen=True)
class TaskContext:
    """What queued tasks run with in a process that has no ``Runtime`` (``winback worker``)."""

    engine: Engine
    settings: Settings


def register_tasks(queue: Huey, context: TaskRuntime) -> None:
    """Define every domain's tasks on ``queue``, to run with ``context``'s engine and settings."""
    for register in TASK_REGISTRARS:
        register(queue, context)


# Each domain that queues work adds its ``register(queue, runtime)`` here.
TASK_REGISTRARS: list[TaskRegistrar] = [register_feed_tasks, register_import_tasks]
