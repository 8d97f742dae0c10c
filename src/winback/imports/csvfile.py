"""Opening a CSV import: bytes to strictly decoded text to a checked header.

Shared by the orders and contacts importers so both treat encodings, BOMs,
column mappings and missing columns the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from winback.imports.mapping import ColumnMapping, header_renamer
from winback.imports.problems import ImportRefused
from winback.imports.source import ByteSource, ProgressHook, ProgressReporter, open_source
from winback.imports.table import Table, open_text, read_table


def open_csv_file(
    source: ByteSource,
    *,
    known: Collection[str],
    mapping: ColumnMapping | None,
    encoding: str,
    progress: ProgressHook | None,
) -> Table:
    """Read the header of a comma-separated file; ``known`` are our column names."""
    counter, buffered = open_source(source)
    text = open_text(buffered, encoding, ImportRefused)
    return read_table(
        text,
        delimiter=",",
        rename=header_renamer(known, mapping),
        progress=ProgressReporter(progress, counter),
    )


def require_columns(
    header: Sequence[str], mandatory: Iterable[str], any_of: Collection[str] = ()
) -> None:
    """Refuse the file before any row when a column it must have is missing."""
    present = set(header)
    for column in mandatory:
        if column not in present:
            reason = f"the mandatory column {column!r} is missing"
            raise ImportRefused(reason + _delimiter_hint(header), column=column)
    if any_of and not present.intersection(any_of):
        names = ", ".join(repr(name) for name in any_of)
        reason = f"the file needs at least one of the columns {names}"
        raise ImportRefused(reason + _delimiter_hint(header))


# How a spreadsheet may separate columns instead of by commas (a semicolon where the
# comma is the decimal mark), named as a person would.
_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _delimiter_hint(header: Sequence[str]) -> str:
    """Why the columns are missing when the whole header reads as one column."""
    if len(header) != 1:
        return ""
    for delimiter, name in _OTHER_DELIMITERS.items():
        if delimiter in header[0]:
            return (
                f"; the header reads as one column holding {name}: "
                "the columns must be separated by commas"
            )
    return ""
