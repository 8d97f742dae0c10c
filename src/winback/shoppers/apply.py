"""Apply customer events: identity by id then email, versions, erasure with a tombstone."""

from __future__ import annotations

import hashlib
from dataclasses import fields
from datetime import datetime
from typing import Any

import orjson

from winback.apply.context import (
    APPLIED,
    DUPLICATE,
    IMPLIED_VERSION,
    STALE,
    EventContext,
    new_uid,
)
from winback.fields import sender_fields
from winback.shoppers.model import CONSENT, UNSUBSCRIBED, Customer
from winback.shoppers.optin import settle, write_flag
from winback.shoppers.payloads import CustomerDeletePayload, CustomerPayload
from winback.shoppers.profile import (
    EXPLICIT,
    ID_SEEN,
    IMPLIED,
    SEEN,
    append_tags,
    forget_until,
    has_field,
    last_placed,
    merge_registers,
    set_field,
    unset_field,
    version_digest,
    written_at,
    written_since,
    written_until,
)
from winback.shoppers.traces import erase_held_traces, settle_surviving_carts
from winback.storage.workspace import Workspace, naming_order

# Marker kind: the time of an erasure (``CONSENT``, of an address's last consent change).
DELETED = "customer_deleted"
PROFILE_FIELDS = (
    "title",
    "gender",
    "birthdate",
    "groups",
    "default_address",
    "rewards",
    "verified_email",
    "guest",
    "pos_id",
    "sms_phone_number_e164",
    "info",
)


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
        erase_person(ws, store_id, external_id, email, erased_at)
    return True


def find_customer(
    ws: Workspace,
    store_id: str,
    external_id: str | None,
    email: str | None,
    *,
    pos_id: str | None = None,
    phone: str | None = None,
    at: datetime | None = None,
) -> Customer | None:
    """The customer with this id, else the one with this email that has no other id.

    Named by an email alone as of ``at``, which no one has now, it is the customer who
    had it then and has left it since (``former_holder``). Only someone named by
    neither (a contact or a buyer known by a point-of-sale id or a phone number alone)
    is found by the pos_id, else the phone, a customer holds.
    """
    if external_id:
        customer = ws.customer_by_external_id(store_id, external_id)
        if customer is not None:
            return customer
    if email:
        customer = ws.customer_by_email(store_id, email)
        if customer is not None and (external_id is None or customer.external_id is None):
            return customer
        if customer is None and external_id is None and at is not None:
            return former_holder(ws, store_id, email, at)
    if external_id or email:
        return None
    if pos_id:
        return ws.customer_by_pos_id(store_id, pos_id)
    return ws.customer_by_phone(store_id, phone) if phone else None


def former_holder(ws: Workspace, store_id: str, email: str, at: datetime) -> Customer | None:
    """The customer who left ``email`` first after ``at``: an event naming the address
    alone as of then was theirs (delivered before they left it, it found them; one
    from before they had it was merged into them when they took it)."""
    left = [(until, person) for person, until in ws.former_owners(store_id, email) if until > at]
    if not left:
        return None
    return min(left, key=lambda entry: (entry[0], naming_order(entry[1])))[1]


def create_customer(
    ws: Workspace,
    store_id: str,
    external_id: str | None,
    email: str | None,
    version: datetime = IMPLIED_VERSION,
) -> Customer:
    customer = Customer(
        uid=new_uid(), store_id=store_id, external_id=external_id, email=email, version_at=version
    )
    ws.add(customer)
    return customer


def claim_id(customer: Customer, external_id: str, at: datetime) -> None:
    """The store's id names this customer as of ``at`` (kept as a register, so an
    erasure as of a later time takes the id away with the rest)."""
    if customer.external_id is None:
        customer.external_id = external_id
    if customer.external_id == external_id:
        set_field(customer, ID_SEEN, external_id, IMPLIED, at)


def write_profile(
    ws: Workspace, customer: Customer, payload: CustomerPayload, *, priority: str, at: datetime
) -> list[bool]:
    """Write every field the payload sent, each as a last-writer-wins register; for
    each, whether it was taken (not lost to a newer write, or to another version of
    the same time)."""
    sent = payload.model_fields_set
    old_email, old_external_id = customer.email, customer.external_id
    old_email_since = written_at(customer, "email")
    if payload.id:
        claim_id(customer, payload.id, at)
    values = payload.model_dump(mode="json", include=set(PROFILE_FIELDS) & sent)
    values.update(sender_fields(payload.model_extra))
    for name in (
        "email",
        "first_name",
        "last_name",
        "accepts_marketing",
        "created_at",
        "updated_at",
    ):
        # (null is "the store does not say", for the flag too: it never unsets a value)
        if name in sent and getattr(payload, name) is not None:
            values[name] = getattr(payload, name)
    if "tags" in sent:
        values["tags"] = list(payload.tags)
    if payload.append_tags and "tags" in values:
        append_tags(customer, values.pop("tags"), at)
    tie = version_digest(values)
    taken = [set_field(customer, name, value, priority, at, tie) for name, value in values.items()]
    _settle_identity(ws, customer, (old_email, old_email_since), old_external_id, at)
    _learn_earlier_address(ws, customer, values.get("email"), at)
    if customer.email is not None and "accepts_marketing" in values:
        settle(ws, customer.store_id, customer.email)
    return taken


def _settle_identity(
    ws: Workspace,
    customer: Customer,
    old: tuple[str | None, datetime | None],
    old_external_id: str | None,
    at: datetime,
) -> None:
    """What follows a write that may have changed the customer's email or id: the
    index, the address left (and an unsubscribe that follows the person from it), a
    contact of the new address merged in, erasures and unsubscribes of it honoured.
    ``old`` is the email before the write, and when it was last written."""
    old_email, old_email_since = old
    ws.reindex_customer(customer, old_email, old_external_id)
    if old_email and customer.email and customer.email != old_email:
        ws.left_email(customer, old_email, old_email_since, at)
        _take_back_later_unsubscribe(ws, customer, old_email, at)
        _carry_unsubscribe(ws, customer.store_id, old_email, customer.email, at)
    absorb_email_twin(ws, customer, old_email)
    honour_erasures(ws, customer)
    recall_unsubscribe(ws, customer)
    if customer.email is not None and customer.email != old_email:
        # (the wait of a sign-up of the address follows the flag of whoever has it)
        settle(ws, customer.store_id, customer.email)


def _learn_earlier_address(
    ws: Workspace, customer: Customer, email: str | None, at: datetime
) -> None:
    """An address the customer had at ``at``, learned after a newer one: they left it
    at their next change after ``at``. Told in time, an unsubscribe of the address
    they had then would have followed them to it, and one of it to the next."""
    current_since = written_at(customer, "email")
    if not email or email == customer.email or current_since is None or current_since < at:
        # (not an address written before the current one's write; one of its very
        # time lost a tie to it, and was theirs for no time, as had it come first)
        return
    held = ws.former_emails_of(customer)
    left_at = min(
        [t for _, since, until in held for t in (since, until) if t > at] + [current_since]
    )
    ws.left_email(customer, email, at, left_at)
    store_id = customer.store_id
    for twin in ws.contacts_with_email(store_id, email):
        # (a contact of the address known only from before they left it: theirs)
        if twin.uid != customer.uid and not written_since(twin, left_at):
            _absorb(ws, twin, customer)
    before = [(since, address) for address, since, until in held if since <= at < until]
    if before and _unsubscribed_by(ws, store_id, max(before)[1], at):
        last_change = ws.marker(store_id, CONSENT, email)
        if last_change is None or last_change <= at:
            reason = f"unsubscribed as {max(before)[1]}"
            ws.add_suppression(store_id, email, UNSUBSCRIBED, at, reason)
    if _unsubscribed_by(ws, store_id, email, left_at):
        unsubscribed_at = ws.marker(store_id, CONSENT, email)
        if unsubscribed_at is not None and not erased_since(ws, customer, unsubscribed_at):
            write_flag(ws, customer, False, EXPLICIT, unsubscribed_at)
        follow_unsubscribe(ws, customer, left_at)


def _unsubscribed_by(ws: Workspace, store_id: str, email: str, at: datetime) -> bool:
    """Whether ``email`` was unsubscribed by ``at``, as far as its state now tells (an
    unsubscribe carried from another address has no time of its own: it counts)."""
    if UNSUBSCRIBED not in ws.suppression_types(store_id, email):
        return False
    last_change = ws.marker(store_id, CONSENT, email)
    return last_change is None or last_change <= at


def _take_back_later_unsubscribe(
    ws: Workspace, customer: Customer, email: str, left_at: datetime
) -> None:
    """An unsubscribe of ``email`` made after the customer left it at ``left_at``, told
    before the move was, was not theirs: the flag it gave them is taken back."""
    unsubscribed_at = ws.marker(customer.store_id, CONSENT, email)
    if unsubscribed_at is None or unsubscribed_at <= left_at:
        return
    if UNSUBSCRIBED in ws.suppression_types(customer.store_id, email):
        unset_field(customer, "accepts_marketing", False, EXPLICIT, unsubscribed_at)


def _carry_unsubscribe(
    ws: Workspace, store_id: str, old_email: str, new_email: str, at: datetime
) -> None:
    """An unsubscribe is the person's: it follows them to their new address, where
    only an explicit subscribe lifts it (never ``accepts_marketing`` on an update).
    One made after they left (told before the move was) stays with the old address."""
    if _unsubscribed_by(ws, store_id, old_email, at):
        ws.add_suppression(store_id, new_email, UNSUBSCRIBED, at, f"unsubscribed as {old_email}")


def set_implied_email(ws: Workspace, customer: Customer, email: str, at: datetime) -> None:
    """The address an order or a cart gave its shopper (its own ``email``)."""
    old = customer.email, written_at(customer, "email")
    set_field(customer, "email", email, IMPLIED, at)
    _settle_identity(ws, customer, old, customer.external_id, at)
    _learn_earlier_address(ws, customer, email, at)


def absorb_email_twin(ws: Workspace, customer: Customer, old_email: str | None) -> None:
    """One person, two records: a contact known only by this email (a subscriber, a
    guest) and this customer with an id, who has just been given the email. The
    contact is merged into the customer, field by field (newest write wins) and with
    its orders, carts and activity, so the result is the same whichever came first.
    """
    if customer.external_id is None or not customer.email or customer.email == old_email:
        return
    for twin in ws.contacts_with_email(customer.store_id, customer.email):
        if twin.uid != customer.uid:
            _absorb(ws, twin, customer)


def _absorb(ws: Workspace, twin: Customer, customer: Customer) -> None:
    merge_registers(twin, customer)
    customer.version_at = max(customer.version_at, twin.version_at)
    ws.merge_customer(twin, customer)
    # One record now: each one's orders bought the other's earlier carts too.
    placed = last_placed(customer)
    if placed is not None:
        ws.convert_carts(customer.store_id, customer.uid, placed)


def recall_unsubscribe(ws: Workspace, customer: Customer) -> None:
    """An address unsubscribed before its customer was known: the flag says so too,
    as of the unsubscribe, as if the customer had been there to receive it."""
    if not customer.email:
        return
    if UNSUBSCRIBED not in ws.suppression_types(customer.store_id, customer.email):
        return
    unsubscribed_at = ws.marker(customer.store_id, CONSENT, customer.email)
    if unsubscribed_at is None:
        return
    if not erased_since(ws, customer, unsubscribed_at):
        # (if the person was erased since, the suppression alone remains)
        set_field(customer, "accepts_marketing", False, EXPLICIT, unsubscribed_at)


def follow_unsubscribe(ws: Workspace, customer: Customer, left_at: datetime) -> None:
    """Suppress each address ``customer`` took from ``left_at`` on, as the unsubscribe
    would have followed them to it on each change, unless a newer consent change on
    that address (a subscribe) would have lifted it."""
    moves = sorted(
        (until, address) for address, _, until in ws.former_emails_of(customer) if until >= left_at
    )
    taken = [address for _, address in moves[1:]] + [customer.email]
    for (until, left), address in zip(moves, taken, strict=True):
        if address is None or address == left:
            continue
        last_change = ws.marker(customer.store_id, CONSENT, address)
        if last_change is None or last_change <= until:
            reason = f"unsubscribed as {left}"
            ws.add_suppression(customer.store_id, address, UNSUBSCRIBED, until, reason)


def erased_since(ws: Workspace, customer: Customer, at: datetime) -> bool:
    """Whether this customer's person was erased at or after ``at``."""
    for key in tombstone_keys(customer.external_id, customer.email):
        erased_at = ws.marker(customer.store_id, DELETED, key)
        if erased_at is not None and erased_at >= at:
            return True
    return False


def apply_customer(ws: Workspace, ctx: EventContext, payload: CustomerPayload) -> str:
    """customers/create and customers/update: both upsert."""
    version = payload.updated_at or ctx.event_time
    if deleted_since(ws, ctx.store_id, payload.id, payload.email, version):
        return STALE
    customer = find_customer(
        ws,
        ctx.store_id,
        payload.id,
        payload.email,
        pos_id=payload.pos_id,
        phone=payload.sms_phone_number_e164,
        at=version,
    )
    stored_as = None
    if customer is None:
        customer = create_customer(ws, ctx.store_id, payload.id, payload.email, version)
    else:
        if customer.version_at >= version and not ws.is_dirty(customer):
            # Compared once written: a contacts file imported again changes nothing.
            # (A newer version always changes the stored one: no need to compare.)
            stored_as = _stored_state(customer)
        ws.touch(customer)
    # An older update still fills fields no newer write has set; it is logged as stale.
    taken = write_profile(ws, customer, payload, priority=EXPLICIT, at=version)
    # Every field turned away by a version of the same time, which is kept whole (see
    # set_field): this one is stale, as it is when older, in a batch or not.
    lost_tie = bool(taken) and not any(taken)
    outcome = STALE if customer.version_at > version or lost_tie else APPLIED
    customer.version_at = max(customer.version_at, version)
    if stored_as is not None and _stored_state(customer) == stored_as:
        ws.untouch(customer)
        # (some field turned away, the others as stored: not this event again either)
        return STALE if outcome == STALE or not all(taken) else DUPLICATE
    return outcome


def _stored_state(customer: Customer) -> tuple[Any, ...]:
    # Its profile registers are edited in place: their text is what is compared.
    state = [getattr(customer, name) for name in _CUSTOMER_FIELDS]
    return (*state, orjson.dumps([customer.tags, customer.data]))


_CUSTOMER_FIELDS = tuple(f.name for f in fields(Customer) if f.name not in ("tags", "data"))


def upsert_embedded_customer(
    ws: Workspace,
    ctx: EventContext,
    embedded: CustomerPayload | None,
    email: str | None,
    version: datetime,
) -> Customer | None:
    """The buyer of an order or cart: created when unknown, otherwise only gaps are filled."""
    external_id = embedded.id if embedded else None
    email = (embedded.email if embedded and embedded.email else None) or email
    pos_id = embedded.pos_id if embedded else None
    phone = embedded.sms_phone_number_e164 if embedded else None
    if not external_id and not email and not pos_id and not phone:
        return None
    if deleted_since(ws, ctx.store_id, external_id, email, version):
        return None
    customer = find_customer(
        ws, ctx.store_id, external_id, email, pos_id=pos_id, phone=phone, at=version
    )
    if customer is None:
        customer = create_customer(ws, ctx.store_id, external_id, None)
    else:
        ws.touch(customer)
    set_field(customer, SEEN, True, IMPLIED, version)
    if external_id:
        claim_id(customer, external_id, version)
    if embedded is not None:
        write_profile(ws, customer, embedded, priority=IMPLIED, at=version)
    if email and (embedded is None or embedded.email is None):
        set_implied_email(ws, customer, email, version)
    return customer


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
    _bury(ws, store_id, keys + tombstone_keys(customer.external_id, customer.email), at)
    ws.erasures.append((store_id, customer.uid, customer.email, at))
    erase_held_traces(ws, store_id, customer.uid, customer.email, at)
    ws.erase_former_emails(store_id, "customer_uid", customer.uid, at)
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
