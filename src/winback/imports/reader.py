"""Reading a large import file in a second process, so reading and applying run side by side.

Reading a file (rows split, cells checked, an order's rows grouped, payloads
validated) takes about a fifth of an import's time, applying the rest, and
each keeps one core busy. For a large file the reading runs in a child process
(``python -m winback.imports.reader``), whose records come here as messages
(see ``winback.pipes``) while this process applies them. Small files are read
in this process: starting a Python process costs more than they take.

A payload crosses as the JSON it was validated into, and is built again here by
pydantic's JSON parser into models that do not check it again (``rebuilt.py``).
That costs half of checking the payloads again here, and less than unpickling them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from winback.imports.contacts import ImportedContact, parse_contacts_csv
from winback.imports.jobs import ORDERS
from winback.imports.orders import ImportedOrder, parse_orders_csv
from winback.imports.problems import ImportRefused, RowError
from winback.imports.rebuilt import rebuilt_contact, rebuilt_order
from winback.imports.source import ByteSource, Progress, ProgressHook
from winback.memory import tune_garbage_collection
from winback.pipes import ChildMessages, child_messages, messages_pipe, write_message

ImportedRecord = ImportedOrder | ImportedContact

# Files at least this large are read in a child process.
CHILD_THRESHOLD_BYTES = 8 * 1024 * 1024
RECORDS_PER_MESSAGE = 500
# Messages read ahead of the applying side: 8,000 records, under a batch, some MB.
QUEUED_MESSAGES = 16

# A record as it crosses: its first line, its row count and its payload's JSON.
_Crossing = tuple[int, int, bytes]


@dataclass(frozen=True)
class ReadOptions:
    """What reading a file needs besides the file: its kind and how to read it."""

    kind: str
    store_currency: str
    mapping: dict[str, str] | None = None
    encoding: str = "utf-8"


def parse_records(
    content: ByteSource, options: ReadOptions, progress: ProgressHook | None
) -> Iterator[ImportedRecord | RowError]:
    """Check the header now (raising ``ImportRefused``), then yield records and row errors."""
    if options.kind == ORDERS:
        return parse_orders_csv(
            content,
            store_currency=options.store_currency,
            mapping=options.mapping,
            encoding=options.encoding,
            progress=progress,
        )
    return parse_contacts_csv(
        content, mapping=options.mapping, encoding=options.encoding, progress=progress
    )


@contextmanager
def read_file(
    path: Path,
    options: ReadOptions,
    *,
    progress: ProgressHook | None,
    child_threshold: int | None = None,
) -> Iterator[Iterator[ImportedRecord | RowError]]:
    """``parse_records`` of a file, in a child process when the file is large."""
    threshold = CHILD_THRESHOLD_BYTES if child_threshold is None else child_threshold
    if path.stat().st_size < threshold:
        with path.open("rb") as content:
            yield parse_records(content, options, progress)
        return
    command = ["winback.imports.reader", str(path), orjson.dumps(asdict(options)).decode()]
    with child_messages(command, what="import reader", queued=QUEUED_MESSAGES) as messages:
        _check_reply(messages.next())  # the header's verdict, before any record
        yield _received(messages, options.kind, progress)


def _received(
    messages: ChildMessages, kind: str, progress: ProgressHook | None
) -> Iterator[ImportedRecord | RowError]:
    while True:
        message = messages.next()
        _check_reply(message)
        state, crossings, read = message
        for crossing in crossings:
            yield crossing if isinstance(crossing, RowError) else _rebuilt(kind, crossing)
        if progress is not None:
            progress(read)
        if state == "done":
            return


def _check_reply(message: tuple[Any, ...]) -> None:
    if message[0] == "refused":
        _, reason, line, column = message
        raise ImportRefused(reason, line=line, column=column)
    if message[0] == "crashed":
        raise RuntimeError(f"the import reader process failed: {message[1]}")


def _rebuilt(kind: str, crossing: _Crossing) -> ImportedRecord:
    line, rows, data = crossing
    if kind == ORDERS:
        return ImportedOrder(line=line, payload=rebuilt_order(data), rows=rows)
    return ImportedContact(line=line, payload=rebuilt_contact(data))


def _crossing(record: ImportedRecord) -> _Crossing:
    # Only the fields the file set: which of them were set is part of the payload
    # (an absent opt-in is not a "no"), and the rebuilt one must say the same.
    data = record.payload.model_dump_json(exclude_unset=True).encode()
    rows = record.rows if isinstance(record, ImportedOrder) else 1
    return (record.line, rows, data)


def read_into(path: str, options: ReadOptions, pipe: IO[bytes]) -> None:
    """The child's work: the header's verdict, then the records in batches, then "done"."""
    crossings: list[_Crossing | RowError] = []
    last = [Progress(0, 0)]
    ready = False

    def heard(progress: Progress) -> None:
        last[0] = progress

    try:
        with open(path, "rb") as content:
            records = parse_records(content, options, heard)
            write_message(pipe, "ready")
            ready = True
            for record in records:
                crossings.append(record if isinstance(record, RowError) else _crossing(record))
                if len(crossings) >= RECORDS_PER_MESSAGE:
                    write_message(pipe, "batch", crossings, last[0])
                    crossings = []
        write_message(pipe, "done", crossings, last[0])
    except ImportRefused as error:
        if ready:  # what came before a row the reader cannot split still goes in
            write_message(pipe, "batch", crossings, last[0])
        write_message(pipe, "refused", error.reason, error.line, error.column)
    except Exception as error:
        write_message(pipe, "crashed", f"{type(error).__name__}: {error}")
    pipe.flush()


if __name__ == "__main__":
    tune_garbage_collection()
    read_into(sys.argv[1], ReadOptions(**orjson.loads(sys.argv[2])), messages_pipe())
