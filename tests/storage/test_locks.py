"""The apply lock, and on SQLite the count of transactions that wrote derived state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from tests.rawevents import webhook_event
from winback.apply.applier import Applier
from winback.apply.direct import apply_direct
from winback.apply.item import ApplyItem
from winback.intake.rawlog import append_events
from winback.intake.topics import Topic
from winback.intake.validation import parse_payload
from winback.storage.engine import reader
from winback.storage.locks import derived_writes_so_far, take_apply_lock
from winback.storage.replay import replay_store
from winback.stores.service import create_store

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


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
    # (PostgreSQL counts no transaction at all: its answer is None, never a count)
    none_counted = 0 if private_engine.dialect.name == "sqlite" else None
    with private_engine.connect() as conn:
        assert derived_writes_so_far(conn) == none_counted


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


def _counted(engine: Engine, write: Callable[[], object]) -> int:
    with engine.connect() as conn:
        before = derived_writes_so_far(conn) or 0
    write()
    with engine.connect() as conn:
        return (derived_writes_so_far(conn) or 0) - before


def test_every_writer_of_derived_state_is_counted(private_engine: Engine) -> None:
    # (what the applier's check rests on: a writer not counted could be written over)
    if private_engine.dialect.name != "sqlite":
        pytest.skip("counted on SQLite only")
    store, _ = create_store(private_engine, name="counted")
    body = {"id": "k1", "email": "kim@example.com"}
    payload = parse_payload(Topic.CUSTOMER_UPDATE, body)
    item = ApplyItem(store.id, Topic.CUSTOMER_UPDATE, "customers/update", payload, body, AT, "csv")
    append_events(private_engine, [webhook_event(store.id, "customers/update", body)])

    assert _counted(private_engine, Applier(private_engine).drain) >= 1
    assert _counted(private_engine, Applier(private_engine, work_out_first=True).drain) == 0
    assert _counted(private_engine, lambda: apply_direct(private_engine, [item])) == 1
    assert _counted(private_engine, lambda: replay_store(private_engine, store.id)) == 1
    assert _counted(private_engine, Applier(private_engine, work_out_first=True).drain) >= 1
