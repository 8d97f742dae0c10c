"""customers/delete: the person's data erased as of the event's time, and a
tombstone that keeps it erased (older events about them are stale; a record that
later turns out to carry an erased id or email loses what it held from before)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from winback.apply.context import IMPLIED_VERSION, EventContext
from winback.outcomes import APPLIED
from winback.shoppers.identity import find_customer
from winback.shoppers.model import Customer
from winback.shoppers.optin import settle
from winback.shoppers.payloads import CustomerDeletePayload
from winback.shoppers.profile import ID_SEEN, forget_until, has_field, written_at, written_until
from winback.shoppers.traces import (
    erase_address_on_orders,
    erase_held_traces,
    settle_surviving_carts,
)
from winback.storage.workspace import Workspace

# Marker kind: the time of an erasure (``CONSENT``, of an address's last consent change).
DELETED = "customer_deleted"


def tombstone_keys(external_id: str | None, email: str | None) -> list[str]:
    """Marker keys of a deleted person; the email is kept only as a digest."""
    keys = []
    if external_id:
        keys.append("id:" + external_id)
    if email:
        keys.append("email:" + hashlib.sha256(email.encode()).hexdigest())
    return keys


def deleted_since(
    ws: Workspace, store_id: str, external_id: str | None, email: str | None, version: datetime
) -> bool:
    """True when the person was erased at or after ``version``.

    An event that names the person by id and email, older than the erasure of one
    of them, says they were one person then: the erasure is extended to the other
    (its tombstone, and a record known only by it), as it would have been had the
    erasure arrived after this event.
    """
    keys = tombstone_keys(external_id, email)
    times = [ws.marker(store_id, DELETED, key) for key in keys]
    erased_at = max((t for t in times if t is not None and t >= version), default=None)
    if erased_at is None:
        return False
    if len(keys) > 1 and any(t is None or t < erased_at for t in times):
        if times[0] is None or times[0] < erased_at:
            # (the address was erased, not the id: was it still theirs by then?)
            assert external_id is not None and email is not None
            if _left_before(ws, store_id, external_id, email, version, erased_at):
                return False
        erase_person(ws, store_id, external_id, email, erased_at)
    return True


def _left_before(
    ws: Workspace,
    store_id: str,
    external_id: str,
    email: str,
    version: datetime,
    erased_at: datetime,
) -> bool:
    """Whether the customer with ``external_id`` took another address after this
    event's ``version`` and by the time ``email`` was erased: the erasure was of an
    address they no longer had, whoever's it was then, and spares them (as it did had
    it arrived last). What the event says of them stands; the address it gives, older
    than their next, is never recorded (see ``_learn_earlier_address``)."""
    customer = ws.customer_by_external_id(store_id, external_id)
    if customer is None or customer.email is None or customer.email == email:
        return False
    since = written_at(customer, "email")
    return since is not None and version < since <= erased_at


def address_erased_since(ws: Workspace, store_id: str, email: str, at: datetime) -> bool:
    erased_at = ws.marker(store_id, DELETED, tombstone_keys(None, email)[0])
    return erased_at is not None and erased_at >= at


def erased_since(ws: Workspace, customer: Customer, at: datetime) -> bool:
    """Whether this customer's person was erased at or after ``at``."""
    for key in tombstone_keys(customer.external_id, customer.email):
        erased_at = ws.marker(customer.store_id, DELETED, key)
        if erased_at is not None and erased_at >= at:
            return True
    return False


def apply_customer_delete(ws: Workspace, ctx: EventContext, payload: CustomerDeletePayload) -> str:
    erase_person(ws, ctx.store_id, payload.id, payload.email, ctx.event_time)
    return APPLIED


def erase_person(
    ws: Workspace, store_id: str, external_id: str | None, email: str | None, at: datetime
) -> None:
    """Erase what is known of the person up to ``at``; a tombstone keeps it erased.

    Named by id and email, the person may still be two records: the customer with
    the id and a contact known only by the email (merged once the id is seen with
    the email). Both are erased, as the merged record would have been.
    """
    # (named by an address left since, it is whoever had it then: see find_customer)
    customer = find_customer(ws, store_id, external_id, email, at=at)
    keys = tombstone_keys(external_id, email)
    ws.erased_names.append((store_id, external_id, email))
    if email:  # (whoever had it before: the address is the person's data too)
        ws.erase_former_emails(store_id, "email", email, at)
        erase_address_on_orders(ws, store_id, email, at)
    if customer is None:
        _bury(ws, store_id, keys, at)
    else:
        _erase_customer(ws, customer, keys, at)
    if external_id and email:
        contact = ws.customer_by_email(store_id, email)
        if contact is not None and contact is not customer and contact.external_id is None:
            _erase_customer(ws, contact, keys, at)


def honour_erasures(ws: Workspace, customer: Customer) -> None:
    """A record that carries an id or an email erased at some time holds nothing of
    the person up to then, and its other id or email is erased as of then too: as if
    it had carried both when the erasure arrived (delivered in that order, the
    erasure would have found it)."""
    keys = tombstone_keys(customer.external_id, customer.email)
    times = [ws.marker(customer.store_id, DELETED, key) for key in keys]
    erased_at = max((t for t in times if t is not None), default=None)
    if erased_at is None:
        return
    if min(t or IMPLIED_VERSION for t in times) < erased_at or written_until(customer, erased_at):
        _erase_customer(ws, customer, keys, erased_at)


def _nameable(customer: Customer) -> bool:
    """Whether an event can still name the customer (find_customer)."""
    return any(
        value is not None
        for value in (
            customer.external_id,
            customer.email,
            customer.pos_id,
            customer.sms_phone_number,
        )
    )


def _bury(ws: Workspace, store_id: str, keys: list[str], at: datetime) -> None:
    for key in set(keys):
        previous = ws.marker(store_id, DELETED, key)
        if previous is None or previous < at:
            ws.set_marker(store_id, DELETED, key, at)


def _erase_customer(ws: Workspace, customer: Customer, keys: list[str], at: datetime) -> None:
    """Facts newer than the deletion (an order placed after it, delivered first)
    survive it, so the outcome does not depend on delivery order."""
    store_id = customer.store_id
    ws.erased_names.append((store_id, customer.external_id, customer.email))
    # The address they had at the erasure is buried with them, though they have left
    # it since (told first): as it is when the erasure arrives in time.
    held_then = [a for a, since, until in ws.former_emails_of(customer) if since <= at < until]
    for address in held_then:
        keys = keys + tombstone_keys(None, address)
    _bury(ws, store_id, keys + tombstone_keys(customer.external_id, customer.email), at)
    ws.erasures.append((store_id, customer.uid, customer.email, at))
    erase_held_traces(ws, store_id, customer.uid, customer.email, at)
    for address in ws.erase_former_emails(store_id, "customer_uid", customer.uid, at):
        if ws.customer_by_email(store_id, address) is None:
            # An address she left, and no one has taken since: what names it is hers.
            ws.erased_names.append((store_id, None, address))
    old_email, old_external_id = customer.email, customer.external_id
    kept = forget_until(customer, at)
    if not has_field(customer, ID_SEEN):
        customer.external_id = None
    ws.reindex_customer(customer, old_email, old_external_id)
    if not kept or not _nameable(customer):
        # With nothing left to name it by, no event can name the record again: what
        # remains (an unsubscribe's flag) lives on in the suppression list.
        ws.remove_customer(customer)
    if old_email is not None:  # (its sign-up's wait followed the flag just erased)
        settle(ws, store_id, old_email)
    if not kept or not _nameable(customer):
        return
    if customer.version_at <= at:
        customer.version_at = IMPLIED_VERSION
    ws.touch(customer)
    ws.aggregates_due.add((store_id, customer.uid))
    settle_surviving_carts(ws, customer, at)
