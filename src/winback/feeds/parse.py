"""Parsing a whole product feed: bytes in, products and row errors out, one at a time.

Whole-feed problems (not a feed, an HTML page, a missing mandatory column, no
``g:id`` in the first item) raise ``FeedError`` from ``parse_feed`` itself,
before any product. Later problems in a row are ``RowError`` records in the
stream; a feed found corrupt further on raises ``FeedError`` mid-stream.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator, Mapping

from winback.feeds.errors import FeedError
from winback.feeds.grouping import DEFAULT_MAX_HELD_ROWS, VariantGrouper
from winback.feeds.items import MANDATORY, read_item
from winback.feeds.records import FeedProduct
from winback.feeds.source import FeedFormat, OpenedFeed, open_feed
from winback.feeds.xml_items import read_xml_items
from winback.fields import MAX_ID_LENGTH
from winback.imports.problems import RowError
from winback.imports.source import ByteSource, ProgressHook, ProgressReporter
from winback.imports.table import Table, TableRow, open_text, read_table

FeedRows = Iterator[TableRow | RowError]
RejectedHook = Callable[[str], None]
CHECK_CHUNK_CHARS = 64 * 1024


def parse_feed(
    source: ByteSource,
    *,
    progress: ProgressHook | None = None,
    encoding: str = "utf-8",
    max_held_variant_rows: int = DEFAULT_MAX_HELD_ROWS,
    on_rejected: RejectedHook | None = None,
) -> Iterator[FeedProduct | RowError]:
    """Open a feed (gzip, CSV, TSV, RSS or Atom) and return its products lazily.

    ``on_rejected`` hears the product id (the group's, for a variant) of each
    row refused for its content, so a sync can leave that product as it was
    rather than count it gone from the feed; for a row that could not be read
    whole (a wrong number of fields, a value too long), the ids its ``id`` and
    ``item_group_id`` cells hold.
    """
    rows = feed_rows(source, progress, encoding)
    return _products(rows, VariantGrouper(max_held_variant_rows), on_rejected)


def feed_rows(source: ByteSource, progress: ProgressHook | None, encoding: str) -> FeedRows:
    opened = open_feed(source)
    reporter = ProgressReporter(progress, opened.counter)
    if opened.format is FeedFormat.XML:
        return _primed(_counted(read_xml_items(opened.reader), reporter))
    return _table_rows(opened, reporter, encoding)


def feed_column_name(cell: str) -> str:
    """``g:Image Link`` and ``image link`` both name the ``image_link`` column."""
    return cell.strip().lower().removeprefix("g:").replace(" ", "_")


def _table_rows(opened: OpenedFeed, reporter: ProgressReporter, encoding: str) -> FeedRows:
    return _open_table(opened, reporter, encoding)[1].rows


def _open_table(
    opened: OpenedFeed, reporter: ProgressReporter, encoding: str
) -> tuple[io.TextIOWrapper, Table]:
    text = open_text(opened.reader, encoding, FeedError)
    table = read_table(
        text,
        delimiter=_delimiter(opened),
        rename=feed_column_name,
        progress=reporter,
        error_class=FeedError,
    )
    for column in MANDATORY:
        if column not in table.header:
            raise FeedError(f"the feed has no {column!r} column", line=1, column=column)
    return text, table


def _delimiter(opened: OpenedFeed) -> str:
    return "\t" if opened.format is FeedFormat.TSV else ","


def check_feed(source: ByteSource, *, encoding: str = "utf-8") -> None:
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
    text, _ = _open_table(opened, ProgressReporter(None, opened.counter), encoding)
    line = 2  # where the next chunk starts: the header was line 1
    while True:
        try:
            chunk = text.read(CHECK_CHUNK_CHARS)
        except UnicodeDecodeError:
            label = "UTF-8" if text.encoding.startswith("utf-8") else text.encoding
            reason = f"the feed is not valid {label} text after line {line - 1}"
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
            if on_rejected is not None and row.values is not None:
                _tell_unread(row.values, on_rejected)
            yield row
            continue
        item = read_item(row)
        if isinstance(item, list):
            if on_rejected is not None:
                _tell_rejected(row, on_rejected)
            yield from item
        else:
            yield from grouper.add(item)
    yield from grouper.finish()


def _tell_rejected(row: TableRow, on_rejected: RejectedHook) -> None:
    product_id = row.values.get("item_group_id") or row.values.get("id")
    if product_id and len(product_id) <= MAX_ID_LENGTH:
        on_rejected(product_id)


def _tell_unread(values: Mapping[str, str], on_rejected: RejectedHook) -> None:
    # A row with a field too many has its cells after the fault shifted, so which of
    # the two names its product is unknown: both are kept, as sparing one product too
    # many for a day is better than making the row's product unavailable.
    for column in ("item_group_id", "id"):
        product_id = values.get(column)
        if product_id and len(product_id) <= MAX_ID_LENGTH:
            on_rejected(product_id)
