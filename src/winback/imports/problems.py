"""What can go wrong while reading a file: one bad row, or the whole file refused.

A bad row never stops the rest of a file; it is reported as a ``RowError`` in
the stream of records. A file that cannot be read at all raises
``ImportRefused`` (before any row when the problem is in the header).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from winback.errors import WinbackError


@dataclass(frozen=True, slots=True)
class RowError:
    """One row skipped: its first line in the file, the column at fault (if one is), why."""

    line: int
    column: str | None
    reason: str
    # The cells that could still be read, by column, when the row could not be used as a
    # whole (a wrong number of fields, a value too long): enough to tell whose row it was.
    values: Mapping[str, str] | None = field(default=None, compare=False, repr=False)


class ImportRefused(WinbackError):
    """The whole file is refused: no header, a missing column, not the expected encoding."""

    status = 422
    code = "import_refused"

    def __init__(self, reason: str, *, line: int | None = None, column: str | None = None):
        super().__init__(reason, pointer=None)
        self.line = line
        self.column = column


def _message(text: str) -> str:
    # Pydantic prefixes the reasons our own validators give; the prefix tells a user nothing.
    return text.removeprefix("Value error, ")


def row_errors(error: ValidationError, *, line: int, columns: Mapping[str, str]) -> list[RowError]:
    """Turn a payload's validation errors into row errors named after the file's columns.

    ``columns`` maps a payload field path (``"customer.email"``) to the CSV column
    it came from; an unmapped path is reported under its own name.
    """
    found: list[RowError] = []
    for detail in error.errors():
        path = ".".join(str(part) for part in detail["loc"])
        column = columns.get(path, path)
        found.append(RowError(line=line, column=column, reason=_message(detail["msg"])))
    return found
