"""Back-pressure: the raw log's writer holds the next 200s while the applier is behind.

Overloaded, the intake can acknowledge events faster than the applier applies
them. Nothing is lost either way (an event is durable from its 200), but the
state the read API and the automations see falls further behind for as long
as the load lasts, and on one process the applier, sharing the interpreter
with the HTTP side, gets less of it the busier that side is: a cart abandoned
a minute ago would still look open. So while the oldest pending event has
waited longer than the limit, the writer waits before it commits the next
group: senders wait longer for their 200 and what they sent stays fresh.

Each hold is bounded (``MAX_HOLD_SECONDS``), so that an intake whose applier is
down still takes events in, slowly, rather than none.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import Engine

from winback.metrics import INTAKE_HELD
from winback.storage.pending import oldest_pending_age

MAX_HOLD_SECONDS = 1.0
POLL_SECONDS = 0.01


class ApplyBackpressure:
    """Holds the raw log's writer while the applier is more than ``limit_seconds`` behind."""

    def __init__(
        self,
        engine: Engine,
        limit_seconds: float,
        *,
        max_hold_seconds: float = MAX_HOLD_SECONDS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._engine = engine
        self._limit = limit_seconds
        self._max_hold = max_hold_seconds
        self._poll = poll_seconds
        self._clear_until = 0.0  # (monotonic) the last look found it clear: trusted until then

    def behind(self) -> bool:
        """Whether the oldest pending event has waited longer than the limit.

        A look that found it clear is trusted for ``poll_seconds``, as a hold
        polls: asked before every group commit, the query cost about a twentieth
        of the intake's CPU at saturation. (Nothing tighter can be proved without
        a query: an event committed since may have been received long before,
        having waited in a writer's queue, this process's or another's.)
        """
        now = time.monotonic()
        if now < self._clear_until:
            return False
        with self._engine.connect() as conn:
            age = oldest_pending_age(conn, datetime.now(UTC))
        if age > self._limit:
            return True
        self._clear_until = now + self._poll
        return False

    def hold(self) -> float:
        """Wait while the applier is behind, at most ``max_hold_seconds``; returns
        the seconds waited."""
        if self._limit <= 0 or not self.behind():
            return 0.0
        started = time.monotonic()
        while time.monotonic() - started < self._max_hold:
            time.sleep(self._poll)
            if not self.behind():
                break
        held = time.monotonic() - started
        INTAKE_HELD.inc(held)
        return held
