"""Apply customer events: the profile as registers, versions, an address changed or
learned late (and the unsubscribe that follows the person). Who an event names is
in ``identity.py``; erasure in ``erasure.py``."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

import orjson

from winback.apply.context import EventContext
from winback.fields import sender_fields
from winback.outcomes import APPLIED, DUPLICATE, STALE
from winback.shoppers.erasure import (
    address_erased_since,
    deleted_since,
    erased_since,
    honour_erasures,
)
from winback.shoppers.identity import claim_id, create_customer, find_customer
from winback.shoppers.model import CONSENT, UNSUBSCRIBED, Customer
from winback.shoppers.optin import settle, write_flag
from winback.shoppers.payloads import CustomerPayload
from winback.shoppers.profile import (
    EXPLICIT,
    IMPLIED,
    SEEN,
    SIGNED,
    append_tags,
    last_placed,
    merge_registers,
    set_field,
    unset_field,
    version_digest,
    written_at,
    written_since,
)
from winback.storage.workspace import Workspace

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
    if address_erased_since(ws, customer.store_id, email, at):
        return  # (erased since: the address is not kept, as had it come first)
    held = ws.former_emails_of(customer)
    left_at = min(
        [t for _, since, until in held for t in (since, until) if t > at] + [current_since]
    )
    ws.left_email(customer, email, at, left_at)
    for address, since, until in held:
        if address != email and since <= at < until:
            # (they had that one until this, not until their next change known before:
            # an unsubscribe of it made since was not theirs, nor did it follow them)
            ws.cut_former_email(customer, address, until, at)
            _take_back_later_unsubscribe(ws, customer, address, at)
            if _unsubscribed_after(ws, customer.store_id, address, at):
                lift_carried(ws, customer.store_id, address, at)
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
            # (and from it, not from the address before, it went on to the next one)
            _carried_from_instead(ws, store_id, max(before)[1], email, left_at)
        elif last_change <= left_at and UNSUBSCRIBED not in ws.suppression_types(store_id, email):
            # (subscribed while they had it: what followed them there went no further)
            lift_carried(ws, store_id, max(before)[1], left_at)
    if _unsubscribed_by(ws, store_id, email, left_at):
        unsubscribed_at = ws.marker(store_id, CONSENT, email)
        if unsubscribed_at is not None and not erased_since(ws, customer, unsubscribed_at):
            write_flag(ws, customer, False, SIGNED, unsubscribed_at)
        follow_unsubscribe(ws, customer, left_at)


def _unsubscribed_by(ws: Workspace, store_id: str, email: str, at: datetime) -> bool:
    """Whether ``email`` was unsubscribed by ``at``, as far as its state now tells (an
    unsubscribe carried from another address has no time of its own: it counts)."""
    if UNSUBSCRIBED not in ws.suppression_types(store_id, email):
        return False
    last_change = ws.marker(store_id, CONSENT, email)
    if last_change is None or last_change <= at:
        return True
    # (suppressed without a break since then: an unsubscribe made later found it so)
    since = ws.suppressed_since(store_id, email, UNSUBSCRIBED)
    return since is not None and since <= at


def _unsubscribed_after(ws: Workspace, store_id: str, email: str, at: datetime) -> bool:
    """Whether ``email`` is unsubscribed by a change made after ``at``."""
    last_change = ws.marker(store_id, CONSENT, email)
    in_force = UNSUBSCRIBED in ws.suppression_types(store_id, email)
    return in_force and last_change is not None and last_change > at


def _carried_from_instead(
    ws: Workspace, store_id: str, carried_from: str, instead: str, since: datetime
) -> None:
    """Unsubscribes carried from ``carried_from`` at ``since`` or later, now known to
    have come through ``instead`` (an address the person had between): said so, so
    that a consent change of ``instead`` reaches them."""
    if carried_from == instead:
        return
    reason = f"unsubscribed as {carried_from}"
    for address, carried_at in ws.suppressions_with_reason(store_id, UNSUBSCRIBED, reason):
        if carried_at >= since and address != instead:
            ws.remove_suppression(store_id, address, UNSUBSCRIBED)
            ws.add_suppression(
                store_id, address, UNSUBSCRIBED, carried_at, f"unsubscribed as {instead}"
            )


def _take_back_later_unsubscribe(
    ws: Workspace, customer: Customer, email: str, left_at: datetime
) -> None:
    """An unsubscribe of ``email`` made after the customer left it at ``left_at``, told
    before the move was, was not theirs: the flag it gave them is taken back."""
    unsubscribed_at = ws.marker(customer.store_id, CONSENT, email)
    if unsubscribed_at is None or unsubscribed_at <= left_at:
        return
    if UNSUBSCRIBED in ws.suppression_types(customer.store_id, email):
        unset_field(customer, "accepts_marketing", False, SIGNED, unsubscribed_at)


def _carry_unsubscribe(
    ws: Workspace, store_id: str, old_email: str, new_email: str, at: datetime
) -> None:
    """An unsubscribe is the person's: it follows them to their new address, where
    only an explicit subscribe lifts it (never ``accepts_marketing`` on an update).
    One made after they left (told before the move was) stays with the old address,
    and a consent change of the new address after the move (told before it) stands."""
    if not _unsubscribed_by(ws, store_id, old_email, at):
        return
    last_change = ws.marker(store_id, CONSENT, new_email)
    if last_change is None or last_change <= at:
        ws.add_suppression(store_id, new_email, UNSUBSCRIBED, at, f"unsubscribed as {old_email}")


def lift_carried(
    ws: Workspace, store_id: str, email: str, since: datetime, lifted: set[str] | None = None
) -> None:
    """What followed a person from ``email`` when they left it, on an unsubscribe that
    turns out not to have been in force then (lifted at ``since`` by a subscribe told
    after the move, or made at ``since`` after they had really left): nothing
    followed. (A change of the address they took, after they took it, stands.)"""
    lifted = lifted if lifted is not None else set()
    lifted.add(email)
    carried = ws.suppressions_with_reason(store_id, UNSUBSCRIBED, f"unsubscribed as {email}")
    for address, carried_at in carried:
        last_change = ws.marker(store_id, CONSENT, address)
        if carried_at < since or address in lifted:
            continue
        if last_change is None or last_change <= carried_at:
            ws.remove_suppression(store_id, address, UNSUBSCRIBED)
            lift_carried(ws, store_id, address, since, lifted)


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
        set_field(customer, "accepts_marketing", False, SIGNED, unsubscribed_at)


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
        if last_change is not None and last_change > until:
            # (a consent change of that address after they took it decided it, and
            # what went on from it: an unsubscribe of it follows them of itself)
            break
        reason = f"unsubscribed as {left}"
        ws.add_suppression(customer.store_id, address, UNSUBSCRIBED, until, reason)


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
