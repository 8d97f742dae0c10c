"""Telling an applier in another process that new events reached the raw log.

In one process the raw log's writer wakes the applier itself (a
``threading.Event``). ``winback worker`` runs apart and used to learn of new
events only by looking again every 50 ms: at a steady load an event could wait
that long, with the applier idle, before its batch began. Each database has a
cheap way to say that someone committed:

- SQLite: ``PRAGMA data_version`` changes when another connection, in any
  process, commits to the file. Any commit counts (the applier's own, a feed
  sync's): a wake-up too many costs one look at the pending events.
- PostgreSQL: LISTEN/NOTIFY. The raw log's writer notifies in the transaction
  that appends (``announce_appended``), so the notice arrives with the commit.

Both wait on an object with ``clear()`` (only what is committed after it
counts) and ``wait(timeout)``, as ``threading.Event`` does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import psycopg
from sqlalchemy import Connection, Engine

CHANNEL = "winback_raw_log"
# data_version is read from an open connection: a few microseconds, so a short
# interval wakes the applier soon at the price of little CPU while it is idle.
SQLITE_POLL_SECONDS = 0.002
# How long the listening connection may take to open (the database's host gone
# silent): the applier's loop retries after it.
CONNECT_TIMEOUT_SECONDS = 10


class Wakeup(Protocol):
    def clear(self) -> None: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class Commits(Wakeup, Protocol):
    def close(self) -> None: ...


def announce_appended(conn: Connection) -> None:
    """In the transaction that appends to the raw log: tell the listening appliers."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"NOTIFY {CHANNEL}")


def watch_commits(engine: Engine) -> Commits:
    """What wakes an applier of this database when another process appends."""
    if engine.dialect.name == "sqlite":
        return SqliteCommits(engine)
    return PostgresNotices(engine)


class SqliteCommits:
    """Wakes when another connection has committed to the database file since ``clear``."""

    def __init__(self, engine: Engine) -> None:
        self._connection = engine.raw_connection()
        self._seen = self._version()

    def _version(self) -> int:
        cursor = self._connection.cursor()
        try:
            cursor.execute("PRAGMA data_version")
            (version,) = cursor.fetchone() or (0,)
            return int(version)
        finally:
            cursor.close()

    def clear(self) -> None:
        self._seen = self._version()

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._version() == self._seen:
            left = SQLITE_POLL_SECONDS if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(SQLITE_POLL_SECONDS, left))
        return True

    def close(self) -> None:
        self._connection.close()


class PostgresNotices:
    """Wakes on a notice of the raw log's writer received since ``clear``.

    A connection lost (a restart, a failover, its backend terminated) is given up
    with the error, which the applier's loop logs and retries as it does its own
    queries; the next ``clear`` listens on a new one. A notice sent meanwhile is
    missed, but the look that follows ``clear`` finds its events all the same.
    """

    def __init__(self, engine: Engine) -> None:
        # A connection of its own, outside the pool: it listens for as long as the
        # applier runs, in autocommit (a notice is delivered between transactions).
        self._url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._connection: psycopg.Connection[Any] | None = None
        self._listening()  # (what is appended from now on counts, as on SQLite)

    def _listening(self) -> psycopg.Connection[Any]:
        if self._connection is None:
            connection = psycopg.connect(
                self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
            )
            try:
                connection.execute(f"LISTEN {CHANNEL}")
            except psycopg.Error:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    @contextmanager
    def _given_up_on_error(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error:
            self.close()
            raise

    def clear(self) -> None:
        with self._given_up_on_error():
            for _notice in self._listening().notifies(timeout=0):
                pass

    def wait(self, timeout: float | None = None) -> bool:
        with self._given_up_on_error():
            for _notice in self._listening().notifies(timeout=timeout, stop_after=1):
                return True
        return False

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
