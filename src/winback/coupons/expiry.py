"""When a code expires: a duration from now (``7d``, ``12h``, ``2w``) or an exact time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from winback.errors import InvalidPayload

_DURATION = re.compile(r"^\s*(\d{1,5})\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str, *, pointer: str = "/expires_in") -> timedelta:
    """``7d`` -> 7 days; minutes, hours, days and weeks; at least one minute."""
    found = _DURATION.match(text)
    if found is None or int(found.group(1)) == 0:
        raise InvalidPayload(
            f"{text!r} is not a duration such as 30m, 12h, 7d or 2w",
            pointer=pointer,
            code="invalid_duration",
        )
    return timedelta(**{_UNITS[found.group(2).lower()]: int(found.group(1))})


def expiry_time(
    *, expires_in: str | None, expires_at: datetime | None, now: datetime
) -> datetime | None:
    """The expiry from either form (not both); it must lie in the future."""
    if expires_in is not None and expires_at is not None:
        raise InvalidPayload(
            "give expires_in or expires_at, not both", pointer="/expires_at", code="invalid_expiry"
        )
    if expires_in is not None:
        return now + parse_duration(expires_in)
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        raise InvalidPayload(
            "expires_at needs a time zone", pointer="/expires_at", code="invalid_expiry"
        )
    if expires_at <= now:
        raise InvalidPayload(
            "expires_at is in the past", pointer="/expires_at", code="invalid_expiry"
        )
    try:
        return expires_at.astimezone(UTC)
    except OverflowError:  # (9999-12-31T23:00-05:00 is past the year 9999 in UTC)
        raise InvalidPayload(
            "expires_at must fall before the year 10000 in UTC",
            pointer="/expires_at",
            code="invalid_expiry",
        ) from None
