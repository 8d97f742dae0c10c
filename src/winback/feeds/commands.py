"""``winback feed``: set a store's feed, sync it now (with progress), show its runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from winback.commandline import fail, migrated_engine, print_json, require_store
from winback.config import Settings, load_settings
from winback.errors import WinbackError
from winback.feeds.model import (
    DEFAULT_SCHEDULE_HOURS,
    FAILED,
    MAX_SCHEDULE_HOURS,
    SKIPPED,
    TRIGGER_CLI,
    checked_feed_url,
)
from winback.feeds.sync import SyncRequest, sync_feed
from winback.imports.source import Progress as ReadProgress
from winback.logs import COMMAND_LOG_STREAM, configure_logging
from winback.storage import feeds as feed_storage

feed_app = typer.Typer(
    help="A store's product feed: set it, sync it, see its runs.", no_args_is_help=True
)

StoreOption = Annotated[str, typer.Option("--store", help="The store id")]


def _log_to_stderr(settings: Settings) -> None:
    configure_logging(settings.log_level, as_json=settings.log_json, stream=COMMAND_LOG_STREAM)


@feed_app.command("set")
def feed_set(
    store: StoreOption,
    url: Annotated[str, typer.Option(help="Where the store publishes its feed")],
    every_hours: Annotated[
        int, typer.Option(min=1, max=MAX_SCHEDULE_HOURS, help="How often to fetch it")
    ] = DEFAULT_SCHEDULE_HOURS,
) -> None:
    """Set the feed URL and schedule (default: daily); the first scheduled sync is a period away."""
    try:
        url = checked_feed_url(url)
    except ValueError as error:
        fail(str(error))
    engine = migrated_engine()
    require_store(engine, store)
    with engine.begin() as conn:
        feed = feed_storage.put_feed_settings(
            conn, store, url=url, schedule_hours=every_hours, now=datetime.now(UTC)
        )
    print_json(feed.to_dict())


@feed_app.command("sync")
def feed_sync(
    store: StoreOption,
    source: Annotated[
        str | None, typer.Argument(help="A URL or a local file; default: the feed URL set")
    ] = None,
    conditional: Annotated[
        bool, typer.Option(help="Send the last ETag / Last-Modified (a 304 reads nothing)")
    ] = True,
) -> None:
    """Sync now, in this process, with a progress display; prints the run."""
    settings = load_settings()
    _log_to_stderr(settings)
    engine = migrated_engine(settings)
    require_store(engine, store)
    request = SyncRequest(store, TRIGGER_CLI, source=_source(source), conditional=conditional)
    with _ProgressDisplay() as display:
        try:
            run = sync_feed(engine, settings, request, display)
        except WinbackError as error:
            fail(error.reason)
    print_json(run.to_dict())
    if run.status in (FAILED, SKIPPED):
        raise typer.Exit(code=1)


@feed_app.command("status")
def feed_status(
    store: StoreOption,
    runs: Annotated[int, typer.Option(min=1, max=100, help="How many runs to show")] = 5,
) -> None:
    """The feed's settings and its last runs, newest first."""
    engine = migrated_engine()
    require_store(engine, store)
    with engine.connect() as conn:
        feed = feed_storage.feed_settings(conn, store)
        found = feed_storage.latest_runs(conn, store, runs)
    print_json({"feed": feed.to_dict() if feed else None, "runs": [r.to_dict() for r in found]})


def _source(text: str | None) -> str | Path | None:
    if text is None or text.lower().startswith(("http://", "https://")):
        return text
    path = Path(text)
    if not path.is_file():
        fail(f"{text} is neither an http(s) URL nor a file")
    return path


class _ProgressDisplay:
    """Draws a run's phases and progress on stderr (rich), as a ``SyncObserver``."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[rows]} rows"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self._task: TaskID | None = None

    def __enter__(self) -> _ProgressDisplay:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def phase(self, name: str, total_bytes: int | None) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total or 0)
        self._task = self._progress.add_task(name, total=total_bytes, rows=0)

    def progress(self, progress: ReadProgress) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=progress.bytes_read, rows=progress.rows)
