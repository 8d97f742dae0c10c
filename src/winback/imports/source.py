"""Where the bytes of an import come from, and how far through them we are.

Files arrive as an open binary file (an upload) or as an iterator of chunks (a
download); both are read the same way, a buffer at a time, so memory stays
bounded whatever the size of the file.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# Large enough to sniff a format and check a file's encoding before any row.
BUFFER_SIZE = 64 * 1024


@runtime_checkable
class Readable(Protocol):
    """Anything with a binary ``read``: an open file, a socket file, ``io.BytesIO``."""

    def read(self, size: int = -1, /) -> bytes: ...


# Whole ``bytes`` are accepted too, for small files and tests.
ByteSource = bytes | Readable | Iterable[bytes]


@dataclass(frozen=True, slots=True)
class Progress:
    """How much of the input has been read (bytes as they arrive, compressed or not)."""

    bytes_read: int
    rows: int


ProgressHook = Callable[[Progress], None]


class CountingReader(io.RawIOBase):
    """A raw stream over a byte source that counts the bytes it hands on."""

    def __init__(self, source: ByteSource):
        super().__init__()
        if isinstance(source, bytes):
            source = [source]
        self.bytes_read = 0
        self._file: Readable | None = source if isinstance(source, Readable) else None
        self._chunks: Iterator[bytes] | None = (
            None if isinstance(source, Readable) else iter(source)
        )
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        # Fill the whole buffer when the source can: a format or an encoding is judged
        # from the first buffer, and a source of tiny chunks must not starve that look.
        filled = 0
        while filled < len(buffer):
            data = self._next_bytes(len(buffer) - filled)
            if not data:
                break
            buffer[filled : filled + len(data)] = data
            filled += len(data)
        self.bytes_read += filled
        return filled

    def _next_bytes(self, size: int) -> bytes:
        if self._file is not None:
            return self._file.read(size)
        while not self._pending and self._chunks is not None:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._chunks = None
            else:
                self._pending = bytes(chunk)
        data, self._pending = self._pending[:size], self._pending[size:]
        return data


def open_source(source: ByteSource) -> tuple[CountingReader, io.BufferedReader]:
    """Wrap a byte source so it can be peeked at (format, BOM) and read line by line."""
    counter = CountingReader(source)
    return counter, io.BufferedReader(counter, buffer_size=BUFFER_SIZE)


class ProgressReporter:
    """Calls the progress hook every ``every`` rows and once at the end."""

    def __init__(self, hook: ProgressHook | None, counter: CountingReader, every: int = 1000):
        self._hook = hook
        self._counter = counter
        self._every = every
        self.rows = 0

    def row(self) -> None:
        self.rows += 1
        if self._hook is not None and self.rows % self._every == 0:
            self._hook(Progress(bytes_read=self._counter.bytes_read, rows=self.rows))

    def finish(self) -> None:
        if self._hook is not None:
            self._hook(Progress(bytes_read=self._counter.bytes_read, rows=self.rows))
