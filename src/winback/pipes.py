"""Messages from a child process over its standard output, read ahead into a bounded queue.

A large feed or import is parsed in a child process while this one applies
what it reads, so the two halves of the work each keep a core busy. The child
writes pickled messages, each prefixed with its length, to its standard output.
Here a thread drains the pipe into a bounded queue: the pipe's own buffer is
small, and without the thread the child would stop whenever this side writes
a batch, so the two would take turns instead of running side by side. When
this side falls behind, the queue fills and the child blocks.
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
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any

_LENGTH = struct.Struct("<Q")
# The pipe's size (Linux lets any process raise it to 1 MB; the default is 64 KB).
PIPE_BYTES = 1024 * 1024


class ChildStopped(RuntimeError):
    """The child's output ended before its last message: it crashed or was killed."""


class MessagePump:
    """Reads a pipe's messages as they come, into a bounded queue (None: the pipe ended)."""

    def __init__(self, pipe: IO[bytes], *, queued: int, name: str):
        self._pipe = pipe
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=queued)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
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


class ChildMessages:
    """The messages of a running child, unpickled, in the order it wrote them."""

    def __init__(self, child: subprocess.Popen[bytes], pump: MessagePump, what: str):
        self._child = child
        self._pump = pump
        self._what = what

    def next(self) -> tuple[Any, ...]:
        data = self._pump.next_message()
        if data is None:
            status = self._child.wait(timeout=10)
            raise ChildStopped(f"the {self._what} process stopped (exit status {status})")
        message: tuple[Any, ...] = pickle.loads(data)
        return message


@contextmanager
def child_messages(
    command: list[str], *, what: str, queued: int, environment: dict[str, str] | None = None
) -> Iterator[ChildMessages]:
    """Start ``python -m`` + ``command``; the child is stopped when the block ends."""
    child = subprocess.Popen(
        [sys.executable, "-m", *command],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=environment,
    )
    assert child.stdout is not None
    pump = MessagePump(child.stdout, queued=queued, name=f"{what.replace(' ', '-')}-pump")
    try:
        yield ChildMessages(child, pump, what)
    finally:
        if child.poll() is None:
            child.kill()
        pump.stop()
        child.stdout.close()
        child.wait(timeout=10)


def write_message(pipe: IO[bytes], *message: Any) -> None:
    """The child's side: one message, pickled and prefixed with its length."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(_LENGTH.pack(len(data)))
    pipe.write(data)


def messages_pipe() -> IO[bytes]:
    """The child's standard output, kept for its messages alone: a stray print (a
    library's warning) goes to standard error instead of into the message stream."""
    pipe = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    # Room for a few messages in the pipe itself, so that a write waits only when
    # the reading side's queue is full.
    with suppress(OSError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    return pipe
