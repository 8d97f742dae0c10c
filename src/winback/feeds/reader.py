"""Reading a large feed in a second process, so parsing and applying run side by side.

Parsing a row (cells checked, variants grouped, digests taken) and applying a
product (the apply functions, the database) each keep one core busy. For a
large file the parse runs in a child process (``python -m winback.feeds.reader
FILE``) whose records come here as messages (see ``winback.pipes``), while
this process applies them. Given the database, the child also describes the
products that changed (see ``describe``), the other half of the work per
product. Small feeds are read in this process: starting a Python process costs
more than they take.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from winback.feeds.describe import Describer, Share
from winback.feeds.errors import FeedError
from winback.feeds.parse import parse_feed
from winback.feeds.records import ReadRecord
from winback.imports.source import Progress, ProgressHook
from winback.memory import tune_garbage_collection
from winback.pipes import ChildMessages, child_messages, messages_pipe, write_message
from winback.storage.engine import make_engine, reader

RejectedHook = Callable[[str], None]
DATABASE_VARIABLE = "WINBACK_FEED_READER_DATABASE_URL"


@dataclass(frozen=True)
class StoreDatabase:
    """Where the child looks up what a store holds."""

    database_url: str
    store_id: str


# Files at least this large are parsed in a child process.
CHILD_THRESHOLD_BYTES = 8 * 1024 * 1024
RECORDS_PER_MESSAGE = 500
# Messages read ahead of the applying side: 8,000 products, a few batches, some MB.
QUEUED_MESSAGES = 16


@contextmanager
def feed_records(
    path: Path,
    *,
    progress: ProgressHook,
    on_rejected: RejectedHook,
    child_threshold: int | None = None,
    describe_for: StoreDatabase | None = None,
) -> Iterator[Iterator[ReadRecord]]:
    """The feed's products and row errors in order; the hooks hear progress and rejected ids.

    With ``describe_for``, a child sorts the products out against what that store
    holds (see ``describe``).
    """
    threshold = CHILD_THRESHOLD_BYTES if child_threshold is None else child_threshold
    if path.stat().st_size < threshold:
        with path.open("rb") as content:
            yield parse_feed(content, progress=progress, on_rejected=on_rejected)
        return
    command = ["winback.feeds.reader", str(path)]
    environment = dict(os.environ)
    if describe_for is not None:
        # The URL may hold a password: the environment, unlike the arguments, is private.
        environment[DATABASE_VARIABLE] = describe_for.database_url
        command.append(describe_for.store_id)
    with child_messages(
        command, what="feed reader", queued=QUEUED_MESSAGES, environment=environment
    ) as messages:
        yield _received(messages, progress, on_rejected)


def _received(
    messages: ChildMessages, progress: ProgressHook, on_rejected: RejectedHook
) -> Iterator[ReadRecord]:
    while True:
        message = messages.next()
        kind = message[0]
        if kind == "refused":
            _, reason, line, column = message
            raise FeedError(reason, line=line, column=column)
        if kind == "crashed":
            raise RuntimeError(f"the feed reader process failed: {message[1]}")
        _, records, rejected, read = message
        for product_id in rejected:
            on_rejected(product_id)
        yield from records
        progress(read)
        if kind == "done":
            return


def read_into(path: str, pipe: IO[bytes], describer: Describer | None = None) -> None:
    """The child's work: parse the file, write its records in batches, then "done"."""
    records: list[ReadRecord] = []
    rejected: list[str] = []
    last = [Progress(0, 0)]
    share = Share()

    def send(*message: Any) -> None:
        started = time.monotonic()
        write_message(pipe, *message)
        share.heard_write(time.monotonic() - started)

    def send_records(kind: str) -> None:
        prepared = records if describer is None else describer.prepare(records, share.value)
        send(kind, prepared, rejected, last[0])

    def heard(progress: Progress) -> None:
        last[0] = progress

    try:
        with open(path, "rb") as content:
            for record in parse_feed(content, progress=heard, on_rejected=rejected.append):
                records.append(record)
                if len(records) >= RECORDS_PER_MESSAGE:
                    send_records("batch")
                    records, rejected = [], []
        send_records("done")
    except FeedError as error:
        send("refused", error.reason, error.line, error.column)
    except Exception as error:
        send("crashed", f"{type(error).__name__}: {error}")
    pipe.flush()


def _describer(arguments: list[str]) -> Describer | None:
    database_url = os.environ.get(DATABASE_VARIABLE)
    if not arguments or not database_url:
        return None
    return Describer(reader(make_engine(database_url, pool_size=1)), arguments[0])


if __name__ == "__main__":
    tune_garbage_collection()
    read_into(sys.argv[1], messages_pipe(), _describer(sys.argv[2:]))
