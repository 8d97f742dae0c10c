"""Take an erased person's details out of the logged events about them.

Which events, and what is left of each, is decided in ``shoppers/redaction.py``;
this finds them for a batch. Two ways cover every event logged before or after
the erasure arrives:

- when a batch erases someone, the events logged about them up to the erasure
  (``storage/redaction.py`` finds candidates in the log);
- an event the batch applies that names someone erased at or after the event's
  time: logged late, or in the same batch as the erasure.

The rewritten bodies are written with the batch (``flush``), in its transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel

from winback.apply.context import REJECTED
from winback.apply.item import ApplyItem
from winback.errors import WinbackError
from winback.intake.topics import Topic
from winback.intake.validation import parse_payload
from winback.shoppers.apply import DELETED, tombstone_keys
from winback.shoppers.redaction import (
    REDACTED_TOPICS,
    names_any,
    people_named,
    redacted,
    version_of,
)
from winback.storage.redaction import events_mentioning
from winback.storage.workspace import Workspace


def redact_erased(ws: Workspace, items: list[ApplyItem]) -> None:
    """Note in ``ws`` the logged bodies to rewrite after the batch's applying."""
    for item in items:
        if item.seq is not None and item.topic in REDACTED_TOPICS and _erased_since(ws, item):
            _rewrite(ws, item.seq, item.topic, item.body)
    in_batch = {item.seq for item in items}
    for (store_id, at), (ids, emails) in _erased_by_time(ws).items():
        for row in events_mentioning(ws.conn, store_id, ids, emails):
            if row.seq not in in_batch:
                _redact_logged(ws, row, ids, emails, at)


def _erased_by_time(ws: Workspace) -> dict[tuple[str, datetime], tuple[set[str], set[str]]]:
    """The batch's erasures, one per store and time: one erasure may reach a customer
    and a contact, each noted with its own id and email."""
    erased: dict[tuple[str, datetime], tuple[set[str], set[str]]] = {}
    for store_id, ids, emails, at in ws.erased_people:
        known_ids, known_emails = erased.setdefault((store_id, at), (set(), set()))
        known_ids.update(ids)
        known_emails.update(emails)
    return erased


def _erased_since(ws: Workspace, item: ApplyItem) -> bool:
    payload = item.payload if isinstance(item.payload, BaseModel) else None
    version = version_of(payload, item.event_time)
    for external_id, email in people_named(item.topic, payload, item.body):
        for key in tombstone_keys(external_id, email):
            erased_at = ws.marker(item.store_id, DELETED, key)
            if erased_at is not None and erased_at >= version:
                return True
    return False


def _redact_logged(ws: Workspace, row: Any, ids: set[str], emails: set[str], at: datetime) -> None:
    if row.outcome == REJECTED:
        # Never applied, so never replayed: a refused body that holds the address goes
        # whole (its reason still says what was wrong with it).
        if any(email.encode() in bytes(row.body).lower() for email in emails):
            ws.redacted_bodies[row.seq] = b""
        return
    topic = Topic(row.topic)
    if topic not in REDACTED_TOPICS:
        return
    try:
        body = orjson.loads(row.body)
        payload = parse_payload(topic, body) if isinstance(body, dict) else None
    except (orjson.JSONDecodeError, WinbackError, ValueError):
        return  # (it did not apply, so nothing of it outlives the erasure anyway)
    if not isinstance(body, dict) or version_of(payload, row.event_time) > at:
        return
    if names_any(people_named(topic, payload, body), ids, emails):
        _rewrite(ws, row.seq, topic, body)


def _rewrite(ws: Workspace, seq: int, topic: Topic, body: dict[str, Any]) -> None:
    left = redacted(topic, body)
    if left != body:
        ws.redacted_bodies[seq] = orjson.dumps(left)
