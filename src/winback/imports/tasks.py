"""The imports' queued work: one task that runs a recorded import job, one periodic
task that ends the jobs whose process died.

The column mapping and the encoding travel with the task (the job record keeps
what a person reads: the file name, the figures, the errors).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from huey import Huey, crontab

from winback.imports.runs import end_abandoned_jobs, run_import
from winback.jobs.queue import Task, TaskRuntime


@dataclass(frozen=True)
class ImportTasks:
    """The registered tasks of one queue; calling ``run`` enqueues a job's run."""

    queue: Huey
    run_task: Task

    def run(self, job_id: str, *, mapping: dict[str, str] | None, encoding: str) -> None:
        self.run_task(job_id, mapping, encoding)


_TASKS: weakref.WeakKeyDictionary[Huey, ImportTasks] = weakref.WeakKeyDictionary()


def import_tasks(queue: Huey) -> ImportTasks:
    """The import tasks registered on ``queue`` (by ``register`` at start-up)."""
    return _TASKS[queue]


def register(queue: Huey, runtime: TaskRuntime) -> None:
    """Define the import task on ``queue``; it uses ``runtime``'s engine and data directory."""

    @queue.task(name="imports.run_import", retries=0)  # type: ignore[untyped-decorator]
    def run_import_task(job_id: str, mapping: dict[str, str] | None, encoding: str) -> None:
        run_import(
            runtime.engine,
            runtime.settings.data_dir,
            job_id,
            mapping=mapping,
            encoding=encoding,
        )

    @queue.periodic_task(crontab(minute="*"), name="imports.end_abandoned")  # type: ignore[untyped-decorator]
    def end_abandoned_jobs_task() -> None:
        end_abandoned_jobs(runtime.engine, runtime.settings.data_dir)

    _TASKS[queue] = ImportTasks(queue, run_import_task)
