"""Reading a large feed in a second process, so parsing and applying run side by side.

Parsing a row (cells checked, variants grouped, digests taken) and applying a
product (the apply functions, the database) each keep one core busy. For a
large file the parse runs in a child process (``python -m winback.feeds.reader
FILE``) that writes its records, in batches, to a pipe, while this process
applies them. The pipe's buffer bounds what waits between the two: when this
side falls behind, the child blocks. Small feeds are read in this process:
starting a Python process costs more than they take.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from winback.feeds.errors import FeedError
from winback.feeds.parse import parse_feed
from winback.feeds.records import FeedProduct
from winback.imports.problems import RowError
from winback.imports.source import Progress, ProgressHook

Record = FeedProduct | RowError
RejectedHook = Callable[[str], None]

# Files at least this large are parsed in a child process.
CHILD_THRESHOLD_BYTES = 8 * 1024 * 1024
RECORDS_PER_MESSAGE = 500


@contextmanager
def feed_records(
    path: Path,
    *,
    progress: ProgressHook,
    on_rejected: RejectedHook,
    child_threshold: int | None = None,
) -> Iterator[Iterator[Record]]:
    """The feed's products and row errors in order; the hooks hear progress and rejected ids."""
    threshold = CHILD_THRESHOLD_BYTES if child_threshold is None else child_threshold
    if path.stat().st_size < threshold:
        with path.open("rb") as content:
            yield parse_feed(content, progress=progress, on_rejected=on_rejected)
        return
    command = [sys.executable, "-m", "winback.feeds.reader", str(path)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert child.stdout is not None
    try:
        yield _received(child, child.stdout, progress, on_rejected)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.wait(timeout=10)


def _received(
    child: subprocess.Popen[bytes],
    pipe: IO[bytes],
    progress: ProgressHook,
    on_rejected: RejectedHook,
) -> Iterator[Record]:
    while True:
        try:
            message: tuple[Any, ...] = pickle.load(pipe)
        except EOFError:
            status = child.wait(timeout=10)
            raise RuntimeError(f"the feed reader process stopped (exit status {status})") from None
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


def read_into(path: str, pipe: IO[bytes]) -> None:
    """The child's work: parse the file, write its records in batches, then "done"."""
    records: list[Record] = []
    rejected: list[str] = []
    last = [Progress(0, 0)]

    def send(*message: Any) -> None:
        pickle.dump(message, pipe, protocol=pickle.HIGHEST_PROTOCOL)

    def heard(progress: Progress) -> None:
        last[0] = progress

    try:
        with open(path, "rb") as content:
            for record in parse_feed(content, progress=heard, on_rejected=rejected.append):
                records.append(record)
                if len(records) >= RECORDS_PER_MESSAGE:
                    send("batch", records, rejected, last[0])
                    records, rejected = [], []
        send("done", records, rejected, last[0])
    except FeedError as error:
        send("refused", error.reason, error.line, error.column)
    except Exception as error:
        send("crashed", f"{type(error).__name__}: {error}")
    pipe.flush()


if __name__ == "__main__":
    read_into(sys.argv[1], sys.stdout.buffer)
