"""Sign-ups that asked for a double opt-in (``opt_in_requests``), read and written."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from winback.shoppers.model import OptIn
from winback.storage.bulk import delete_by_keys, execute_many
from winback.storage.schema import opt_in_requests


def read_opt_in(conn: Connection, store_id: str, email: str) -> OptIn | None:
    row = conn.execute(
        select(opt_in_requests.c.asked_at, opt_in_requests.c.basis).where(
            opt_in_requests.c.store_id == store_id, opt_in_requests.c.email == email
        )
    ).first()
    if row is None:
        return None
    basis = row.basis
    return OptIn(
        store_id,
        email,
        row.asked_at,
        unsubscribed=_time(basis.get("unsubscribed")),
        subscribed=_time(basis.get("subscribed")),
    )


def write_opt_ins(conn: Connection, requests: Iterable[OptIn]) -> None:
    """Replace each address's request with the one given."""
    rows = [_row(request) for request in requests]
    if not rows:
        return
    keys = [(row["store_id"], row["email"]) for row in rows]
    delete_by_keys(conn, opt_in_requests, ("store_id", "email"), keys)
    execute_many(conn, insert(opt_in_requests), rows)


def _row(request: OptIn) -> dict[str, Any]:
    basis = {
        "unsubscribed": _text(request.unsubscribed),
        "subscribed": _text(request.subscribed),
    }
    return {
        "store_id": request.store_id,
        "email": request.email,
        "asked_at": request.asked_at,
        "basis": basis,
    }


def _text(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
