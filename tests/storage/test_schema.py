"""Column types: times in UTC, stored on SQLite as the text SQLAlchemy itself writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from winback.storage.schema import UTCDateTime

SQLITE = sqlite.dialect()
TIMES = [
    datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC),
    datetime(2026, 3, 1, 12, 30, 15, tzinfo=UTC),
    datetime(2026, 3, 1, 1, 0, tzinfo=timezone(timedelta(hours=5))),
    datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
]


@pytest.mark.parametrize("at", TIMES, ids=str)
def test_a_time_is_written_to_sqlite_as_sqlalchemy_writes_it_in_utc(at: datetime) -> None:
    written = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert written is not None
    plain = DateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert plain is not None

    text = written(at)

    assert text == plain(at.astimezone(UTC).replace(tzinfo=None))
    read = UTCDateTime().dialect_impl(SQLITE).result_processor(SQLITE, None)
    assert read is not None
    assert read(text) == at


def test_a_time_without_a_zone_is_refused_rather_than_guessed() -> None:
    written = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert written is not None
    with pytest.raises(ValueError, match="naive datetime"):
        written(datetime(2026, 3, 1, 12, 0))
    assert written(None) is None
