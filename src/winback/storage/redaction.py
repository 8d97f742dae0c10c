"""The logged events an erasure may have to rewrite, and their rewriting."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    LargeBinary,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.sql.elements import quoted_name
from sqlalchemy.sql.functions import Function

from winback.storage.bulk import execute_many
from winback.storage.schema import raw_events


def events_mentioning(
    conn: Connection,
    store_id: str,
    topics: Iterable[str],
    ids: Iterable[str],
    emails: Iterable[str],
) -> Sequence[Any]:
    """A store's logged events of ``topics`` (and refused ones), not yet rewritten,
    whose body holds one of ``ids`` as it is or one of ``emails`` (lower-case) in
    any case.

    A coarse look done by the database, so that only candidates cross into Python:
    the caller reads each one and decides. (An id is compared as it is: ids are
    case-sensitive, and the bytes as stored are cheaper to search than lowered text.)
    """
    lowered = _lowered_body(conn)
    # (an id holding "/" may come escaped, "\/", as PHP's json_encode writes it)
    spellings = {spelled for i in ids for spelled in (i, i.replace("/", "\\/"))}
    found = [_position(conn, raw_events.c.body, _as_bytes(conn, i)) > 0 for i in sorted(spellings)]
    found += [_position(conn, lowered, email) > 0 for email in sorted(set(emails))]
    if not found:
        return []
    return conn.execute(
        select(
            raw_events.c.seq,
            raw_events.c.topic,
            raw_events.c.body,
            raw_events.c.event_time,
            raw_events.c.outcome,
        ).where(
            raw_events.c.store_id == store_id,
            raw_events.c.redacted_at.is_(None),
            or_(raw_events.c.topic.in_(sorted(topics)), raw_events.c.outcome == "rejected"),
            or_(*found),
        )
    ).all()


def _as_bytes(conn: Connection, text: str) -> Any:
    return literal(text.encode(), LargeBinary) if conn.dialect.name == "postgresql" else text


def _position(conn: Connection, within: Any, needle: Any) -> ColumnElement[int]:
    """Where ``needle`` starts in ``within`` (from 1; 0 if nowhere), text or bytes."""
    if conn.dialect.name == "postgresql":
        # (POSITION's function form, which takes bytea too; the name must be quoted)
        return Function(quoted_name("position", True), within, needle, type_=Integer)
    return func.instr(within, needle)


def _lowered_body(conn: Connection) -> ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        # An applied body is UTF-8 (it was read as JSON), and decoding it is three times
        # cheaper than escaping it; a refused one may not be: its bytes above ASCII are
        # escaped, and an address is compared in its ASCII part only.
        return func.lower(
            case(
                (raw_events.c.outcome == "rejected", func.encode(raw_events.c.body, "escape")),
                else_=func.convert_from(raw_events.c.body, "UTF8"),
            )
        )
    return func.lower(raw_events.c.body)


def rewrite_bodies(conn: Connection, bodies: dict[int, bytes]) -> None:
    """Replace logged bodies (seq -> body) and note when."""
    if not bodies:
        return
    now = datetime.now(UTC)
    execute_many(
        conn,
        update(raw_events)
        .where(raw_events.c.seq == bindparam("b_seq"))
        .values(body=bindparam("b_body"), redacted_at=now),
        [{"b_seq": seq, "b_body": body} for seq, body in bodies.items()],
    )
