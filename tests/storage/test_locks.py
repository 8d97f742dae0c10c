"""The apply lock, and on SQLite the count of transactions that wrote derived state."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from winback.storage.engine import reader
from winback.storage.locks import derived_writes_so_far, take_apply_lock


def _take(engine: Engine) -> int | None:
    with engine.begin() as conn:
        return take_apply_lock(conn)


def test_each_transaction_that_takes_the_lock_is_counted_on_sqlite(private_engine: Engine) -> None:
    if private_engine.dialect.name != "sqlite":
        assert _take(private_engine) is None  # (PostgreSQL's advisory lock counts nothing)
        return
    assert [_take(private_engine) for _ in range(3)] == [0, 1, 2]
    with private_engine.connect() as conn:
        assert derived_writes_so_far(conn) == 3


def test_a_transaction_rolled_back_is_not_counted(private_engine: Engine) -> None:
    with private_engine.connect() as conn, conn.begin() as transaction:
        take_apply_lock(conn)
        transaction.rollback()
    with private_engine.connect() as conn:
        assert derived_writes_so_far(conn) in (0, None)


def test_a_snapshot_sees_the_count_as_of_its_start(private_engine: Engine) -> None:
    if private_engine.dialect.name != "sqlite":
        pytest.skip("counted on SQLite only")
    _take(private_engine)
    with reader(private_engine).connect() as snapshot:
        assert derived_writes_so_far(snapshot) == 1
        _take(private_engine)  # another writer commits meanwhile
        assert derived_writes_so_far(snapshot) == 1
    with private_engine.connect() as conn:
        assert derived_writes_so_far(conn) == 2
