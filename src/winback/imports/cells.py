"""Parsers for single cells of an import: flags, timestamps, lists.

Dates and phone numbers follow the webhooks' rules (``winback.fields``).

Each raises ``ValueError`` with a reason meant for the person who wrote the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n"}


def parse_flag(text: str) -> bool | None:
    """``1``/``0``/``true``/``false``/``yes``/``no``/``y``/``n``; empty means unknown, not false."""
    lowered = text.strip().lower()
    if not lowered:
        return None
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{text!r} is not one of 1, 0, true, false, yes, no, y, n (empty: unknown)")


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 timestamp that says its time zone (``Z`` or an offset)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 timestamp") from None
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone (add Z or an offset such as +02:00)")
    return value


def split_list(text: str, separator: str) -> list[str]:
    """The non-empty, stripped items of a separated list, duplicates dropped, order kept."""
    items: list[str] = []
    for item in text.split(separator):
        stripped = item.strip()
        if stripped and stripped not in items:
            items.append(stripped)
    return items


class CellError(ValueError):
    """A cell that cannot be read: the column it is in and why."""

    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column = column
        self.reason = reason


def read_cell(values: Mapping[str, str], column: str, parse: Callable[[str], Any]) -> Any:
    """Parse one cell of a row, naming the column when it cannot be read."""
    try:
        return parse(values[column])
    except ValueError as error:
        raise CellError(column, str(error)) from None
