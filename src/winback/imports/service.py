"""``import_orders`` and ``import_contacts``: a CSV file read, checked and applied in batches.

The CLI runs these in its own process; the API's queued job runs the same
functions. Every record goes through the apply function of its kind
(``apply_order``, ``apply_customer``), so an import obeys every rule a webhook
does: unknown products are created disabled, unknown buyers are created,
versions decide what is stale, aggregates are recomputed from the orders.

Importing the same file twice changes nothing, because every record is
applied as of a time the file itself decides: an order as of its
``order_modified_at`` (else its ``order_created_at``); a contacts row as of
the time the same file (same bytes, mapping and encoding) was first imported,
plus its line number in microseconds, so a later row of one person wins.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import Engine

from winback.imports.batches import BATCH_SIZE, BatchApplier, Record
from winback.imports.contacts import ImportedContact
from winback.imports.jobs import CONTACTS, ORDERS, ImportSummary
from winback.imports.mapping import ColumnMapping
from winback.imports.orders import ImportedOrder
from winback.imports.problems import ImportRefused, RowError
from winback.imports.reader import ImportedRecord, ReadOptions, parse_records, read_file
from winback.imports.source import Progress, ProgressHook
from winback.imports.table import check_text
from winback.intake.topics import Topic
from winback.storage import imports as import_storage
from winback.stores.service import get_store

ImportSource = Path | bytes
"""A file on disk (the CLI's argument, the API's saved upload) or its bytes."""

ImportObserver = Callable[[ImportSummary], None]
"""Hears the summary as the import goes (every 1,000 rows read and every batch applied)."""


def import_orders(
    engine: Engine,
    store_id: str,
    source: ImportSource,
    *,
    mapping: ColumnMapping | None = None,
    dry_run: bool = False,
    encoding: str = "utf-8",
    progress: ImportObserver | None = None,
    batch_size: int = BATCH_SIZE,
    child_threshold: int | None = None,
) -> ImportSummary:
    """Import an orders history file (one row per line item); see integration.md 3."""
    currency = get_store(engine, store_id).currency
    summary = ImportSummary(ORDERS, dry_run)
    options = ReadOptions(ORDERS, currency, _plain(mapping), encoding)
    with _read(source, options, _reader(summary, progress), child_threshold) as parsed:
        applier = BatchApplier(engine, store_id, Topic.ORDER_CREATE, summary, batch_size=batch_size)
        _apply_all(_order_records(parsed), applier, summary, progress)
    return summary


def import_contacts(
    engine: Engine,
    store_id: str,
    source: ImportSource,
    *,
    mapping: ColumnMapping | None = None,
    dry_run: bool = False,
    encoding: str = "utf-8",
    progress: ImportObserver | None = None,
    batch_size: int = BATCH_SIZE,
    child_threshold: int | None = None,
) -> ImportSummary:
    """Import a contacts file (one contact per row); see integration.md 3."""
    currency = get_store(engine, store_id).currency
    summary = ImportSummary(CONTACTS, dry_run)
    options = ReadOptions(CONTACTS, currency, _plain(mapping), encoding)
    with _read(source, options, _reader(summary, progress), child_threshold) as parsed:
        # Only after the header was accepted: a refused file leaves no trace.
        as_of = _contacts_as_of(engine, store_id, _digest(source, mapping, encoding), dry_run)
        applier = BatchApplier(
            engine, store_id, Topic.CUSTOMER_UPDATE, summary, batch_size=batch_size
        )
        _apply_all(_contact_records(parsed, as_of), applier, summary, progress)
    return summary


def _order_records(parsed: Iterable[ImportedRecord | RowError]) -> Iterator[Record | RowError]:
    for found in parsed:
        if isinstance(found, ImportedOrder):
            order = found.payload
            yield Record(found.line, found.rows, order, order.updated_at or order.created_at)
        else:
            assert isinstance(found, RowError)
            yield found


def _contact_records(
    parsed: Iterable[ImportedRecord | RowError], as_of: datetime
) -> Iterator[Record | RowError]:
    for found in parsed:
        if isinstance(found, ImportedContact):
            yield Record(found.line, 1, found.payload, _row_time(as_of, found.line))
        else:
            assert isinstance(found, RowError)
            yield found


def _row_time(as_of: datetime, line: int) -> datetime:
    """A contacts row's version: the file's time plus its line number in microseconds.

    Two rows of one person would otherwise tie, and a tie between two values of a
    field goes to the larger digest, not to the row written last. Counting from the
    file's own time keeps a second import of the same file a no-op; a file of a
    million lines spans one second of versions, less than it takes to import it, so
    a file imported after it is still newer than all of it.
    """
    return as_of + timedelta(microseconds=line)


def _apply_all(
    records: Iterator[Record | RowError],
    applier: BatchApplier,
    summary: ImportSummary,
    progress: ImportObserver | None,
) -> None:
    try:
        _add_all(records, applier, summary, progress)
        applier.flush()
    finally:
        applier.close()
    applier.refresh_statistics()  # for what runs on these tables after the import
    summary.skipped = max(summary.rows_read - applier.imported_rows, 0)
    if progress is not None:
        progress(summary)


def _add_all(
    records: Iterator[Record | RowError],
    applier: BatchApplier,
    summary: ImportSummary,
    progress: ImportObserver | None,
) -> None:
    try:
        for record in records:
            if isinstance(record, RowError):
                summary.report(record)
            elif applier.add(record):
                _tell(summary, progress)
    except ImportRefused as error:
        # Only what cannot be seen before reading on (a row the CSV reader cannot
        # split): the file stops there, what came before it is kept.
        summary.stopped = error.reason


def _tell(summary: ImportSummary, progress: ImportObserver | None) -> None:
    # While the file is read, the rows read run ahead of the records received (the
    # reader reads ahead, and says so in steps): counting skipped rows from them rose
    # and fell. The lines reported so far only grow, and reach the exact count at the
    # end, when every row is accounted for (a skipped order's good rows are counted then).
    summary.skipped = summary.lines_in_error
    if progress is not None:
        progress(summary)


def _reader(summary: ImportSummary, progress: ImportObserver | None) -> Callable[[Progress], None]:
    def heard(read: Progress) -> None:
        summary.bytes_read, summary.rows_read = read.bytes_read, read.rows
        if progress is not None:
            progress(summary)

    return heard


@contextlib.contextmanager
def _read(
    source: ImportSource,
    options: ReadOptions,
    progress: ProgressHook,
    child_threshold: int | None,
) -> Iterator[Iterator[ImportedRecord | RowError]]:
    """The file's records, once all of it is known to decode: a bad byte refuses it
    before any row."""
    if isinstance(source, bytes):
        check_text(io.BytesIO(source), options.encoding)
        yield parse_records(source, options, progress)
        return
    try:
        with source.open("rb") as handle:
            check_text(handle, options.encoding)
    except OSError as error:
        raise ImportRefused(f"the file cannot be read: {error.strerror}") from None
    with read_file(source, options, progress=progress, child_threshold=child_threshold) as records:
        yield records


def _plain(mapping: ColumnMapping | None) -> dict[str, str] | None:
    return None if mapping is None else dict(mapping)


def _digest(source: ImportSource, mapping: ColumnMapping | None, encoding: str) -> str:
    """What makes two contacts imports the same: the bytes, the mapping and the encoding."""
    digest = hashlib.sha256()
    options = [dict(mapping or {}), encoding.lower()]
    digest.update(orjson.dumps(options, option=orjson.OPT_SORT_KEYS))
    if isinstance(source, bytes):
        digest.update(source)
    else:
        with source.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
    return digest.hexdigest()


def _contacts_as_of(engine: Engine, store_id: str, digest: str, dry_run: bool) -> datetime:
    """The time a contacts file is applied as of: now, or when the same file first was."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        known = import_storage.contacts_file_as_of(conn, store_id, digest)
        if known is None and not dry_run:
            import_storage.remember_contacts_file(conn, store_id, digest, now)
    return known or now
