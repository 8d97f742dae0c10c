"""The refused deliveries an erasure empties (see apply/redact.py), found and emptied."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    LargeBinary,
    Text,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.sql.elements import quoted_name
from sqlalchemy.sql.functions import Function

from winback.outcomes import REJECTED
from winback.storage.bulk import execute_many
from winback.storage.schema import raw_events


def refusals_mentioning(
    conn: Connection, store_id: str, ids: Iterable[str], emails: Iterable[str]
) -> Sequence[Any]:
    """A store's refused deliveries, not yet emptied, whose body holds one of ``ids``
    or ``emails`` (lower-case; an email in any case, an id at least as it is).

    A coarse look done by the database, so that only candidates cross into Python:
    the caller reads each one and decides.
    """
    # (an id holding "/" may come escaped, "\/", as PHP's json_encode writes it; an id
    # or an address beyond ASCII comes as \u escapes, as it writes them by default)
    spellings = {s for i in ids for s in (i, i.replace("/", "\\/"), _escaped_json(i))}
    emails = {spelled for email in emails for spelled in (email, _escaped_json(email))}
    if conn.dialect.name == "postgresql":
        found = [_holds_as_is(i) for i in sorted(spellings)]
        found += [_holds_in_any_case(email) for email in sorted(set(emails))]
    else:
        # SQLite's LIKE ignores ASCII case, and looks through a body about four times
        # faster than instr() of it lowered (measured on 100,000 bodies of 3 KB). It
        # never matches a blob: the body is read as text.
        needles = sorted(spellings | set(emails))
        as_text = cast(raw_events.c.body, Text)
        found = [as_text.like(f"%{_escaped(n)}%", escape="\\") for n in needles]
        # LIKE stops reading text at a NUL byte, which anyone may put in front of an
        # address: such bodies are all candidates (few, and each is read below).
        found.append(func.instr(raw_events.c.body, literal(b"\x00", LargeBinary)) > 0)
    if not found:
        return []
    return conn.execute(
        select(
            raw_events.c.seq,
            raw_events.c.topic,
            raw_events.c.body,
            raw_events.c.reason,
        ).where(
            raw_events.c.store_id == store_id,
            raw_events.c.outcome == REJECTED,
            raw_events.c.redacted_at.is_(None),
            or_(*found),
        )
    ).all()


def _escaped_json(text: str) -> str:
    """``text`` as a JSON string's content, everything beyond ASCII escaped."""
    return json.dumps(text, ensure_ascii=True)[1:-1]


def _escaped(needle: str) -> str:
    return needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _holds_as_is(needle: str) -> ColumnElement[bool]:
    # (POSITION's function form, which takes bytea; the name must be quoted)
    at = Function(
        quoted_name("position", True),
        raw_events.c.body,
        literal(needle.encode(), LargeBinary),
        type_=Integer,
    )
    return at > 0


def _holds_in_any_case(needle: str) -> ColumnElement[bool]:
    # (a refused body may not be UTF-8: as escaped text, its bytes above ASCII become
    # escapes, and an address is looked for escaped the same way, in any ASCII case)
    lowered = func.lower(func.encode(raw_events.c.body, "escape"))
    return func.strpos(lowered, _escape_format(needle.encode())) > 0


def _escape_format(data: bytes) -> str:
    """``data`` as PostgreSQL's ``encode(data, 'escape')`` writes it: a backslash
    doubled, a zero byte or one above ASCII as a backslash and three octal digits."""
    return "".join(
        "\\\\" if byte == 0x5C else chr(byte) if 0 < byte < 0x80 else f"\\{byte:03o}"
        for byte in data
    )


def rewrite_bodies(conn: Connection, bodies: dict[int, tuple[bytes, str | None]]) -> None:
    """Replace logged bodies and their reasons (seq -> (body, reason)) and note when."""
    if not bodies:
        return
    now = datetime.now(UTC)
    execute_many(
        conn,
        update(raw_events)
        .where(raw_events.c.seq == bindparam("b_seq"))
        .values(body=bindparam("b_body"), reason=bindparam("b_reason"), redacted_at=now),
        [
            {"b_seq": seq, "b_body": body, "b_reason": reason}
            for seq, (body, reason) in bodies.items()
        ],
    )
