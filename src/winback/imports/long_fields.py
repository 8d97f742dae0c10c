"""A CSV record with a field over csv's size limit: found whole, so that only its row is skipped.

csv's reader raises ``csv.Error`` when a field grows past ``csv.field_size_limit()``
and drops the rest of the line it was on; asked for the next row, it starts afresh
on the next line. That is right when the record ended on that line, and wrong
when the field was quoted and goes on over more lines (an HTML description often
does): the rest of the field would be read as rows of its own. So ``RecordLines``
keeps the lines of the record being read, and ``skip_long_record`` reads them
again with csv's rules for the default dialect (``"`` quotes, doubled inside
quotes, no escape character), reads past the rest of the record if it goes on,
and says which field was too long. Only this rare path reads text in Python.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# How csv words the error (the only way to tell it from a record it cannot split).
TOO_LONG = "field larger than field limit"

_START, _UNQUOTED, _QUOTED, _QUOTE_IN_QUOTED = range(4)


def is_too_long(error: csv.Error) -> bool:
    return str(error).startswith(TOO_LONG)


@dataclass(frozen=True, slots=True)
class LongRecord:
    """A skipped record: its fields (``None`` for one too long to keep), and how many
    lines it took beyond those the csv reader had read."""

    fields: list[str | None]
    more_lines: int

    @property
    def too_long_at(self) -> int | None:
        """The position of the first field that was too long."""
        return self.fields.index(None) if None in self.fields else None


class RecordLines:
    """The lines of a text as csv's reader takes them (``lines``), keeping the current record's."""

    def __init__(self, text: Iterable[str], delimiter: str) -> None:
        self._source = iter(text)
        self._delimiter = delimiter
        self._record: list[str] = []
        self.lines = self._kept()

    def _kept(self) -> Iterator[str]:
        keep = self._record.append
        for line in self._source:
            keep(line)
            yield line

    def record_read(self) -> None:
        """The reader handed out a record: its lines are no longer needed."""
        self._record.clear()

    def skip_long_record(self) -> LongRecord:
        """After csv's "field larger than field limit": read past the rest of that record."""
        scan = _RecordScan(self._delimiter, csv.field_size_limit())
        for line in self._record:
            if scan.ended:
                break
            scan.read(line)
        more = 0
        while not scan.ended:
            following = next(self._source, None)
            if following is None:
                scan.finish()  # (csv ends a record open at the end of the file too)
                break
            more += 1
            scan.read(following)
        self.record_read()
        return LongRecord(scan.fields, more)


class _RecordScan:
    """csv's reader's states, stepped from one quote, delimiter or line break to the next."""

    def __init__(self, delimiter: str, limit: int) -> None:
        self._specials = re.compile('["\r\n' + re.escape(delimiter) + "]")
        self._delimiter = delimiter
        self._limit = limit
        self._state = _START
        self._parts: list[str] = []
        self._size = 0
        self.fields: list[str | None] = []
        self.ended = False

    def read(self, line: str) -> None:
        at = 0
        for special in self._specials.finditer(line):
            self._text(line[at : special.start()])
            self._special(special.group())
            at = special.end()
        self._text(line[at:])
        if self._state != _QUOTED:
            self.finish()  # a line break outside quotes ends the record

    def finish(self) -> None:
        if not self.ended:
            self._end_field()
            self.ended = True

    def _text(self, text: str) -> None:
        if not text:
            return
        if self._state in (_START, _QUOTE_IN_QUOTED):
            # (after a closing quote, csv keeps what follows as part of the field)
            self._state = _UNQUOTED
        self._add(text)

    def _special(self, char: str) -> None:
        state = self._state
        if state == _QUOTED:
            if char == '"':
                self._state = _QUOTE_IN_QUOTED
            else:
                self._add(char)
        elif char == '"':
            if state == _START:
                self._state = _QUOTED
            elif state == _QUOTE_IN_QUOTED:
                self._add('"')
                self._state = _QUOTED
            else:
                self._add('"')  # a quote inside an unquoted field is kept as it is
        elif char == self._delimiter:
            self._end_field()
            self._state = _START

    def _add(self, text: str) -> None:
        self._size += len(text)
        if self._size <= self._limit:
            self._parts.append(text)
        else:
            self._parts.clear()

    def _end_field(self) -> None:
        self.fields.append("".join(self._parts) if self._size <= self._limit else None)
        self._parts, self._size = [], 0
