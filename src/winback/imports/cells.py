"""Parsers for single cells of an import: flags, timestamps, dates, phone numbers, lists.

Each raises ``ValueError`` with a reason meant for the person who wrote the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Spaces, dots, dashes and brackets are how people write numbers; E.164 has none.
_PHONE_PUNCTUATION = re.compile(r"[\s.\-()]")


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


def parse_date(text: str) -> str:
    """A calendar date written ``YYYY-MM-DD``, returned as written."""
    stripped = text.strip()
    if not _DATE.match(stripped):
        raise ValueError(f"{text!r} is not a date written YYYY-MM-DD")
    try:
        date.fromisoformat(stripped)
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None
    return stripped


def parse_phone(text: str) -> str:
    """A phone number in international form, normalised to E.164 (``+4915112345678``)."""
    compact = _PHONE_PUNCTUATION.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not _E164.match(compact):
        raise ValueError(f"{text!r} is not an international phone number (+ and country code)")
    return compact


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
