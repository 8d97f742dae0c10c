"""Opening a CSV import: bytes to strictly decoded text to a checked header.

Shared by the orders and contacts importers so both treat encodings, BOMs,
column mappings and missing columns the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

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
    header: Iterable[str], mandatory: Iterable[str], any_of: Collection[str] = ()
) -> None:
    """Refuse the file before any row when a column it must have is missing."""
    present = set(header)
    for column in mandatory:
        if column not in present:
            raise ImportRefused(f"the mandatory column {column!r} is missing", column=column)
    if any_of and not present.intersection(any_of):
        names = ", ".join(repr(name) for name in any_of)
        raise ImportRefused(f"the file needs at least one of the columns {names}")
