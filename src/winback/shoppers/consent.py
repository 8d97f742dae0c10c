"""Apply newsletter events: subscribe, unsubscribe, double opt-in.

An explicit unsubscribe puts the address on the suppression list, where no
``accepts_marketing: true`` from a customer or order can lift it; only a newer
explicit subscribe does. The time of the last change is kept as a marker so
that an older subscribe delivered late cannot undo a newer unsubscribe.
"""

from __future__ import annotations

from datetime import datetime

from winback.apply.context import EventContext
from winback.outcomes import APPLIED, STALE
from winback.shoppers import optin
from winback.shoppers.apply import follow_unsubscribe, lift_carried, write_profile
from winback.shoppers.erasure import deleted_since, erased_since
from winback.shoppers.identity import claim_id, create_customer, find_customer
from winback.shoppers.model import CONSENT, PENDING_OPT_IN, UNSUBSCRIBED, Customer
from winback.shoppers.payloads import CustomerPayload, SubscribePayload, UnsubscribePayload
from winback.shoppers.profile import IMPLIED, SIGNED
from winback.storage.workspace import Workspace


def apply_subscribe(ws: Workspace, ctx: EventContext, payload: SubscribePayload) -> str:
    """Subscribe the address (or mark it pending a double opt-in).

    The customer's fields are registers, written whatever the order; only the
    suppression list follows the newest consent change, so a subscribe older than
    an unsubscribe is stale there. The list is about the address, so it is kept
    even when the person behind it was erased since.
    """
    version = ctx.event_time
    double_opt_in = (
        payload.double_optin_required
        if payload.double_optin_required is not None
        else ctx.double_opt_in
    )
    erased = deleted_since(ws, ctx.store_id, payload.customerId, payload.email, version)
    last_change = ws.marker(ctx.store_id, CONSENT, payload.email)
    newest = last_change is None or last_change <= version
    if not erased:
        customer = _subscriber(ws, ctx, payload)
        if not double_opt_in:
            optin.write_flag(ws, customer, True, SIGNED, version)
    if not newest:
        optin.note_change(ws, ctx.store_id, payload.email, version, unsubscribe=False)
        return STALE
    pending = bool(double_opt_in) and optin.ask(ws, ctx.store_id, payload.email, version)
    ws.remove_suppression(ctx.store_id, payload.email, UNSUBSCRIBED)
    if pending:
        ws.add_suppression(
            ctx.store_id,
            payload.email,
            PENDING_OPT_IN,
            version,
            optin.WAITING,
        )
    else:
        ws.remove_suppression(ctx.store_id, payload.email, PENDING_OPT_IN)
    ws.set_marker(ctx.store_id, CONSENT, payload.email, version)
    lift_carried(ws, ctx.store_id, payload.email, version)
    return STALE if erased else APPLIED


def _subscriber(ws: Workspace, ctx: EventContext, payload: SubscribePayload) -> Customer:
    customer = find_customer(ws, ctx.store_id, payload.customerId, payload.email, at=ctx.event_time)
    if customer is None:
        customer = create_customer(ws, ctx.store_id, payload.customerId, None)
    else:
        ws.touch(customer)
    if payload.customerId:
        claim_id(customer, payload.customerId, ctx.event_time)
    fields = payload.model_dump(
        include={"email", "first_name", "last_name", "tags", "sms_phone_number_e164"},
        exclude_none=True,
    )
    # A sign-up's tags (where they signed up, say) add to the customer's own: the
    # rest of the form only fills what the customer record does not say.
    signed_up_with = {"append_tags": True} if fields.get("tags") else {}
    form = CustomerPayload.model_validate(fields | signed_up_with)
    write_profile(ws, customer, form, priority=IMPLIED, at=ctx.event_time)
    return customer


def apply_unsubscribe(ws: Workspace, ctx: EventContext, payload: UnsubscribePayload) -> str:
    """Suppress the address, and say ``accepts_marketing: false`` on its customer.

    A customer who appears only later gets the same flag from the suppression
    (``recall_unsubscribe``), so either order ends the same.
    """
    version = ctx.event_time
    customer = find_customer(ws, ctx.store_id, None, payload.email)
    # (before the flag is written: a sign-up it turns out to have preceded takes back
    # the flag it wrote)
    optin.note_change(ws, ctx.store_id, payload.email, version, unsubscribe=True)
    left_since = _first_departures(ws, ctx.store_id, payload.email, version)
    people = {person.uid: person for person, _ in left_since.values()}
    if customer is not None:
        people[customer.uid] = customer
    for person in people.values():
        if not erased_since(ws, person, version):
            ws.touch(person)
            optin.write_flag(ws, person, False, SIGNED, version)
    # Told in time, it would have followed each of them to their next address when
    # they changed it, whatever has happened to this address since: unless a newer
    # change of it (a subscribe) came before they left, and lifted it then.
    last_change = ws.marker(ctx.store_id, CONSENT, payload.email)
    for person, left_at in left_since.values():
        if last_change is None or not version < last_change <= left_at:
            follow_unsubscribe(ws, person, left_at)
    if last_change is not None and last_change > version:
        return STALE
    ws.add_suppression(ctx.store_id, payload.email, UNSUBSCRIBED, version, "newsletter/unsubscribe")
    ws.remove_suppression(ctx.store_id, payload.email, PENDING_OPT_IN)
    ws.set_marker(ctx.store_id, CONSENT, payload.email, version)
    return APPLIED


def _first_departures(
    ws: Workspace, store_id: str, email: str, version: datetime
) -> dict[str, tuple[Customer, datetime]]:
    """Each customer who left ``email`` after ``version``, and when they first did."""
    first: dict[str, tuple[Customer, datetime]] = {}
    for person, left_at in ws.former_owners(store_id, email):
        if left_at > version and (person.uid not in first or left_at < first[person.uid][1]):
            first[person.uid] = (person, left_at)
    return first
