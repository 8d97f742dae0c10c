"""Take an erased person's details out of the logged events about them.

What is left of each event is decided in ``shoppers/redaction.py``; which events,
here. An event is rewritten when a replay of it before the erasure would have
everything it wrote wiped again:

- when a batch erases a customer record, the events logged up to the erasure
  whose data went to that record (``applied_to``): those naming its id, and
  those naming only its email if no other record ever held that address (else
  the event may have gone to whoever had it then). ``storage/redaction.py``
  finds candidates in the log;
- an event the batch applies that the erasure had already made stale (an
  apply function notes it in ``ws.erased_on_arrival``), or a resend the batch
  does not apply, of an event about someone erased since: either wrote nothing
  of the person.

A rejected event, never applied, is emptied when it names the person at all.
The rewritten bodies are written with the batch (``flush``), in its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    applied_to,
    people_named,
    redacted,
    version_of,
)
from winback.storage.redaction import events_mentioning
from winback.storage.workspace import Workspace


@dataclass
class _Erasure:
    """A customer record a batch erased: its id, and its address where only it ever had it."""

    at: datetime
    ids: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    any_email: set[str] = field(default_factory=set)  # (for refused events, never replayed)

    def reaches(self, person: tuple[str, str] | None, version: datetime) -> bool:
        if person is None or version > self.at:
            return False
        kind, name = person
        return name in (self.ids if kind == "id" else self.emails)


def redact_erased(ws: Workspace, items: list[ApplyItem], repeats: list[ApplyItem]) -> None:
    """Note in ``ws`` the logged bodies to rewrite after the batch's applying.

    ``repeats``: those of ``items`` not applied, being resends of events applied
    before. A resend of an event about someone erased since loses their details
    too: it wrote nothing.
    """
    for item in repeats:
        if item.seq is not None and item.topic in REDACTED_TOPICS and _erased_since(ws, item):
            ws.erased_on_arrival.add(item.seq)
    for item in items:
        if item.seq is not None and item.seq in ws.erased_on_arrival:
            _rewrite(ws, item.seq, item.topic, item.body)
    by_store: dict[str, list[_Erasure]] = {}
    for store_id, erasure in _erasures(ws):
        by_store.setdefault(store_id, []).append(erasure)
    for store_id, erasures in by_store.items():
        ids = set().union(*(e.ids for e in erasures))
        emails = set().union(*(e.any_email for e in erasures))
        topics = [topic.value for topic in REDACTED_TOPICS]
        for row in events_mentioning(ws.conn, store_id, topics, ids, emails):
            _redact_logged(ws, row, erasures)


def _erased_since(ws: Workspace, item: ApplyItem) -> bool:
    """Whether a person the item names was erased at or after its time."""
    payload = item.payload if isinstance(item.payload, BaseModel) else None
    version = version_of(payload, item.event_time)
    for external_id, email in people_named(item.topic, payload, item.body):
        for key in tombstone_keys(external_id, email):
            erased_at = ws.marker(item.store_id, DELETED, key)
            if erased_at is not None and erased_at >= version:
                return True
    return False


def _erasures(ws: Workspace) -> list[tuple[str, _Erasure]]:
    found: list[tuple[str, _Erasure]] = []
    for store_id, external_id, email, only_holder, at in ws.erased_people:
        erasure = _Erasure(at)
        if external_id:
            erasure.ids.add(external_id)
        if email:
            erasure.any_email.add(email)
            if only_holder:
                erasure.emails.add(email)
        found.append((store_id, erasure))
    return found


def _redact_logged(ws: Workspace, row: Any, erasures: list[_Erasure]) -> None:
    try:
        body = orjson.loads(row.body)
    except orjson.JSONDecodeError:
        body = None
    if row.outcome == REJECTED:
        _empty_if_named(ws, row, body, erasures)
        return
    topic = Topic(row.topic)
    if topic not in REDACTED_TOPICS or not isinstance(body, dict):
        return
    if not _raw_names(body) & set().union(*(e.ids | e.emails for e in erasures)):
        return  # (the needle was only part of some other value: no need to parse)
    try:
        payload = parse_payload(topic, body)
    except (WinbackError, ValueError):
        return  # (it did not apply, so nothing of it outlives the erasure anyway)
    person = applied_to(topic, payload, body)
    version = version_of(payload, row.event_time)
    if any(erasure.reaches(person, version) for erasure in erasures):
        _rewrite(ws, row.seq, topic, body)


def _empty_if_named(ws: Workspace, row: Any, body: Any, erasures: list[_Erasure]) -> None:
    """A refused delivery that names an erased person goes whole (its reason stays)."""
    names = set().union(*(e.ids | e.any_email for e in erasures))
    lowered = bytes(row.body).lower()
    if (isinstance(body, dict) and _raw_names(body) & names) or any(
        email.encode() in lowered for e in erasures for email in e.any_email
    ):
        ws.redacted_bodies[row.seq] = b""


_NAMING = ("id", "email", "customer_id", "customerId")


def _raw_names(body: dict[str, Any]) -> set[str]:
    """The ids and addresses a body holds where any payload names a person, as text
    (addresses lower-case): a cheap first look, before the body is parsed."""
    holders = [body, body.get("customer")]
    return {
        str(value).strip().lower() if key == "email" else str(value).strip()
        for holder in holders
        if isinstance(holder, dict)
        for key in _NAMING
        if (value := holder.get(key)) is not None
    }


def _rewrite(ws: Workspace, seq: int, topic: Topic, body: dict[str, Any]) -> None:
    left = redacted(topic, body)
    if left != body:
        ws.redacted_bodies[seq] = orjson.dumps(left)
