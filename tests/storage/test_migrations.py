"""Migrations bring an existing database forward without losing what it holds."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, select, text

from tests.conftest import POSTGRES_UP, _fresh_postgres_database
from tests.processes import run_winback
from winback.storage.engine import make_engine
from winback.storage.migrate import SchemaAhead, alembic_config, upgrade_to_head
from winback.storage.schema import Money, UTCDateTime, feed_runs, metadata

# The customers table as revision 0003 left it (only the columns a row needs).
OLD_CUSTOMERS = sa.table(
    "customers",
    sa.column("uid", sa.String),
    sa.column("store_id", sa.String),
    sa.column("tags", sa.JSON),
    sa.column("data", sa.JSON),
    sa.column("version_at", UTCDateTime),
    sa.column("orders_count", sa.Integer),
    sa.column("total_spent", Money),
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each kind, not yet migrated."""
    if request.param == "postgresql":
        if not POSTGRES_UP:
            pytest.skip("PostgreSQL is not reachable")
        url = _fresh_postgres_database()
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _old_customer(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "uid": secrets.token_hex(16),
        "store_id": "st_old",
        "tags": [],
        "data": data,
        "version_at": datetime(2025, 1, 1, tzinfo=UTC),
        "orders_count": 0,
        "total_spent": Decimal(0),
    }


def test_customers_pos_ids_and_phones_are_copied_to_their_lookup_columns(
    fresh_engine: Engine,
) -> None:
    # Given customers stored before the columns existed
    command.upgrade(alembic_config(fresh_engine), "0003")
    rows = [
        _old_customer({"pos_id": "P1", "sms_phone_number_e164": "+491512345678"}),
        _old_customer({"pos_id": "P" * 256, "sms_phone_number_e164": 491512345678}),
        _old_customer({}),
    ]
    with fresh_engine.begin() as conn:
        conn.execute(sa.insert(OLD_CUSTOMERS), rows)

    # When the database is brought to the newest schema
    upgrade_to_head(fresh_engine)

    # Then each lookup column holds what the profile held, unless it could name no one
    with fresh_engine.connect() as conn:
        query = sa.text("SELECT uid, pos_id, sms_phone_number FROM customers")
        found = {uid: (pos_id, phone) for uid, pos_id, phone in conn.execute(query)}
    assert [found[row["uid"]] for row in rows] == [
        ("P1", "+491512345678"),
        (None, None),
        (None, None),
    ]


def _legacy_purchase(placed: str, written: str, digest: str) -> dict[str, Any]:
    return {"implied": [placed, [written, digest]]}


def test_purchase_registers_become_one_compact_map_and_come_back(fresh_engine: Engine) -> None:
    # given a buyer stored at 0007 with two purchase registers and their copies,
    # one placed in another zone, beside a name register
    config = alembic_config(fresh_engine)
    command.upgrade(config, "0007")
    name = {"explicit": ["Ada", ["2026-01-01T00:00:00+00:00", "aaaaaaaaaaaa"]]}
    legacy: dict[str, Any] = {
        "_registers": {
            "first_name": name,
            "_bought:o1": _legacy_purchase(
                "2026-01-01T01:00:00+00:00", "2026-01-02T00:00:00+00:00", "2b0673c9902e"
            ),
            "_bought:o2": _legacy_purchase(
                "2026-01-01T03:00:00+02:00", "2026-01-03T00:00:00.000001+00:00", "0"
            ),
        },
        "_bought:o1": "2026-01-01T01:00:00+00:00",
        "_bought:o2": "2026-01-01T03:00:00+02:00",
        "first_name": "Ada",
    }
    buyer, other = _old_customer(legacy), _old_customer({"first_name": "Bo"})
    with fresh_engine.begin() as conn:
        conn.execute(sa.insert(OLD_CUSTOMERS), [buyer, other])

    # when the database is brought to the newest schema
    upgrade_to_head(fresh_engine)

    # then the purchases are one map of [version, placed] in microseconds
    day = 86_400 * 1_000_000
    start = round(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
    hour = 3_600 * 1_000_000
    assert _customer_data(fresh_engine) == {
        buyer["uid"]: {
            "_registers": {"first_name": name},
            "_purchases": {
                "o1": [start + day, start + hour],
                "o2": [start + 2 * day + 1, start + hour],
            },
            "first_name": "Ada",
        },
        other["uid"]: {"first_name": "Bo"},
    }

    # and undone, each purchase is a register again, as of the same times in UTC
    command.downgrade(config, "0007")
    restored = _customer_data(fresh_engine)[buyer["uid"]]
    assert restored["_registers"]["_bought:o1"] == legacy["_registers"]["_bought:o1"]
    assert restored["_bought:o2"] == "2026-01-01T01:00:00+00:00"
    assert (
        restored["_registers"]["_bought:o2"]["implied"][1][0] == "2026-01-03T00:00:00.000001+00:00"
    )


def _customer_data(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(select(OLD_CUSTOMERS.c.uid, OLD_CUSTOMERS.c.data))
        return {uid: data for uid, data in rows}


OLD_RUN = (
    "INSERT INTO feed_runs (store_id, trigger, status, started_at, rows_read, created, updated,"
    " unchanged, made_unavailable, rejected, errors)"
    " VALUES ('st_old', 'cli', 'succeeded', '2026-11-01 00:00:00', 3, 1, 0, 0, 0, 2, '[]')"
)


def test_feed_runs_recorded_before_errors_not_listed_existed_read_as_none_unlisted(
    tmp_path: Path,
) -> None:
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


def test_the_newest_schema_is_the_one_the_code_declares(fresh_engine: Engine) -> None:
    # given an empty database brought to the newest schema
    upgrade_to_head(fresh_engine)

    # when it is compared with the tables, columns and indexes the code writes to
    # (SQLite enforces no declared length: the columns 0003 made free text on
    # PostgreSQL keep their old declaration there, and only types differ by that)
    compare_type = fresh_engine.dialect.name != "sqlite"
    with fresh_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": compare_type})
        differences = compare_metadata(context, metadata)

    # then the migrations made exactly those
    assert differences == []


def _stamp_a_newer_revision(engine: Engine) -> None:
    """The database as a newer winback leaves it, with a revision this one lacks."""
    upgrade_to_head(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'zzzz_future'"))


def test_a_schema_newer_than_this_winback_is_refused_saying_so(fresh_engine: Engine) -> None:
    _stamp_a_newer_revision(fresh_engine)
    latest = ScriptDirectory.from_config(alembic_config(fresh_engine)).get_current_head()

    with pytest.raises(SchemaAhead) as refused:
        upgrade_to_head(fresh_engine)

    assert str(refused.value) == (
        "the database's schema (revision zzzz_future) is newer than this winback's"
        f" (latest revision {latest}): run the newer version of winback"
    )


def test_a_schema_newer_than_this_winback_stops_the_cli_with_one_line(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'winback.db'}")
    _stamp_a_newer_revision(engine)
    engine.dispose()

    finished = run_winback(["migrate"], tmp_path)

    assert finished.returncode == 2
    assert finished.stderr.startswith("winback: the database's schema (revision zzzz_future)")
    assert len(finished.stderr.splitlines()) == 1 and finished.stdout == ""
