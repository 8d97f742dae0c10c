"""The stamps of profile registers: a version's text, looked up rather than formatted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from winback.shoppers.profile import make_stamp, stamp_time


def test_a_stamp_holds_the_version_as_its_own_text():
    at = datetime(2026, 11, 1, 10, 0, 0, 250000, tzinfo=UTC)

    assert stamp_time(at) == "2026-11-01T10:00:00.250000+00:00"
    assert make_stamp(at, "Ada")[0] == at.isoformat()


def test_the_same_instant_in_two_zones_keeps_each_ones_text():
    in_utc = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    in_berlin = datetime(2026, 11, 1, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    assert in_utc == in_berlin  # equal, so a cache keyed by the time alone would mix them

    assert (stamp_time(in_utc), stamp_time(in_berlin)) == (
        "2026-11-01T10:00:00+00:00",
        "2026-11-01T11:00:00+01:00",
    )
