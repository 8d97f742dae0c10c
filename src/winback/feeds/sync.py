"""``sync_feed``: fetch a store's product feed and apply it, recording the run.

The order of a run, and why:
1. Take the store's sync lock; if another sync holds it, record a skipped run.
2. Fetch: a URL is downloaded whole to a spool file (a 304 ends the run as
   ``not_modified``); a file or bytes are read where they are.
3. Check the whole feed's structure (``check_feed``): a corrupt or truncated
   feed fails here, before anything is applied.
4. Parse and apply in batches; unchanged products are only marked as seen.
5. After a complete feed with at least one product, the feed products it no
   longer lists become unavailable.
A failure in 2 or 3 (HTTP error, timeout, HTML, corrupt gzip, no ``id``
column) changes nothing; the run records why.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

import structlog
from sqlalchemy import Connection, Engine

from winback.config import Settings
from winback.errors import WinbackError
from winback.feeds.batches import FeedApplier
from winback.feeds.errors import FeedError
from winback.feeds.fetch import download_feed, spool_file
from winback.feeds.model import (
    FAILED,
    NOT_MODIFIED,
    QUEUED,
    RUNNING,
    SKIPPED,
    SUCCEEDED,
    FeedRun,
    FeedSettings,
)
from winback.feeds.parse import check_feed, parse_feed
from winback.feeds.reader import StoreDatabase, feed_records
from winback.feeds.records import ReadProduct
from winback.feeds.source import HTML_FROM_URL, HtmlPageRefused
from winback.imports.problems import RowError
from winback.imports.source import Progress, ProgressHook
from winback.outbound import OutboundClient, OutboundError, RetryableError, Validators
from winback.storage import feeds as feed_storage
from winback.storage.locks import take_apply_lock

log = structlog.get_logger(__name__)

FeedSource = str | Path | bytes
"""A URL (``str``), a local file, or the feed's bytes."""

RETRY_AFTER_TEMPORARY_FAILURE = timedelta(hours=1)
SAVE_PROGRESS_EVERY = 20_000


class NoFeedConfigured(WinbackError):
    status = 409
    code = "no_feed_configured"


class SyncObserver(Protocol):
    """Hears how a run is going (the CLI draws it)."""

    def phase(self, name: str, total_bytes: int | None) -> None: ...

    def progress(self, progress: Progress) -> None: ...


class _Silent:
    def phase(self, name: str, total_bytes: int | None) -> None:
        return None

    def progress(self, progress: Progress) -> None:
        return None


@dataclass(frozen=True)
class SyncRequest:
    """What to sync: the store, its source (``None``: the configured URL), who asked."""

    store_id: str
    trigger: str
    source: FeedSource | None = None
    run_id: int | None = None  # a run already recorded as queued
    conditional: bool = True  # send the last ETag / Last-Modified with a URL


def sync_feed(
    engine: Engine, settings: Settings, request: SyncRequest, observer: SyncObserver | None = None
) -> FeedRun:
    """Run one sync of a store's feed and return its finished record."""
    with feed_storage.sync_lock(engine, request.store_id) as held:
        if not held:
            return _record_skipped(engine, request)
        run = _start(engine, request)
        try:
            _run(engine, settings, request, run, observer or _Silent())
        except (WinbackError, OutboundError) as error:
            _fail(run, error)
            _finish(engine, run, request, retry_soon=isinstance(error, RetryableError))
        except Exception as error:
            run.status, run.reason = FAILED, f"internal error: {type(error).__name__}: {error}"
            _finish(engine, run, request, retry_soon=True)
            raise
        except KeyboardInterrupt:
            # (Ctrl-C on `winback feed sync`: the run ends here, not at the next sync)
            run.status, run.reason = FAILED, "stopped before it finished (interrupted)"
            _finish(engine, run, request, retry_soon=True)
            raise
        else:
            _finish(engine, run, request, retry_soon=False)
    log.info("feed synced", store_id=run.store_id, run_id=run.id, status=run.status)
    return run


def queue_run(engine: Engine, store_id: str, *, trigger: str, source: str | None) -> FeedRun:
    """Record a run that a queued task will carry out."""
    with engine.begin() as conn:
        return feed_storage.insert_run(
            conn, store_id, trigger=trigger, source=source, status=QUEUED, now=_now()
        )


def configured_feed(engine: Engine, store_id: str) -> FeedSettings:
    """The store's feed settings; refused when no feed URL has been set."""
    with engine.connect() as conn:
        settings = feed_storage.feed_settings(conn, store_id)
    if settings is None or not settings.url:
        raise NoFeedConfigured("no feed URL is set for this store: PUT /api/v1/feed first")
    return settings


def _now() -> datetime:
    return datetime.now(UTC)


def _label(source: FeedSource | None) -> str | None:
    if isinstance(source, bytes):
        return f"{len(source)} bytes"
    return None if source is None else str(source)


def _record_skipped(engine: Engine, request: SyncRequest) -> FeedRun:
    # Shown as skipped only once its reason is saved with it: one who polls the run
    # sees either a queued run or a finished one with its reason, never half of it.
    run = _start(engine, request, status=QUEUED)
    run.status, run.finished_at = SKIPPED, run.started_at
    run.reason = "another sync of this store was running"
    with engine.begin() as conn:
        feed_storage.save_run(conn, run)
    return run


def _start(engine: Engine, request: SyncRequest, *, status: str = RUNNING) -> FeedRun:
    now = _now()
    with engine.begin() as conn:
        if status == RUNNING:
            # This process holds the lock, so a run still "running" belongs to one that died.
            feed_storage.end_orphaned_runs(
                conn, request.store_id, keep=request.run_id or 0, now=now
            )
        found = (
            feed_storage.feed_run(conn, request.store_id, request.run_id)
            if request.run_id
            else None
        )
        if found is None:
            return feed_storage.insert_run(
                conn,
                request.store_id,
                trigger=request.trigger,
                source=_label(request.source),
                status=status,
                now=now,
            )
        found.status, found.started_at = status, now
        feed_storage.save_run(conn, found)
        return found


def _fail(run: FeedRun, error: WinbackError | OutboundError) -> None:
    run.status = FAILED
    if isinstance(error, FeedError):
        where = f"line {error.line}"
        said = error.line is None or where in error.reason
        run.reason = error.reason if said else f"{error.reason} ({where})"
    elif isinstance(error, WinbackError):
        run.reason = error.reason
    else:
        run.reason = str(error)


def _finish(engine: Engine, run: FeedRun, request: SyncRequest, *, retry_soon: bool) -> None:
    """Save the run; a run of the configured URL also sets when the next one is due."""
    run.finished_at = _now()
    with engine.begin() as conn:
        feed_storage.save_run(conn, run)
        feed = feed_storage.feed_settings(conn, run.store_id)
        if feed is not None and feed.url and _is_configured_url(request, feed):
            wait = timedelta(hours=feed.schedule_hours)
            if retry_soon:
                wait = min(wait, RETRY_AFTER_TEMPORARY_FAILURE)
            feed_storage.reschedule(conn, run.store_id, run.finished_at + wait)


def _is_configured_url(request: SyncRequest, feed: FeedSettings) -> bool:
    return request.source is None or request.source == feed.url


def _run(
    engine: Engine,
    settings: Settings,
    request: SyncRequest,
    run: FeedRun,
    observer: SyncObserver,
) -> None:
    source = request.source
    if source is None:
        source = configured_feed(engine, request.store_id).url
        assert source is not None
        run.source = source
    if isinstance(source, str):
        _sync_url(engine, settings, request, run, source, observer)
    else:
        _sync_content(engine, run, source, observer)
    if run.status == SUCCEEDED and request.source is not None:
        _forget_validators(engine, request.store_id, source)


def _forget_validators(engine: Engine, store_id: str, source: str | Path | bytes) -> None:
    """After a sync from another source than the feed's URL (a file, another URL), the
    catalog is that source's: the URL's next answer must be read whole, not taken as
    unchanged (a 304) from an ETag of the catalog as it was before."""
    with engine.begin() as conn:
        feed = feed_storage.feed_settings(conn, store_id)
        if feed is not None and feed.url is not None and feed.url != source:
            feed_storage.save_validators(
                conn, store_id, url=feed.url, etag=None, last_modified=None
            )


def _sync_url(
    engine: Engine,
    settings: Settings,
    request: SyncRequest,
    run: FeedRun,
    url: str,
    observer: SyncObserver,
) -> None:
    with engine.connect() as conn:
        feed = feed_storage.feed_settings(conn, request.store_id)
    previous = None
    if request.conditional and feed is not None and feed.url == url:
        previous = Validators(feed.etag, feed.last_modified)
    observer.phase("downloading", None)
    client = OutboundClient.configured(settings, user_agent="winback feed sync")
    with client, spool_file(settings.data_dir) as path:
        fetched = download_feed(client, url, path, previous=previous)
        if fetched.not_modified:
            run.status = NOT_MODIFIED
            return
        try:
            _sync_content(engine, run, path, observer)
        except HtmlPageRefused:
            # The spooled file is what the URL answered: a file is not what the user gave.
            raise FeedError(HTML_FROM_URL) from None
    if run.status == SUCCEEDED and feed is not None and feed.url == url:
        with engine.begin() as conn:
            feed_storage.save_validators(
                conn,
                request.store_id,
                url=url,
                etag=fetched.validators.etag,
                last_modified=fetched.validators.last_modified,
            )


@contextlib.contextmanager
def _opened(source: Path | bytes) -> Iterator[BinaryIO | bytes]:
    if isinstance(source, bytes):
        yield source
        return
    try:
        handle = source.open("rb")
    except OSError as error:
        raise FeedError(f"the file cannot be read: {error.strerror}") from None
    with handle:
        yield handle


def _size(source: Path | bytes) -> int | None:
    if isinstance(source, bytes):
        return len(source)
    try:
        return source.stat().st_size
    except OSError:
        return None


def _sync_content(
    engine: Engine, run: FeedRun, source: Path | bytes, observer: SyncObserver
) -> None:
    observer.phase("checking", _size(source))
    with _opened(source) as content:
        check_feed(content)
    observer.phase("applying", _size(source))
    # One connection for the whole run: it holds the record of what the run has seen.
    with engine.connect() as conn, _seen_record(conn):
        applier = FeedApplier(conn, run)

        def heard(progress: Progress) -> None:
            run.rows_read = progress.rows
            observer.progress(progress)

        describe_for = _store_database(engine, run.store_id)
        with _records(source, heard, applier.keep_rejected, describe_for) as records:
            _apply_records(engine, run, applier, records)
        run.status = SUCCEEDED
        if applier.products == 0:
            run.reason = "the feed has no valid product, so no product was made unavailable"
            return
        with conn.begin():
            take_apply_lock(conn)
            run.made_unavailable = feed_storage.make_missing_unavailable(
                conn, run.store_id, run.started_at
            )


def _store_database(engine: Engine, store_id: str) -> StoreDatabase | None:
    """The database as another process reaches it (not an in-memory one)."""
    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return None
    return StoreDatabase(engine.url.render_as_string(hide_password=False), store_id)


@contextlib.contextmanager
def _records(
    source: Path | bytes,
    progress: ProgressHook,
    on_rejected: Callable[[str], None],
    describe_for: StoreDatabase | None,
) -> Iterator[Iterator[ReadProduct | RowError]]:
    if isinstance(source, bytes):
        yield parse_feed(source, progress=progress, on_rejected=on_rejected)
        return
    with feed_records(
        source, progress=progress, on_rejected=on_rejected, describe_for=describe_for
    ) as records:
        yield records


@contextlib.contextmanager
def _seen_record(conn: Connection) -> Iterator[None]:
    with conn.begin():
        feed_storage.start_seen(conn)
    try:
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()
        with conn.begin():
            feed_storage.drop_seen(conn)


def _apply_records(
    engine: Engine,
    run: FeedRun,
    applier: FeedApplier,
    records: Iterator[ReadProduct | RowError],
) -> None:
    last_rejected = [0]  # a row's errors arrive together: count the row once
    for record in records:
        if isinstance(record, RowError):
            _reject(run, record, last_rejected)
            continue
        applier.add(record)
        if applier.products % SAVE_PROGRESS_EVERY == 0:
            with engine.begin() as conn:
                feed_storage.save_run(conn, run)
    applier.flush()
    for error in applier.row_errors:
        _reject(run, error, last_rejected)
    run.errors.sort(key=lambda error: int(error["line"]))


def _reject(run: FeedRun, error: RowError, last_rejected: list[int]) -> None:
    run.reject(error.line, error.column, error.reason)
    if error.line != last_rejected[0]:
        last_rejected[0] = error.line
        run.rejected += 1
