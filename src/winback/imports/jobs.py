"""An import as winback records it: what was asked, how far it got, what was skipped and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from winback.fields import iso_time
from winback.imports.problems import RowError

# What is imported.
ORDERS = "orders"
CONTACTS = "contacts"

# Job statuses.
QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"  # the file was read to the end; skipped rows are in ``errors``
FAILED = "failed"  # refused (``reason`` says why) or stopped by a failure
FINISHED = (SUCCEEDED, FAILED)

# A job keeps this many row errors; how many more there were is counted.
MAX_KEPT_ERRORS = 1000


@dataclass
class ImportSummary:
    """The figures of one import, updated as it goes; exact once it has finished.

    ``imported`` counts orders (or contacts) written, or that would be written
    in a dry run; ``unchanged`` those already stored as the file has them, or in
    a newer version (a file imported again): nothing was written for them.
    ``skipped`` counts the rows of the file that did not go in, each explained
    in ``errors`` by its line number.
    """

    kind: str
    dry_run: bool
    bytes_read: int = 0
    rows_read: int = 0
    imported: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_not_listed: int = 0
    # Why the file stopped before its end (a row the CSV reader cannot split); rows before it
    # went in. None when the file was read to the end.
    stopped: str | None = None
    # The lines reported so far (errors come in file order), and the last of them.
    lines_in_error: int = field(default=0, repr=False)
    _last_line_in_error: int = field(default=0, repr=False)

    def report(self, error: RowError) -> None:
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append(error)
        else:
            self.errors_not_listed += 1
        if error.line > self._last_line_in_error:
            self.lines_in_error += 1
            self._last_line_in_error = error.line

    def errors_as_dicts(self) -> list[dict[str, Any]]:
        return [error_dict(error) for error in self.errors]


def error_dict(error: RowError) -> dict[str, Any]:
    return {"line": error.line, "column": error.column, "reason": error.reason}


@dataclass
class ImportJob:
    """One import run through the job queue (the API), as stored in ``import_jobs``."""

    id: str
    store_id: str
    kind: str
    status: str
    dry_run: bool
    created_at: datetime
    filename: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    bytes_total: int | None = None
    bytes_read: int = 0
    rows_read: int = 0
    imported: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_not_listed: int = 0
    reason: str | None = None
    # When the process running it last said it was alive (never shown: ``status`` says it).
    heartbeat_at: datetime | None = None

    def take(self, summary: ImportSummary) -> None:
        """Copy the figures of a summary (the import's progress so far)."""
        self.bytes_read = summary.bytes_read
        self.rows_read = summary.rows_read
        self.imported = summary.imported
        self.unchanged = summary.unchanged
        self.skipped = summary.skipped
        self.errors = summary.errors_as_dicts()
        self.errors_not_listed = summary.errors_not_listed

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "dry_run": self.dry_run,
            "filename": self.filename,
            "created_at": iso_time(self.created_at),
            "started_at": iso_time(self.started_at),
            "finished_at": iso_time(self.finished_at),
            "bytes_total": self.bytes_total,
            "bytes_read": self.bytes_read,
            "rows_read": self.rows_read,
            "imported": self.imported,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "errors": self.errors,
            "errors_not_listed": self.errors_not_listed,
            "reason": self.reason,
        }
