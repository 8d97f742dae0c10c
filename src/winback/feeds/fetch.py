"""Getting a feed's bytes onto local disk before anything is read from them.

A downloaded feed is written whole to a spool file first: every HTTP failure
(an error status, a timeout, a connection cut mid-body) then happens before
the first product is applied, the server's connection is not held open while
products are applied, and the file can be read twice (checked, then parsed).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from winback.outbound import OutboundClient, Validators

# A feed may be large (a million rows is ~300 MB of CSV); this only stops a runaway.
MAX_FEED_BYTES = 8 * 1024 * 1024 * 1024
MAX_DOWNLOAD_SECONDS = 30 * 60.0


@dataclass(frozen=True)
class Fetched:
    """A download: the spooled file, or ``not_modified`` after a 304; the new validators."""

    path: Path | None
    not_modified: bool
    validators: Validators


def spool_dir(data_dir: Path) -> Path:
    """Where downloads and uploads wait to be read (inside the data directory)."""
    path = data_dir / "feed-spool"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def spool_file(data_dir: Path, suffix: str = ".feed") -> Iterator[Path]:
    """A new empty file in the spool directory, removed when the block ends."""
    handle, name = tempfile.mkstemp(suffix=suffix, dir=spool_dir(data_dir))
    path = Path(name)
    try:
        with open(handle, "wb"):
            pass
        yield path
    finally:
        path.unlink(missing_ok=True)


def download_feed(
    client: OutboundClient, url: str, into: Path, *, previous: Validators | None
) -> Fetched:
    """GET ``url`` (conditionally when ``previous`` is given) into the file ``into``.

    Raises ``RetryableError`` / ``TerminalError`` from the outbound client.
    """
    with client.download(
        url, previous=previous, max_bytes=MAX_FEED_BYTES, max_seconds=MAX_DOWNLOAD_SECONDS
    ) as download:
        if download.not_modified:
            return Fetched(None, True, previous or download.validators)
        with into.open("wb") as out:
            for chunk in download.chunks():
                out.write(chunk)
        return Fetched(into, False, download.validators)
