"""The shop's idea of now: aware UTC, written as ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    # Microseconds matter: a cart filled right after an order, in the same second, is
    # newer than the order, and winback must not count it as bought by that order.
    return datetime.now(UTC)


def now_text() -> str:
    return now().isoformat()
