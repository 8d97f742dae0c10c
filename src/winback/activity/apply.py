"""Record a custom event against the shopper it names."""

from __future__ import annotations

from typing import Any

from winback.apply.context import EventContext
from winback.errors import InvalidPayload
from winback.fields import to_email, to_external_id
from winback.outcomes import APPLIED, STALE
from winback.shoppers.apply import upsert_embedded_customer
from winback.shoppers.erasure import deleted_since
from winback.shoppers.payloads import EmbeddedCustomer
from winback.storage.workspace import Workspace

# Copied rather than built with ``model_construct``, which costs about seven times
# as much (it resolves every field's default on each call).
_NOBODY = EmbeddedCustomer.model_construct()


def _named(body: dict[str, Any], fields: tuple[str, ...]) -> tuple[str, Any]:
    """The first of ``fields`` the body has a value in (``customer.x`` inside
    ``customer``): its JSON pointer and value. One sent null, empty or blank says
    nothing (``{"customer_id": "", "customerId": 7}`` names customer 7)."""
    nested = body.get("customer")
    for name in fields:
        outer, _, inner = name.partition(".")
        holder = (nested if isinstance(nested, dict) else {}) if inner else body
        value = holder.get(inner or outer)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return "/" + name.replace(".", "/"), value
    return "", None


def activity_identity(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The shopper a custom event names: its customer id and email, either may be None.

    A custom event may hold anything, but what names a shopper must name one
    rightly: an id as any id is kept, an email a valid address (else
    InvalidPayload, pointing at the field; the intake refuses such an event).
    """
    id_at, raw_id = _named(body, ("customer_id", "customerId", "customer.id"))
    email_at, raw_email = _named(body, ("email", "customer.email"))
    try:
        external_id = None if raw_id is None else to_external_id(raw_id)
    except ValueError as error:
        raise InvalidPayload(str(error), pointer=id_at) from None
    try:
        email = None if raw_email is None else to_email(raw_email)
    except ValueError as error:
        raise InvalidPayload(str(error), pointer=email_at) from None
    return external_id, email


def record_activity(ws: Workspace, ctx: EventContext, event_type: str, body: dict[str, Any]) -> str:
    """Custom events are kept whole; their properties later filter triggers and fill mail.

    An event that names a shopper (an email or a customer id) makes them a known
    contact, as the tracking script's setCustomer does, so the event is theirs
    whichever arrives first.
    """
    external_id, email = activity_identity(body)
    customer = None
    if external_id or email:
        if deleted_since(ws, ctx.store_id, external_id, email, ctx.event_time):
            return STALE
        named = _NOBODY.model_copy(update={"id": external_id, "email": email}, deep=True)
        customer = (
            upsert_embedded_customer(ws, ctx, None, email, ctx.event_time)
            if external_id is None
            else upsert_embedded_customer(ws, ctx, named, email, ctx.event_time)
        )
    ws.activities.append(
        {
            "store_id": ctx.store_id,
            "customer_uid": customer.uid if customer else None,
            "visitor_id": ctx.visitor_id,
            "email": email or (customer.email if customer else None),
            "type": event_type,
            "occurred_at": ctx.event_time,
            "properties": body,
            "raw_seq": ctx.seq,
        }
    )
    return APPLIED
