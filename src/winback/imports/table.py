"""Reading a delimited text file (CSV or TSV) one row at a time, header first.

The header is read and checked before any row is handed out, so a file with a
missing column is refused before anything of it is applied. Text must decode
strictly (UTF-8 unless the caller names another encoding): a wrong guess would
silently garble names and addresses, so it is refused with a message instead.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from winback.imports.long_fields import LongRecord, RecordLines, is_too_long
from winback.imports.problems import ImportRefused, RowError
from winback.imports.source import BUFFER_SIZE, ProgressReporter

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

Rename = Callable[[str], str]

# csv's own limit (128 KiB) is below what real files hold: a product description with
# its HTML, or an image inlined in it, runs to hundreds of KB. A bound is still kept, as
# a stray quote can make the rest of a file one field; a field over it is a rejected row
# (see ``long_fields``). The limit is csv's, for the whole process.
MAX_FIELD_CHARS = 8 * 1024 * 1024
csv.field_size_limit(MAX_FIELD_CHARS)


@dataclass(frozen=True, slots=True)
class TableRow:
    """One data row: the line it starts on and its cells by (renamed) column name."""

    line: int
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class Table:
    """A file whose header has been read; ``rows`` is a lazy, single-pass iterator."""

    header: tuple[str, ...]
    rows: Iterator[TableRow | RowError]


def is_text_encoding(info: codecs.CodecInfo) -> bool:
    """Whether a codec turns bytes into text (base64, rot13 or zlib are codecs too)."""
    return bool(getattr(info, "_is_text_encoding", True))


def _codec(encoding: str, error_class: type[ImportRefused]) -> str:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise error_class(f"unknown text encoding {encoding!r}") from None
    if not is_text_encoding(info):
        raise error_class(f"{encoding!r} is not a text encoding")
    name = info.name
    # A UTF-8 byte order mark (as Excel writes) is tolerated and dropped.
    return "utf-8-sig" if name == "utf-8" else name


# What to do about text that does not decode, for a caller whose files may name their
# encoding; one whose files may not (a product feed) gives its own advice.
NAME_THE_ENCODING = "save it as UTF-8, or name the encoding it is written in"


def _not_text(encoding: str, where: str, advice: str = NAME_THE_ENCODING) -> str:
    label = "UTF-8" if encoding.startswith("utf-8") else encoding
    return f"the file is not valid {label} text ({where}); {advice}"


def open_text(
    buffered: io.BufferedReader,
    encoding: str,
    error_class: type[ImportRefused],
    *,
    advice: str = NAME_THE_ENCODING,
) -> io.TextIOWrapper:
    """A strict text view of the file; the first 64 KiB are checked before anything is read."""
    codec = _codec(encoding, error_class)
    head = buffered.peek(BUFFER_SIZE)[:BUFFER_SIZE]
    try:
        codecs.getincrementaldecoder(codec)(errors="strict").decode(head, final=False)
    except UnicodeDecodeError as error:
        where = f"byte 0x{head[error.start]:02x} at offset {error.start}"
        raise error_class(_not_text(codec, where, advice)) from None
    except UnicodeError as error:  # (UTF-16 without its byte order mark, say)
        raise error_class(_not_text(codec, str(error), advice)) from None
    return io.TextIOWrapper(buffered, encoding=codec, errors="strict", newline="")


def check_text(
    stream: io.BufferedIOBase | io.RawIOBase,
    encoding: str,
    error_class: type[ImportRefused] = ImportRefused,
) -> None:
    """Decode a whole file strictly before any of it is applied; refuse it at its first bad byte.

    ``open_text`` only looks at the first 64 KiB; a caller that holds the whole
    file (an upload, a local file) checks it all first, so that a bad byte near
    the end cannot stop an import half-way.
    """
    codec = _codec(encoding, error_class)
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    offset, lines = 0, 1
    while True:
        chunk = stream.read(1024 * 1024)
        try:
            decoder.decode(chunk or b"", final=not chunk)
        except UnicodeDecodeError as error:
            # The decoder may hold back a few bytes of the previous chunk: count from its start.
            pending = len(error.object) - len(chunk or b"")
            at = offset - pending + error.start
            line = lines + error.object[: error.start].count(b"\n")
            where = f"line {line}, byte offset {at}"
            raise error_class(_not_text(codec, where), line=line) from None
        except UnicodeError as error:  # (UTF-16 without its byte order mark, say)
            raise error_class(_not_text(codec, str(error))) from None
        if not chunk:
            return
        offset += len(chunk)
        lines += chunk.count(b"\n")


def read_table(
    text: io.TextIOWrapper,
    *,
    delimiter: str,
    rename: Rename,
    progress: ProgressReporter,
    error_class: type[ImportRefused] = ImportRefused,
    advice: str = NAME_THE_ENCODING,
) -> Table:
    """Read the header now and return the rows lazily; each header cell goes through ``rename``."""
    lines = RecordLines(text, delimiter)
    # strict: a quoted value left open at the end of the file is an error (else csv
    # ends it there, and the rows after the stray quote vanish into one cell), and so
    # is text after a value's closing quote (that row alone is skipped, below).
    reader = csv.reader(lines.lines, delimiter=delimiter, strict=True)
    try:
        first = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as error:
        raise error_class(f"the header row cannot be read: {error}", line=1) from None
    lines.record_read()
    if first is None:
        raise error_class("the file is empty: it has no header row", line=1)
    header = tuple(rename(cell.strip()) for cell in first)
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise error_class(f"the column {name!r} appears twice in the header", column=name)
        seen.add(name)
    rows = _rows(reader, lines, header, progress, text.encoding, error_class, advice)
    return Table(header, rows)


def _rows(
    reader: CsvReader,
    lines: RecordLines,
    header: tuple[str, ...],
    progress: ProgressReporter,
    encoding: str,
    error_class: type[ImportRefused],
    advice: str,
) -> Iterator[TableRow | RowError]:
    skipped = 0  # lines the reader never saw: the rest of records with a field too long
    while True:
        # A quoted cell may span lines: a row starts on the line after the last one read.
        start = reader.line_num + skipped + 1
        try:
            cells = _next_record(reader, lines, start, error_class)
        except StopIteration:
            break
        except UnicodeDecodeError:
            reason = _not_text(encoding, f"after line {start - 1}", advice)
            raise error_class(reason, line=start) from None
        if isinstance(cells, LongRecord):
            skipped += cells.more_lines
            progress.row()
            yield _long_row(start, cells, header)
            continue
        if isinstance(cells, RowError):
            progress.row()
            yield cells
            continue
        if not "".join(cells).strip():
            continue
        progress.row()
        yield _row(start, cells, header)
    progress.finish()


# How csv words a quoted value still open when the file ends.
_OPEN_AT_END = "unexpected end of data"


def _next_record(
    reader: CsvReader, lines: RecordLines, start: int, error_class: type[ImportRefused]
) -> list[str] | LongRecord | RowError:
    try:
        cells = next(reader)
    except csv.Error as error:
        if is_too_long(error):
            return lines.skip_long_record()
        lines.record_read()
        if str(error).startswith(_OPEN_AT_END):
            # Where the rows end cannot be told: nothing of the file is taken.
            raise error_class(
                f"line {start} opens a quoted value that the file never closes"
                ' (a stray " in a value? write a quote inside a quoted value as "")',
                line=start,
            ) from None
        # (its line is dropped: csv starts the next record on the next line)
        return RowError(line=start, column=None, reason=f"the row cannot be read: {error}")
    lines.record_read()
    return cells


def _long_row(line: int, record: LongRecord, header: tuple[str, ...]) -> RowError:
    at = record.too_long_at
    column = header[at] if at is not None and at < len(header) and header[at] else None
    readable = {
        name: cell.strip()
        for name, cell in zip(header, record.fields, strict=False)
        if name and cell is not None
    }
    reason = f"the value is longer than {csv.field_size_limit()} characters"
    return RowError(line=line, column=column, reason=reason, values=readable)


def _row(line: int, cells: list[str], header: tuple[str, ...]) -> TableRow | RowError:
    if len(cells) != len(header):
        reason = f"the row has {len(cells)} fields but the header has {len(header)}"
        readable = dict(zip(header, map(str.strip, cells), strict=False))
        return RowError(line=line, column=None, reason=reason, values=readable)
    values = dict(zip(header, map(str.strip, cells), strict=True))
    values.pop("", None)  # (a column without a name)
    return TableRow(line=line, values=values)
