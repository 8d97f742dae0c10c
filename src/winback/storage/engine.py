"""Database engines: SQLite (WAL, fsync on commit) embedded, PostgreSQL in production."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Text, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.functions import FunctionElement

from winback.config import Sourced
from winback.storage.files import usable_database_file
from winback.storage.writegate import GatedConnection

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Enough kept open for the read API's thread pool (40 threads) under a burst of
# reads: a connection opened past the pool is closed again after one request,
# and opening one (pragmas, the gate's files) costs more than the read.
SQLITE_POOL = {"pool_size": 40, "max_overflow": 10}


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # WAL lets readers run beside the single writer; synchronous=FULL fsyncs the
    # WAL at every commit, which is what makes a 200 survive a power loss.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # SQLite's lower() folds ASCII letters only: ``folded`` lowers as Python does.
    dbapi_connection.create_function(_UNICODE_LOWER, 1, _lower, deterministic=True)
    # Let SQLAlchemy's BEGIN (IMMEDIATE, see below) control transactions.
    dbapi_connection.isolation_level = None


_UNICODE_LOWER = "winback_lower"


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class folded(FunctionElement[str]):  # noqa: N801 (a SQL function, named as one)
    """Text in lower case beyond ASCII too: PostgreSQL's ``lower()``, and on SQLite,
    whose own folds ASCII letters only, Python's."""

    type = Text()
    name = "folded"
    inherit_cache = True


@compiles(folded)
def _folded(element: folded, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_on_sqlite(element: folded, compiler: Any, **kw: Any) -> str:
    return f"{_UNICODE_LOWER}({compiler.process(element.clauses, **kw)})"


READ_ONLY = "winback_read_only"
DERIVED = "winback_derived"
GATED = "winback_gated"


def _begin(conn: Any) -> None:
    # A writing transaction takes the write lock at BEGIN: one that reads first and
    # writes later can fail with SQLITE_BUSY_SNAPSHOT under concurrent writers. A
    # reader (see ``reader``) does not need it, and must not wait for the writers.
    options = conn.get_execution_options()
    if options.get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
        return
    # (set for every transaction: the pool hands the same connection to both kinds)
    conn.exec_driver_sql(f"PRAGMA synchronous={'NORMAL' if options.get(DERIVED) else 'FULL'}")
    connection = conn.connection.dbapi_connection
    if not (options.get(GATED) and isinstance(connection, GatedConnection)):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    connection.enter_gate()
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        connection.leave_gate()
        raise


def reader(engine: Engine) -> Engine:
    """The same engine (and pool) for connections that only read: on SQLite they
    read a snapshot beside the writer instead of queueing for its lock."""
    return engine.execution_options(**{READ_ONLY: True})


def derived(engine: Engine) -> Engine:
    """The same engine for transactions that write only what the raw log can rebuild
    (the applier's): their commit does not wait for the disk. On SQLite that
    matters most, as the commit holds the one write lock. A power cut may undo
    the last of them, whole; the events they applied are then pending again and
    applied again. The next durable commit (the raw log's) makes them durable
    too: both databases write one log, in order."""
    return engine.execution_options(**{DERIVED: True})


def gated(engine: Engine) -> Engine:
    """The same engine for the busiest writers, whose transactions begin and end in
    one place: on a SQLite file they queue at the write gate
    (``storage/writegate.py``) before they begin."""
    return engine.execution_options(**{GATED: True})


def data_version(conn: Connection) -> int | None:
    """SQLite's count that moves whenever another connection commits a change to
    the database (not this one's own commits); None elsewhere."""
    if conn.dialect.name != "sqlite":
        return None
    return int(conn.exec_driver_sql("PRAGMA data_version").scalar_one())


def _json(value: Any) -> str:
    # JSON columns (variants, line items, profiles) are written and read for every
    # row of a batch: orjson is several times faster than the standard json module.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """Create an engine for ``url`` with winback's durability settings."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        if parsed.database and not in_memory:
            # (before SQLite opens it, whose own words name neither the file nor the fault)
            setting = url.setting if isinstance(url, Sourced) else None
            usable_database_file(Path(parsed.database), setting)
        connect_args: dict[str, Any] = {
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
        }
        if not in_memory:
            connect_args["factory"] = GatedConnection
        engine = create_engine(
            url,
            connect_args=connect_args,
            poolclass=NullPool if in_memory else None,
            **({} if in_memory else SQLITE_POOL),
            json_serializer=_json,
            json_deserializer=orjson.loads,
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin)
        return engine
    engine = create_engine(
        url,
        # Times are read back in the session's zone: a server or database set to
        # another one moves year 1 and year 9999 out of the range Python can hold.
        connect_args={"options": "-c timezone=UTC"},
        pool_size=pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        json_serializer=_json,
        json_deserializer=orjson.loads,
    )
    event.listen(engine, "begin", _begin_postgresql)
    return engine


def _begin_postgresql(conn: Any) -> None:
    # The same reasoning as SQLite's NORMAL: a derived transaction's commit does not
    # wait for its WAL to reach the disk (it can be lost, never half-applied).
    if conn.get_execution_options().get(DERIVED):
        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
