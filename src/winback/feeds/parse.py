"""Parsing a whole product feed: bytes in, products and row errors out, one at a time.

Whole-feed problems (not a feed, an HTML page, a missing mandatory column, no
``g:id`` in the first item) raise ``FeedError`` from ``parse_feed`` itself,
before any product. Later problems in a row are ``RowError`` records in the
stream; a feed found corrupt further on raises ``FeedError`` mid-stream.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from winback.feeds.errors import FeedError
from winback.feeds.grouping import DEFAULT_MAX_HELD_ROWS, VariantGrouper
from winback.feeds.items import MANDATORY, read_item
from winback.feeds.records import FeedProduct
from winback.feeds.source import FeedFormat, OpenedFeed, open_feed
from winback.feeds.xml_items import read_xml_items
from winback.imports.problems import RowError
from winback.imports.source import ByteSource, ProgressHook, ProgressReporter
from winback.imports.table import TableRow, open_text, read_table

FeedRows = Iterator[TableRow | RowError]


def parse_feed(
    source: ByteSource,
    *,
    progress: ProgressHook | None = None,
    encoding: str = "utf-8",
    max_held_variant_rows: int = DEFAULT_MAX_HELD_ROWS,
) -> Iterator[FeedProduct | RowError]:
    """Open a feed (gzip, CSV, TSV, RSS or Atom) and return its products lazily."""
    opened = open_feed(source)
    reporter = ProgressReporter(progress, opened.counter)
    if opened.format is FeedFormat.XML:
        rows = _primed(_counted(read_xml_items(opened.reader), reporter))
    else:
        rows = _table_rows(opened, reporter, encoding)
    return _products(rows, VariantGrouper(max_held_variant_rows))


def feed_column_name(cell: str) -> str:
    """``g:Image Link`` and ``image link`` both name the ``image_link`` column."""
    return cell.strip().lower().removeprefix("g:").replace(" ", "_")


def _table_rows(opened: OpenedFeed, reporter: ProgressReporter, encoding: str) -> FeedRows:
    text = open_text(opened.reader, encoding, FeedError)
    delimiter = "\t" if opened.format is FeedFormat.TSV else ","
    table = read_table(
        text, delimiter=delimiter, rename=feed_column_name, progress=reporter, error_class=FeedError
    )
    for column in MANDATORY:
        if column not in table.header:
            raise FeedError(f"the feed has no {column!r} column", line=1, column=column)
    return table.rows


def _counted(rows: FeedRows, reporter: ProgressReporter) -> FeedRows:
    for row in rows:
        reporter.row()
        yield row
    reporter.finish()


def _primed(rows: FeedRows) -> FeedRows:
    # Read up to the first item now, so a feed without g:id fails in parse_feed itself.
    first = next(rows, None)
    return rows if first is None else itertools.chain([first], rows)


def _products(rows: FeedRows, grouper: VariantGrouper) -> Iterator[FeedProduct | RowError]:
    for row in rows:
        if isinstance(row, RowError):
            yield row
            continue
        item = read_item(row)
        if isinstance(item, list):
            yield from item
        else:
            yield from grouper.add(item)
    yield from grouper.finish()
