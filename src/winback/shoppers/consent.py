"""Apply newsletter events: subscribe, unsubscribe, double opt-in.

An explicit unsubscribe puts the address on the suppression list, where no
``accepts_marketing: true`` from a customer or order can lift it; only a newer
explicit subscribe does. The time of the last change is kept as a marker so
that an older subscribe delivered late cannot undo a newer unsubscribe.
"""

from __future__ import annotations

from winback.apply.context import APPLIED, STALE, EventContext
from winback.shoppers.apply import create_customer, find_customer, write_profile
from winback.shoppers.payloads import CustomerPayload, SubscribePayload, UnsubscribePayload
from winback.shoppers.profile import EXPLICIT, IMPLIED, set_field
from winback.storage.workspace import Workspace

CONSENT = "consent"
UNSUBSCRIBED = "unsubscribed"
PENDING_OPT_IN = "pending_opt_in"


def apply_subscribe(ws: Workspace, ctx: EventContext, payload: SubscribePayload) -> str:
    version = ctx.event_time
    last_change = ws.marker(ctx.store_id, CONSENT, payload.email)
    if last_change is not None and last_change > version:
        return STALE
    customer = find_customer(ws, ctx.store_id, payload.customerId, payload.email)
    if customer is None:
        customer = create_customer(ws, ctx.store_id, payload.customerId, None)
    else:
        ws.touch(customer)
    form = CustomerPayload.model_validate(
        payload.model_dump(
            include={"email", "first_name", "last_name", "tags", "sms_phone_number_e164"},
            exclude_none=True,
        )
    )
    write_profile(ws, customer, form, priority=IMPLIED, at=version)
    double_opt_in = (
        payload.double_optin_required
        if payload.double_optin_required is not None
        else ctx.double_opt_in
    )
    ws.remove_suppression(ctx.store_id, payload.email, UNSUBSCRIBED)
    if double_opt_in and customer.accepts_marketing is not True:
        ws.add_suppression(
            ctx.store_id,
            payload.email,
            PENDING_OPT_IN,
            version,
            "waiting for the double opt-in confirmation",
        )
    else:
        ws.remove_suppression(ctx.store_id, payload.email, PENDING_OPT_IN)
        set_field(customer, "accepts_marketing", True, EXPLICIT, version)
    ws.set_marker(ctx.store_id, CONSENT, payload.email, version)
    return APPLIED


def apply_unsubscribe(ws: Workspace, ctx: EventContext, payload: UnsubscribePayload) -> str:
    """Suppress the address. The customer's own flag is left as the store sent it: the
    marketing status reads the suppression list first, so the unsubscribe wins."""
    version = ctx.event_time
    last_change = ws.marker(ctx.store_id, CONSENT, payload.email)
    if last_change is not None and last_change > version:
        return STALE
    ws.add_suppression(ctx.store_id, payload.email, UNSUBSCRIBED, version, "newsletter/unsubscribe")
    ws.remove_suppression(ctx.store_id, payload.email, PENDING_OPT_IN)
    ws.set_marker(ctx.store_id, CONSENT, payload.email, version)
    return APPLIED
