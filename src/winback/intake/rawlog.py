"""The raw event log: every event is appended here, durably, before it is acknowledged.

Appends from many requests are grouped into one transaction (group commit):
a writer thread takes whatever is waiting, inserts it in one statement, commits
once (one fsync), then wakes every request in the group. Throughput grows with
load while each request still waits for its own commit.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from sqlalchemy import Engine, insert

from winback.errors import WinbackError
from winback.intake.checked import CheckedEvent, CheckedEvents
from winback.intake.topics import MAX_EVENT_TYPE_LENGTH, topic_for
from winback.outcomes import PENDING, REJECTED
from winback.reasons import without_personal_value
from winback.storage.newevents import announce_appended
from winback.storage.schema import raw_events

log = structlog.get_logger(__name__)


@dataclass
class RawEvent:
    store_id: str
    source: str
    event_type: str
    topic: str
    received_at: datetime
    event_time: datetime
    headers: dict[str, str]
    body: bytes
    digest: str
    outcome: str = PENDING
    http_status: int = 200
    reason: str | None = None
    pointer: str | None = None
    applied_at: datetime | None = field(default=None)


# hashlib lets other threads run while it hashes 2 KiB or more at once. Getting the
# interpreter back then waits for the thread that took it (in the intake's process,
# the raw log's writer) to give it up, up to the switch interval of 5 ms: hundreds of
# times longer than hashing a body takes. Fed in smaller pieces, it never lets go.
_HASHED_AT_ONCE = 2047


def event_digest(topic: str, event_time_header: str | None, body: dict[str, Any] | bytes) -> str:
    """Identity of a delivery: a resend of the same event has the same digest."""
    canonical = body if isinstance(body, bytes) else orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(topic.encode())
    digest.update(b"\n" + (event_time_header or "").encode() + b"\n")
    piece = memoryview(canonical)
    for start in range(0, len(piece), _HASHED_AT_ONCE):
        digest.update(piece[start : start + _HASHED_AT_ONCE])
    return digest.hexdigest()


def rejected_event(
    *,
    store_id: str,
    source: str,
    event_type: str,
    body: bytes,
    headers: dict[str, str],
    received_at: datetime,
    error: WinbackError,
) -> RawEvent:
    """The integration log's entry for something refused: what came, and why not."""
    event_type = event_type[:MAX_EVENT_TYPE_LENGTH]
    return RawEvent(
        store_id=store_id,
        source=source,
        event_type=event_type,
        topic=topic_for(event_type).value if event_type else "",
        received_at=received_at,
        event_time=received_at,
        headers=headers,
        body=body,
        digest=event_digest(REJECTED, None, body),
        outcome=REJECTED,
        http_status=error.status,
        reason=error.reason,
        pointer=error.pointer,
        applied_at=received_at,
    )


_EVENT_FIELDS = tuple(f.name for f in fields(RawEvent))

_Waiter = tuple[RawEvent, CheckedEvent | None, asyncio.Future[int], asyncio.AbstractEventLoop]


class RawLogWriter:
    """Appends raw events with group commit from a dedicated thread."""

    def __init__(
        self,
        engine: Engine,
        *,
        on_commit: Callable[[], None] | None = None,
        max_group: int = 1000,
        checked: CheckedEvents | None = None,
        hold: Callable[[], object] | None = None,
    ) -> None:
        self._engine = engine
        self._hold = hold
        self._on_commit = on_commit
        self._checked = checked
        self._max_group = max_group
        self._waiting: list[_Waiter] = []
        # When appends began to fail (none has succeeded since): /healthz says so.
        self.failing_since: datetime | None = None
        self._condition = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="rawlog-writer", daemon=True)
        self._thread.start()

    async def append(self, event: RawEvent, checked: CheckedEvent | None = None) -> int:
        """Store ``event`` durably; returns its sequence number once committed.

        ``checked`` (the event as the intake parsed it) goes to the applier of this
        process, if it has one, before the applier hears of the commit.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        with self._condition:
            if self._stopping:
                raise RuntimeError("the raw log writer is stopped")
            self._waiting.append((event, checked, future, loop))
            self._condition.notify()
        return await future

    async def append_refusal(self, entry: RawEvent) -> None:
        """Keep a refused event in the integration log; losing one must not fail the
        request, whose answer (the refusal) is already decided."""
        try:
            await self.append(entry)
        except Exception as error:
            log.warning("could not log a refused event", error=str(error))
        log.info(
            "event refused",
            store_id=entry.store_id,
            source=entry.source,
            event_type=entry.event_type,
            status=entry.http_status,
            reason=entry.reason and without_personal_value(entry.reason),
            pointer=entry.pointer,
        )

    def close(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify()
        self._thread.join(timeout=10)

    def _take_group(self) -> list[_Waiter] | None:
        with self._condition:
            while not self._waiting and not self._stopping:
                self._condition.wait()
            if not self._waiting:
                return None
            group = self._waiting[: self._max_group]
            del self._waiting[: self._max_group]
            return group

    def _run(self) -> None:
        while (group := self._take_group()) is not None:
            self._hold_if_behind()
            try:
                seqs = self._write([event for event, _, _, _ in group])
            except Exception as error:
                log.error("raw log append failed", error=str(error), events=len(group))
                self.failing_since = self.failing_since or datetime.now(UTC)
                for _, _, future, loop in group:
                    loop.call_soon_threadsafe(_fail, future, error)
                continue
            self.failing_since = None
            # One wake-up per event loop for the whole group, not one per request.
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], int]]] = {}
            for (_, checked, future, loop), seq in zip(group, seqs, strict=True):
                by_loop.setdefault(loop, []).append((future, seq))
                if checked is not None and self._checked is not None:
                    self._checked.put(seq, checked)
            for loop, results in by_loop.items():
                loop.call_soon_threadsafe(_resolve_all, results)
            if self._on_commit is not None:
                self._on_commit()

    def _hold_if_behind(self) -> None:
        """Back-pressure (see intake/backpressure.py). Its look at the applier fails
        when the database does; the append that follows then fails the group's
        requests (a 503 for each), where an escaping error would end this thread and
        leave every later request waiting for good."""
        if self._hold is None:
            return
        try:
            self._hold()
        except Exception as error:
            log.error("raw log back-pressure look failed", error=str(error))

    def _write(self, events: list[RawEvent]) -> list[int]:
        return append_events(self._engine, events)


def append_events(engine: Engine, events: list[RawEvent]) -> list[int]:
    """Append events in one transaction; returns their sequence numbers in order."""
    # A shallow copy: asdict would deep-copy every header dict for nothing.
    rows = [{name: getattr(event, name) for name in _EVENT_FIELDS} for event in events]
    with engine.begin() as conn:
        result = conn.execute(
            insert(raw_events).returning(raw_events.c.seq, sort_by_parameter_order=True), rows
        )
        seqs = [row[0] for row in result]
        announce_appended(conn)
        return seqs


def _resolve_all(results: list[tuple[asyncio.Future[int], int]]) -> None:
    for future, seq in results:
        if not future.done():
            future.set_result(seq)


def _fail(future: asyncio.Future[int], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
