"""The shop's idea of now: aware UTC, written as ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def now_text() -> str:
    return now().isoformat()
