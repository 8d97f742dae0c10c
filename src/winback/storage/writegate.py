"""The write gate: SQLite's busiest writers queue at a lock file, not in SQLite's busy handler.

SQLite lets one connection write at a time. One that finds the lock taken
sleeps and tries again, 1, 2, 5, 10 and up to 100 ms apart, so it often
sleeps long after the lock came free. The raw log's group commits and the
applier's batches take the lock in turn hundreds of times a second, in one
process or in two (``serve --separate-applier``): those oversleeps left both
sides idle, and the acknowledgements waiting. So these two writers first take
an exclusive ``flock`` on a file beside the database, which the kernel hands
to the next waiter as soon as the holder lets go, and only then begin.

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


class GatedConnection(sqlite3.Connection):
    """A SQLite connection that can queue at its database's write gate."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        # One open file per connection: flock excludes open files, so two
        # connections of one process exclude each other as two processes do.
        self._gate = os.open(gate_path(database), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._gate_held = False

    def enter_gate(self) -> None:
        if not self._gate_held:
            fcntl.flock(self._gate, fcntl.LOCK_EX)  # blocks without holding the GIL
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
                self._gate = -1
        finally:
            super().close()
