"""Moving a bulk load's WAL checkpoints off the connection that writes it (SQLite).

In WAL mode a commit appends the transaction's pages to the log; a checkpoint
later copies them into the database file and syncs it. By default SQLite runs
that checkpoint inside the commit that takes the log past 1,000 pages. Every
batch of a history import writes more than that, so every commit also copied
and synced the whole batch a second time while the import waited: about a
fifteenth of the import's time. A ``BackgroundCheckpointer`` turns the
writing connection's automatic checkpoints off and runs them from a thread
of its own, on a connection of its own, while the next batch is applied
(SQLite releases the GIL while it works). A passive checkpoint never blocks
the writer or the readers; once it has copied the whole log, the next write
starts the log over, so the log stays about a batch long.
"""

from __future__ import annotations

import threading
from typing import Any

import structlog
from sqlalchemy import Connection, Engine

log = structlog.get_logger(__name__)

# SQLite's own default: automatic checkpoints once the log passes this many pages.
DEFAULT_AUTOCHECKPOINT_PAGES = 1000


class BackgroundCheckpointer:
    """Checkpoints ``engine``'s database from a thread each time ``request`` is called.

    ``attach`` hands it the writing connection (its automatic checkpoints are
    turned off); ``close`` stops the thread, runs a last checkpoint and gives
    the connection its automatic checkpoints back, as it returns to the pool.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._due = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._writer: Connection | None = None

    def attach(self, writer: Connection) -> None:
        if writer.dialect.name != "sqlite" or self._thread is not None:
            return
        self._writer = writer
        self._set_autocheckpoint(0)
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def request(self) -> None:
        """The writer committed: copy what it wrote into the database file."""
        self._due.set()

    def close(self) -> None:
        if self._thread is None or self._writer is None:
            return
        self._stopping = True
        self._due.set()
        self._thread.join()
        self._thread = None
        self._set_autocheckpoint(DEFAULT_AUTOCHECKPOINT_PAGES)
        self._writer = None

    def _set_autocheckpoint(self, pages: int) -> None:
        # On the driver's connection: through SQLAlchemy's, it would begin a transaction.
        assert self._writer is not None
        driver: Any = self._writer.connection.driver_connection
        driver.execute(f"PRAGMA wal_autocheckpoint={pages}")

    def _run(self) -> None:
        connection: Any = self._engine.raw_connection()
        try:
            while True:
                self._due.wait()
                self._due.clear()
                last = self._stopping  # read first: a commit made while this one runs is next's
                self._checkpoint(connection)
                if last:
                    return
        finally:
            connection.close()

    @staticmethod
    def _checkpoint(connection: Any) -> None:
        cursor = connection.cursor()
        try:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception as error:  # a failed checkpoint loses nothing: the log keeps it
            log.warning("background checkpoint failed", error=repr(error))
        finally:
            cursor.close()
