"""SQLite's settings per kind of transaction: durable writes, derived writes, reads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text

from winback.storage.engine import derived, make_engine, reader

FULL, NORMAL = 2, 1


def test_only_the_derived_writes_commit_without_waiting_for_the_disk(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'winback.db'}")
    seen = []
    try:
        # One pooled connection serves all three in turn: each must set its own mode.
        for face in (engine, derived(engine), engine, derived(engine)):
            with face.begin() as conn:
                seen.append(conn.execute(text("PRAGMA synchronous")).scalar_one())
        with reader(engine).connect() as conn:
            journal = conn.execute(text("PRAGMA journal_mode")).scalar_one()
    finally:
        engine.dispose()

    assert seen == [FULL, NORMAL, FULL, NORMAL]
    assert journal == "wal"


def test_on_postgresql_only_the_derived_writes_skip_waiting_for_the_wal(
    engine: Engine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    seen = []
    for face in (engine, derived(engine), engine):
        with face.begin() as conn:
            seen.append(conn.execute(text("SHOW synchronous_commit")).scalar_one())

    assert seen == ["on", "off", "on"]


def test_on_postgresql_times_round_trip_whatever_zone_the_database_is_set_to(
    engine: Engine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    name = engine.url.database
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone TO 'America/New_York'")
    fresh = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with fresh.connect() as conn:
            zone = conn.exec_driver_sql("SHOW timezone").scalar_one()
            year_one = conn.execute(
                text("SELECT CAST('0001-01-01T00:00:00Z' AS timestamptz)")
            ).scalar_one()
    finally:
        fresh.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" RESET timezone')

    assert zone == "UTC"
    assert year_one == datetime(1, 1, 1, tzinfo=UTC)


def test_a_second_burst_of_reads_on_sqlite_reuses_the_connections_of_the_first(
    tmp_path: Path,
) -> None:
    # The read API serves from a pool of threads: a connection opened past the
    # pool would be set up and closed again for every request of a burst.
    engine = make_engine(f"sqlite:///{tmp_path / 'winback.db'}")
    opened: list[object] = []
    event.listen(engine, "connect", lambda dbapi_connection, _record: opened.append(1))
    all_reading = threading.Barrier(30)

    def read() -> None:
        with reader(engine).connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()
            all_reading.wait(timeout=10)

    def burst() -> int:
        before = len(opened)
        threads = [threading.Thread(target=read) for _ in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        return len(opened) - before

    try:
        first, second = burst(), burst()
    finally:
        engine.dispose()

    assert (first, second) == (30, 0)
