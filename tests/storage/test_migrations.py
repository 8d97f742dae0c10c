"""Migrations bring an existing database forward without losing what it holds."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import select, text

from winback.storage.engine import make_engine
from winback.storage.migrate import alembic_config, upgrade_to_head
from winback.storage.schema import feed_runs

OLD_RUN = (
    "INSERT INTO feed_runs (store_id, trigger, status, started_at, rows_read, created, updated,"
    " unchanged, made_unavailable, rejected, errors)"
    " VALUES ('st_old', 'cli', 'succeeded', '2026-11-01 00:00:00', 3, 1, 0, 0, 0, 2, '[]')"
)


def test_feed_runs_recorded_before_errors_not_listed_existed_read_as_none_unlisted(
    tmp_path: Path,
):
    # given a database at the schema before the column, holding a feed run
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0003")
    with engine.begin() as conn:
        conn.execute(text(OLD_RUN))

    # when it is brought to the newest schema
    upgrade_to_head(engine)

    # then the run reads as one with no unlisted errors, and the step can be undone
    with engine.connect() as conn:
        row = conn.execute(select(feed_runs.c.rejected, feed_runs.c.errors_not_listed)).one()
    assert tuple(row) == (2, 0)
    command.downgrade(config, "0003")
    engine.dispose()
