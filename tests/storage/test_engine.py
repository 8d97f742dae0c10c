"""SQLite's settings per kind of transaction: durable writes, derived writes, reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

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
