"""The raw log's events waiting to be applied: which, how many, how long, and
what became of them once applied."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select, update

from winback.outcomes import APPLIED, PENDING, STALE
from winback.storage.schema import raw_events


@dataclass(frozen=True)
class PendingEvent:
    seq: int
    store_id: str
    source: str
    event_type: str
    topic: str
    event_time: datetime
    received_at: datetime
    body: bytes
    digest: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    """What became of the event ``seq``, and why when it was not applied."""

    seq: int
    outcome: str
    reason: str | None = None
    pointer: str | None = None


_PENDING_COLUMNS = (
    raw_events.c.seq,
    raw_events.c.store_id,
    raw_events.c.source,
    raw_events.c.event_type,
    raw_events.c.topic,
    raw_events.c.event_time,
    raw_events.c.received_at,
    raw_events.c.body,
    raw_events.c.digest,
    raw_events.c.headers,
)


def pending_events(
    conn: Connection, limit: int, seqs: Collection[int] | None = None
) -> list[PendingEvent]:
    """The first ``limit`` pending events, in the order received (of ``seqs`` only, if given)."""
    query = select(*_PENDING_COLUMNS).where(raw_events.c.outcome == PENDING)
    if seqs is not None:
        query = query.where(raw_events.c.seq.in_(seqs))
    rows = conn.execute(query.order_by(raw_events.c.seq).limit(limit))
    return [PendingEvent(**row._mapping) for row in rows]


def pending_head(conn: Connection, limit: int) -> list[int]:
    """The sequence numbers of the first ``limit`` pending events."""
    query = select(raw_events.c.seq).where(raw_events.c.outcome == PENDING)
    return list(conn.execute(query.order_by(raw_events.c.seq).limit(limit)).scalars())


def record_outcomes(conn: Connection, outcomes: list[Outcome], now: datetime) -> None:
    if not outcomes:
        return
    conn.execute(
        update(raw_events)
        .where(raw_events.c.seq == bindparam("b_seq"))
        .values(
            outcome=bindparam("b_outcome"),
            reason=bindparam("b_reason"),
            pointer=bindparam("b_pointer"),
            applied_at=now,
        ),
        [
            {"b_seq": o.seq, "b_outcome": o.outcome, "b_reason": o.reason, "b_pointer": o.pointer}
            for o in outcomes
        ],
    )


def applied_digests(conn: Connection, digests: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of the (store id, digest) pairs an applied (or stale) event already has:
    a delivery with one of them is a resend."""
    by_store: dict[str, set[str]] = defaultdict(set)
    for store_id, digest in digests:
        by_store[store_id].add(digest)
    seen: set[tuple[str, str]] = set()
    for store_id, wanted in by_store.items():
        rows = conn.execute(
            select(raw_events.c.digest).where(
                raw_events.c.store_id == store_id,
                raw_events.c.digest.in_(wanted),
                raw_events.c.outcome.in_((APPLIED, STALE)),
            )
        )
        seen.update((store_id, row.digest) for row in rows)
    return seen


def pending_count(conn: Connection) -> int:
    query = select(func.count()).select_from(raw_events).where(raw_events.c.outcome == PENDING)
    return int(conn.execute(query).scalar_one())


# Built once: back-pressure asks it up to a hundred times a second, and building the
# statement cost about as much as running it.
_OLDEST_PENDING = (
    select(raw_events.c.received_at)
    .where(raw_events.c.outcome == PENDING)
    .order_by(raw_events.c.seq)
    .limit(1)
)


def oldest_pending_age(conn: Connection, now: datetime) -> float:
    """Seconds the oldest event not yet applied has waited (0 when none waits)."""
    received_at: datetime | None = conn.execute(_OLDEST_PENDING).scalar()
    if received_at is None:
        return 0.0
    return max((now - received_at).total_seconds(), 0.0)
