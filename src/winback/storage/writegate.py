"""The write gate: SQLite's busiest writers queue at a lock file, not in SQLite's busy handler.

SQLite lets one connection write at a time. One that finds the lock taken
sleeps and tries again, 1, 2, 5, 10 and up to 100 ms apart, so it often
sleeps long after the lock came free. The raw log's group commits and the
applier's batches take the lock in turn hundreds of times a second, in one
process or in two (``serve --separate-applier``): those oversleeps left both
sides idle, and the acknowledgements waiting. So these two writers first take
an exclusive ``flock`` on a file beside the database, which the kernel hands
to the next waiter as soon as the holder lets go, and only then begin.

The kernel wakes the waiter but does not hand it the lock: a holder that
comes straight back (the raw log's writer under overload) would take it
again first, for as long as the load lasts, and the applier would fall ever
further behind. So a writer queues first, with a shared ``flock`` on a
second file it keeps until it has the gate, and one about to queue lets
those already queued go first, by waiting for an exclusive lock on that
file.

SQLite's own lock still keeps the data safe: other writers (feed syncs,
imports, the API's few writes) do not pass the gate and are waited for by the
busy handler as before. Only transactions that begin and end in one place
pass it, so a thread never waits at the gate it holds.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from typing import Any


def gate_path(database: str) -> str:
    return f"{database}-writers"


def queue_path(database: str) -> str:
    return f"{database}-writers-queue"


def _open_lock_file(path: str) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


class GatedConnection(sqlite3.Connection):
    """A SQLite connection that can queue at its database's write gate."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        # One open file per connection: flock excludes open files, so two
        # connections of one process exclude each other as two processes do.
        self._gate = _open_lock_file(gate_path(database))
        self._queue = _open_lock_file(queue_path(database))
        self._gate_held = False

    def enter_gate(self) -> None:
        if self._gate_held:
            return
        # (flock blocks without holding the GIL)
        fcntl.flock(self._queue, fcntl.LOCK_EX)  # those already queued go first
        fcntl.flock(self._queue, fcntl.LOCK_UN)
        fcntl.flock(self._queue, fcntl.LOCK_SH)
        try:
            fcntl.flock(self._gate, fcntl.LOCK_EX)
        finally:
            fcntl.flock(self._queue, fcntl.LOCK_UN)
        self._gate_held = True

    def leave_gate(self) -> None:
        if self._gate_held:
            fcntl.flock(self._gate, fcntl.LOCK_UN)
            self._gate_held = False

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.leave_gate()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.leave_gate()

    def close(self) -> None:
        try:
            if self._gate >= 0:
                self.leave_gate()
                os.close(self._gate)
                os.close(self._queue)
                self._gate = -1
        finally:
            super().close()
