"""Reading a large feed in a second process, so parsing and applying run side by side.

Parsing a row (cells checked, variants grouped, digests taken) and applying a
product (the apply functions, the database) each keep one core busy. For a
large file the parse runs in a child process (``python -m winback.feeds.reader
FILE``) that writes its records, in length-prefixed messages, to a pipe, while
this process applies them. Given the database, the child also describes the
products that changed (see ``describe``), the other half of the work per
product. A thread here drains the pipe into a bounded queue:
the pipe's own buffer (64 KB, about 70 products) would stop the child while
this side writes a batch, so the two would take turns instead of running side
by side. The queue bounds what waits between them (``QUEUED_MESSAGES``); when
this side falls behind, the child blocks. Small feeds are read in this process:
starting a Python process costs more than they take.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from winback.feeds.describe import Describer, Share
from winback.feeds.errors import FeedError
from winback.feeds.parse import parse_feed
from winback.feeds.records import ReadRecord
from winback.imports.source import Progress, ProgressHook
from winback.memory import tune_garbage_collection
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
_LENGTH = struct.Struct("<Q")
# The pipe's size (Linux lets any process raise it to 1 MB; the default is 64 KB).
PIPE_BYTES = 1024 * 1024


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
    command = [sys.executable, "-m", "winback.feeds.reader", str(path)]
    environment = dict(os.environ)
    if describe_for is not None:
        # The URL may hold a password: the environment, unlike the arguments, is private.
        environment[DATABASE_VARIABLE] = describe_for.database_url
        command.append(describe_for.store_id)
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=environment
    )
    assert child.stdout is not None
    pump = _Pump(child.stdout)
    try:
        yield _received(child, pump, progress, on_rejected)
    finally:
        if child.poll() is None:
            child.kill()
        pump.stop()
        child.stdout.close()
        child.wait(timeout=10)


class _Pump:
    """Reads the child's messages as they come, into a bounded queue (None: the pipe ended)."""

    def __init__(self, pipe: IO[bytes]):
        self._pipe = pipe
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED_MESSAGES)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feed-reader-pump", daemon=True)
        self._thread.start()

    def next_message(self) -> bytes | None:
        return self._queue.get()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopping.is_set():
            message = self._read_message()
            self._put(message)
            if message is None:
                return

    def _read_message(self) -> bytes | None:
        header = self._pipe.read(_LENGTH.size)
        if len(header) < _LENGTH.size:
            return None
        (length,) = _LENGTH.unpack(header)
        body = self._pipe.read(length)
        return body if len(body) == length else None

    def _put(self, message: bytes | None) -> None:
        # Checks now and then whether the reading side has gone, so the thread can end.
        while not self._stopping.is_set():
            try:
                self._queue.put(message, timeout=0.1)
            except queue.Full:
                continue
            return


def _received(
    child: subprocess.Popen[bytes],
    pump: _Pump,
    progress: ProgressHook,
    on_rejected: RejectedHook,
) -> Iterator[ReadRecord]:
    while True:
        data = pump.next_message()
        if data is None:
            status = child.wait(timeout=10)
            raise RuntimeError(f"the feed reader process stopped (exit status {status})")
        message: tuple[Any, ...] = pickle.loads(data)
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
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        started = time.monotonic()
        pipe.write(_LENGTH.pack(len(data)))
        pipe.write(data)
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


def _records_pipe() -> IO[bytes]:
    """Standard output, kept for the records alone: a stray print (a library's
    warning) goes to standard error instead of into the length-prefixed stream."""
    pipe = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    # Room for a few messages in the pipe itself, so that a write waits only when
    # the applying side's queue is full (what ``Share`` listens for).
    with suppress(OSError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    return pipe


def _describer(arguments: list[str]) -> Describer | None:
    database_url = os.environ.get(DATABASE_VARIABLE)
    if not arguments or not database_url:
        return None
    return Describer(reader(make_engine(database_url, pool_size=1)), arguments[0])


if __name__ == "__main__":
    tune_garbage_collection()
    read_into(sys.argv[1], _records_pipe(), _describer(sys.argv[2:]))
