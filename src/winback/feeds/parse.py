"""Parsing a whole product feed: bytes in, products and row errors out, one at a time.

Whole-feed problems (not a feed, an HTML page, a missing mandatory column, no
``g:id`` in the first item) raise ``FeedError`` from ``parse_feed`` itself,
before any product. Later problems in a row are ``RowError`` records in the
stream; a feed found corrupt further on raises ``FeedError`` mid-stream.

A CSV or TSV feed is read as UTF-8 (a byte order mark is dropped): feeds take no
encoding option, unlike imports. An XML feed may declare another encoding in its
prolog, as XML allows.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator, Mapping

from winback.feeds.errors import FeedError
from winback.feeds.grouping import DEFAULT_MAX_HELD_ROWS, VariantGrouper
from winback.feeds.items import MANDATORY, FeedItem, read_item
from winback.feeds.records import FeedProduct
from winback.feeds.source import FeedFormat, OpenedFeed, open_feed
from winback.feeds.xml_items import read_xml_items
from winback.fields import MAX_ID_LENGTH
from winback.imports.problems import RowError
from winback.imports.source import BUFFER_SIZE, ByteSource, ProgressHook, ProgressReporter
from winback.imports.table import Table, TableRow, open_text, read_table

FeedRows = Iterator[TableRow | RowError]
RejectedHook = Callable[[str], None]
CHECK_CHUNK_CHARS = 64 * 1024
UTF8_ADVICE = "a CSV or TSV feed must be UTF-8: export or save the feed as UTF-8"
SEMICOLONS = (
    "its header seems to be separated by semicolons, "
    "but a feed's columns must be separated by commas (CSV) or tabs (TSV)"
)


def parse_feed(
    source: ByteSource,
    *,
    progress: ProgressHook | None = None,
    max_held_variant_rows: int = DEFAULT_MAX_HELD_ROWS,
    on_rejected: RejectedHook | None = None,
) -> Iterator[FeedProduct | RowError]:
    """Open a feed (gzip, CSV, TSV, RSS or Atom) and return its products lazily.

    ``on_rejected`` hears the product id (the group's, for a variant) of each
    row refused for its content, so a sync can leave that product as it was
    rather than count it gone from the feed; for a row that could not be read
    whole (a wrong number of fields, a value too long), the ids its ``id`` and
    ``item_group_id`` cells hold. A group with a rejected row makes no product
    (see ``grouping``).
    """
    rows = feed_rows(source, progress)
    return _products(rows, VariantGrouper(max_held_variant_rows), on_rejected)


def feed_rows(source: ByteSource, progress: ProgressHook | None) -> FeedRows:
    opened = open_feed(source)
    reporter = ProgressReporter(progress, opened.counter)
    if opened.format is FeedFormat.XML:
        return _primed(_counted(read_xml_items(opened.reader), reporter))
    return _table_rows(opened, reporter)


def feed_column_name(cell: str) -> str:
    """``g:Image Link`` and ``image link`` both name the ``image_link`` column."""
    return cell.strip().lower().removeprefix("g:").replace(" ", "_")


def _table_rows(opened: OpenedFeed, reporter: ProgressReporter) -> FeedRows:
    return _open_table(opened, reporter)[1].rows


def _open_table(opened: OpenedFeed, reporter: ProgressReporter) -> tuple[io.TextIOWrapper, Table]:
    delimiter = _delimiter(opened)
    # (looked at before the header is read: its bytes are then gone from the buffer)
    hint = f"; {SEMICOLONS}" if _semicolon_separated(opened, delimiter) else ""
    text = open_text(opened.reader, "utf-8", FeedError, advice=UTF8_ADVICE)
    try:
        table = read_table(
            text,
            delimiter=delimiter,
            rename=feed_column_name,
            progress=reporter,
            error_class=FeedError,
            advice=UTF8_ADVICE,
        )
    except FeedError as error:
        if not hint:
            raise
        raise FeedError(error.reason + hint, line=error.line, column=error.column) from None
    for column in MANDATORY:
        if column not in table.header:
            reason = f"the feed has no {column!r} column{hint}"
            raise FeedError(reason, line=1, column=column)
    return text, table


def _delimiter(opened: OpenedFeed) -> str:
    return "\t" if opened.format is FeedFormat.TSV else ","


def _semicolon_separated(opened: OpenedFeed, delimiter: str) -> bool:
    """Whether the header line holds more semicolons than delimiters, as a CSV saved
    where the decimal mark is a comma does; such a file is refused with a hint."""
    first_line = opened.reader.peek(BUFFER_SIZE)[:BUFFER_SIZE].split(b"\n", 1)[0]
    return first_line.count(b";") > first_line.count(delimiter.encode())


def check_feed(source: ByteSource) -> None:
    """Read a whole feed without making products; raise ``FeedError`` for what would fail later.

    A sync runs this first, so that a feed found corrupt near its end (a
    truncated or corrupt gzip, bad UTF-8, a NUL byte, malformed XML) is refused
    before anything is applied. A CSV is only decoded here, not split into
    cells: that is where its corruption shows, at a fraction of the cost.
    """
    opened = open_feed(source)
    if opened.format is FeedFormat.XML:
        for _ in read_xml_items(opened.reader):
            pass
        return
    text, _ = _open_table(opened, ProgressReporter(None, opened.counter))
    line = 2  # where the next chunk starts: the header was line 1
    while True:
        try:
            chunk = text.read(CHECK_CHUNK_CHARS)
        except UnicodeDecodeError:
            reason = f"the feed is not valid UTF-8 text after line {line - 1}; {UTF8_ADVICE}"
            raise FeedError(reason, line=line) from None
        if not chunk:
            return
        if "\0" in chunk:
            at = line + chunk.count("\n", 0, chunk.index("\0"))
            raise FeedError(f"line {at} cannot be read: it contains a NUL byte", line=at)
        line += chunk.count("\n")


def _counted(rows: FeedRows, reporter: ProgressReporter) -> FeedRows:
    for row in rows:
        reporter.row()
        yield row
    reporter.finish()


def _primed(rows: FeedRows) -> FeedRows:
    # Read up to the first item now, so a feed without g:id fails in parse_feed itself.
    first = next(rows, None)
    return rows if first is None else itertools.chain([first], rows)


def _products(
    rows: FeedRows, grouper: VariantGrouper, on_rejected: RejectedHook | None
) -> Iterator[FeedProduct | RowError]:
    for row in rows:
        if isinstance(row, RowError):
            if row.values is None:
                yield row
            else:
                yield from _rejected([row], row.values, _unread_ids, grouper, on_rejected)
            continue
        item = read_item(row)
        if isinstance(item, FeedItem):
            yield from grouper.add(item)
        else:
            yield from _rejected(item, row.values, _rejected_ids, grouper, on_rejected)
    yield from grouper.finish()


def _rejected(
    errors: list[RowError],
    values: Mapping[str, str],
    named: Callable[[Mapping[str, str]], list[str]],
    grouper: VariantGrouper,
    on_rejected: RejectedHook | None,
) -> Iterator[FeedProduct | RowError]:
    """A rejected row's errors; its product is left as it was: the hook hears the ids
    its cells name, and its group, if it has one, makes no product."""
    if on_rejected is not None:
        for product_id in named(values):
            on_rejected(product_id)
    yield from errors
    group_id = values.get("item_group_id")
    if group_id and len(group_id) <= MAX_ID_LENGTH:
        yield from grouper.reject(group_id, errors[0].line)


def _rejected_ids(values: Mapping[str, str]) -> list[str]:
    product_id = values.get("item_group_id") or values.get("id")
    return [product_id] if product_id and len(product_id) <= MAX_ID_LENGTH else []


def _unread_ids(values: Mapping[str, str]) -> list[str]:
    # A row with a field too many has its cells after the fault shifted, so which of
    # the two names its product is unknown: both are kept, as sparing one product too
    # many for a day is better than making the row's product unavailable.
    found = (values.get(column) for column in ("item_group_id", "id"))
    return [product_id for product_id in found if product_id and len(product_id) <= MAX_ID_LENGTH]
