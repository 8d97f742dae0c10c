"""The applier: takes pending events from the raw log and applies them, batch by batch.

Each batch is one transaction that also records every event's outcome, so an
event is applied exactly once even if the process dies mid-way. Only one
applier works at a time (SQLite's write lock; a PostgreSQL advisory lock).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import structlog
from sqlalchemy import Connection, Engine

from winback.apply.batch import (
    WorkedOut,
    apply_batch,
    apply_parsed,
    parse_events,
    work_out,
    write_worked_out,
)
from winback.apply.item import ApplyItem
from winback.intake.checked import CheckedEvents
from winback.metrics import APPLY_LAG, EVENTS_APPLIED
from winback.outcomes import FAILED
from winback.storage.engine import reader
from winback.storage.locks import derived_writes_so_far, take_apply_lock
from winback.storage.newevents import Wakeup
from winback.storage.pending import (
    Outcome,
    PendingEvent,
    pending_events,
    pending_head,
    record_outcomes,
)

log = structlog.get_logger(__name__)

# The longest an idle applier goes without looking, should a wake-up be missed
# (the raw log's writer, or on PostgreSQL a notice from another process).
IDLE_WAIT_SECONDS = 0.05
# After a batch smaller than the limit, the applier lets events gather this long
# before it looks again. Woken by every group commit, it would otherwise apply a
# few events at a time, each batch paying its fixed reads and writes (and, on
# SQLite, taking the write lock the raw log's commits wait for) again.
GATHER_SECONDS = 0.01
# After a failed look, the applier waits this long, doubled after each further
# failure up to the most.
FAILED_LOOK_WAIT_SECONDS = 0.1
MAX_FAILED_WAIT = 5.0


def wait_after_failures(failures: int) -> float:
    """Seconds to wait after ``failures`` failed looks in a row (however many: an
    outage may last hours, and the applier must outlive it)."""
    doublings = min(failures - 1, MAX_DOUBLINGS)
    return min(FAILED_LOOK_WAIT_SECONDS * 2.0**doublings, MAX_FAILED_WAIT)


# (enough to reach the most from the first wait; more would only overflow a float)
MAX_DOUBLINGS = 16


class Applier:
    def __init__(
        self,
        engine: Engine,
        *,
        batch_size: int = 100,
        checked: CheckedEvents | None = None,
        work_out_first: bool = False,
        wakeup: Wakeup | None = None,
    ) -> None:
        """``work_out_first``: on SQLite, work each batch out before taking the write
        lock (see ``apply_pending``). For an applier in a process of its own: beside
        the HTTP side in one interpreter, holding the lock through the work kept the
        raw log's writer off the interpreter too, and the applier needs that share
        (measured: lag p99 at saturation 0.56 s with, 0.22 s without).

        ``wakeup``: what tells an applier in a process of its own that events were
        appended (``storage.newevents``); in the intake's process its raw log
        writer sets ``wake``."""
        self._engine = engine
        self._batch_size = batch_size
        self._checked = checked
        self._work_out_first = work_out_first
        self.wake = threading.Event()
        self._wakeup: Wakeup = self.wake if wakeup is None else wakeup

    def apply_pending(self) -> int:
        """Apply one batch of pending events; returns how many were read (some may have
        been applied by another applier meanwhile: more may be pending all the same)."""
        # Read and parse, and (``work_out_first``, on SQLite) work the batch out on one
        # snapshot, before taking the write lock: there it is the one writer's, which
        # the raw log's group commits wait for, and holding it through the batch's
        # Python work made them wait for all of it.
        with reader(self._engine).connect() as conn:
            writes_seen = derived_writes_so_far(conn) if self._work_out_first else None
            events = pending_events(conn, self._batch_size)
            if not events:
                return 0
            items, refused = parse_events(events, self._checked)
            worked = self._work_out(conn, items) if writes_seen is not None else None
        read = len(events)
        try:
            with self._engine.begin() as conn:
                writes_before = take_apply_lock(conn)
                if worked is not None and writes_before == writes_seen:
                    # No one wrote derived state since the snapshot (another applier or
                    # a replay would have): what was worked out on it stands, and the
                    # events read are still the first pending.
                    outcomes = write_worked_out(conn, worked, items, refused)
                else:
                    events, outcomes = self._apply_head(conn, events, items, refused)
                now = datetime.now(UTC)
                record_outcomes(conn, outcomes, now)
        except Exception as error:
            log.warning("apply batch failed, applying one by one", error=repr(error))
            return self._apply_one_by_one()
        self._observe(events, outcomes, now)
        return read

    @staticmethod
    def _work_out(conn: Connection, items: list[ApplyItem]) -> WorkedOut | None:
        try:
            return work_out(conn, items)
        except Exception as error:  # (applied inside the lock instead, where it is handled)
            log.warning("working a batch out failed", error=repr(error))
            return None

    def _apply_head(
        self,
        conn: Connection,
        events: list[PendingEvent],
        items: list[ApplyItem],
        refused: list[Outcome],
    ) -> tuple[list[PendingEvent], list[Outcome]]:
        """Apply, inside the lock, the first pending events as they are now: those read
        before, less any another applier took meanwhile, plus any older ones a replay
        made pending again (read and parsed here), in order."""
        known = {event.seq for event in events}
        # (those that arrived since the batch was read wait for the next one)
        head = [seq for seq in pending_head(conn, self._batch_size) if seq <= max(known)]
        missing = [seq for seq in head if seq not in known]
        if missing:
            more = pending_events(conn, len(missing), missing)
            more_items, more_refused = parse_events(more, self._checked)
            events, items, refused = events + more, items + more_items, refused + more_refused
        first = set(head)
        events = sorted((e for e in events if e.seq in first), key=lambda e: e.seq)
        items = sorted((i for i in items if i.seq in first), key=lambda i: i.seq or 0)
        refused = [outcome for outcome in refused if outcome.seq in first]
        return events, apply_parsed(conn, items, refused)

    def _apply_one_by_one(self) -> int:
        with self._engine.connect() as conn:
            seqs = [event.seq for event in pending_events(conn, self._batch_size)]
        for seq in seqs:
            events: list[PendingEvent] = []
            try:
                with self._engine.begin() as conn:
                    take_apply_lock(conn)
                    events = pending_events(conn, 1, [seq])
                    outcomes = apply_batch(conn, events, self._checked) if events else []
                    if outcomes:
                        record_outcomes(conn, outcomes, datetime.now(UTC))
            except Exception as error:
                log.error("event could not be applied", seq=seq, error=repr(error))
                outcomes = self._record_failure(seq, error)
                events = events if outcomes else []
            # Counted like a batch's, failures included: they are what an operator alerts on.
            self._observe(events, outcomes, datetime.now(UTC))
        return len(seqs)

    def _record_failure(self, seq: int, error: Exception) -> list[Outcome]:
        """Mark the event failed, unless another applier settled it meanwhile: the failed
        transaction gave up the apply lock, so another may have taken it (and counted it)."""
        with self._engine.begin() as conn:
            take_apply_lock(conn)
            if not pending_events(conn, 1, [seq]):
                return []
            outcomes = [Outcome(seq, FAILED, f"apply error: {error!r}"[:2000])]
            record_outcomes(conn, outcomes, datetime.now(UTC))
        return outcomes

    @staticmethod
    def _observe(events: list[PendingEvent], outcomes: list[Outcome], now: datetime) -> None:
        for event in events:
            APPLY_LAG.observe((now - event.received_at).total_seconds())
        for outcome in outcomes:
            EVENTS_APPLIED.labels(outcome=outcome.outcome).inc()

    def drain(self, timeout: float = 30.0) -> None:
        """Apply until nothing is pending (used by the CLI and tests)."""
        deadline = time.monotonic() + timeout
        while self.apply_pending() and time.monotonic() < deadline:
            pass

    def run(self, stop: threading.Event) -> None:
        """Apply forever until ``stop`` is set; woken early by new appends."""
        failures = 0
        while not stop.is_set():
            # The wait for a wake-up is retried too: in ``winback worker`` on PostgreSQL
            # it listens on a connection of its own, which the database drops as it
            # drops the applier's (a restart, a failover).
            try:
                self._look(stop)
                failures = 0
            except Exception as error:
                # (the database out of reach: look again less and less often, not 15
                # times a second with a log line each)
                failures += 1
                log.error("applier error", error=repr(error), failures_in_a_row=failures)
                stop.wait(wait_after_failures(failures))

    def _look(self, stop: threading.Event) -> None:
        """Apply a batch; then, unless it was full, wait for more to come."""
        # Cleared before the look: an append committed after it wakes the wait.
        self._wakeup.clear()
        if self.apply_pending() < self._batch_size:
            stop.wait(GATHER_SECONDS)
            self._wakeup.wait(IDLE_WAIT_SECONDS)
