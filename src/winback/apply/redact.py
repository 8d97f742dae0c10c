"""Take an erased person out of the deliveries the integration log refused.

A refused delivery is kept whole so that a store's developer can see what was
wrong with it, and ``/api/v1/events`` shows it: after an erasure, one that names
the person (by the store's customer id where a payload names a customer, or by
an email of theirs anywhere in it) is emptied, its reason kept without the
address, phone number or date of birth it may quote. It was never applied, so no
replay reads it.

The deliveries that were applied keep their bodies: ``winback replay`` rebuilds
the store from them, and which of them an erasure wipes entirely is not known
from the names they carry (a record that left an address, two records with one
address, a resend taken for new on replay). See docs/architecture.md, "Erasure
and the raw log".
"""

from __future__ import annotations

import contextlib
from typing import Any

import orjson

from winback.fields import to_external_id
from winback.intake.topics import Topic
from winback.reasons import without_personal_value
from winback.storage.redaction import refusals_mentioning
from winback.storage.workspace import Workspace

# Where a body names its shopper by id: a customer event's own id, and these
# anywhere (an order's id, a product's or a cart's is no person's, even when equal).
_CUSTOMER_TOPICS = frozenset({Topic.CUSTOMER_CREATE, Topic.CUSTOMER_UPDATE, Topic.CUSTOMER_DELETE})
_SHOPPER_ID_NAMES = ("customer_id", "customerId")


def empty_refusals_of_erased(ws: Workspace) -> None:
    """Note in ``ws`` the refused bodies naming someone the batch erased."""
    by_store: dict[str, tuple[set[str], set[str]]] = {}
    for store_id, external_id, email in ws.erased_names:
        ids, emails = by_store.setdefault(store_id, (set(), set()))
        if external_id:
            ids.add(external_id)
        if email:
            emails.add(email)
    for store_id, (ids, emails) in by_store.items():
        for row in refusals_mentioning(ws.conn, store_id, ids, emails):
            if names_person(bytes(row.body), row.topic, ids, emails):
                reason = row.reason and without_personal_value(row.reason)
                ws.redacted_bodies[row.seq] = (b"", reason)


def names_person(body: bytes, topic: str, ids: set[str], emails: set[str]) -> bool:
    """Whether a refused body of ``topic`` names one of ``ids`` where a payload names
    a person, or holds one of ``emails`` anywhere (in any case)."""
    lowered = body.lower()
    if any(email.encode() in lowered for email in emails):
        return True
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    # (read, its \u escapes are letters again: an address written so is found too)
    unescaped = orjson.dumps(parsed).lower()
    if any(email.encode() in unescaped for email in emails):
        return True
    return isinstance(parsed, dict) and bool(_named_ids(parsed, topic) & ids)


def _named_ids(body: dict[str, Any], topic: str) -> set[str]:
    """The ids the body names a person by, read as an id is kept (42.0 is "42")."""
    customer = body.get("customer")
    named = [body.get(name) for name in _SHOPPER_ID_NAMES]
    if topic in _CUSTOMER_TOPICS:
        named.append(body.get("id"))
    if isinstance(customer, dict):
        named.append(customer.get("id"))
    ids: set[str] = set()
    for value in named:
        if value is None:
            continue
        with contextlib.suppress(ValueError):  # (no id at all: it names no one)
            ids.add(to_external_id(value))
    return ids
