"""A store's feed settings and the record of each sync run, as winback keeps them."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from winback.fields import iso_time

# Run statuses.
QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
NOT_MODIFIED = "not_modified"  # the server answered 304: nothing was read
FAILED = "failed"  # nothing changed; ``reason`` says why
SKIPPED = "skipped"  # another sync of the same store was running
FINISHED = (SUCCEEDED, NOT_MODIFIED, FAILED, SKIPPED)

# What started a run.
TRIGGER_SCHEDULE = "schedule"
TRIGGER_API = "api"
TRIGGER_UPLOAD = "upload"
TRIGGER_CLI = "cli"

DEFAULT_SCHEDULE_HOURS = 24
MAX_SCHEDULE_HOURS = 24 * 7
MAX_URL_LENGTH = 2048
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


def checked_feed_url(value: str) -> str:
    """The feed's URL as kept: an absolute http(s) URL with a host (else ValueError),
    whether the API or the CLI sets it."""
    url = value.strip()
    if not _URL.match(url):
        raise ValueError("the feed URL must be an absolute http:// or https:// URL")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"the feed URL must be at most {MAX_URL_LENGTH} characters")
    return url


# A run keeps this many row errors; the count of rejected rows is always exact.
MAX_KEPT_ERRORS = 1000


@dataclass(frozen=True)
class FeedSettings:
    """Where a store's feed is and how often it is fetched; the validators of the last fetch."""

    store_id: str
    url: str | None
    schedule_hours: int
    etag: str | None
    last_modified: str | None
    next_run_at: datetime | None
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "schedule_hours": self.schedule_hours,
            "next_run_at": iso_time(self.next_run_at),
            "updated_at": iso_time(self.updated_at),
        }


@dataclass
class FeedRun:
    """One sync: when, from what, what it did, and why it failed if it did."""

    id: int
    store_id: str
    trigger: str
    source: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    made_unavailable: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_not_listed: int = 0  # row errors counted in ``rejected`` but left out of ``errors``
    reason: str | None = None

    def reject(self, line: int, column: str | None, reason: str) -> None:
        """Keep a row error (up to ``MAX_KEPT_ERRORS``, then only counted in
        ``errors_not_listed``); the caller counts rejected rows."""
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append({"line": line, "column": column, "reason": reason})
        else:
            self.errors_not_listed += 1

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["started_at"] = iso_time(self.started_at)
        body["finished_at"] = iso_time(self.finished_at)
        del body["store_id"]
        return body
