"""Record a custom event against the shopper it names."""

from __future__ import annotations

from typing import Any

from winback.apply.context import APPLIED, STALE, EventContext
from winback.shoppers.apply import deleted_since, upsert_embedded_customer
from winback.shoppers.payloads import EmbeddedCustomer
from winback.storage.workspace import Workspace

# Copied rather than built with ``model_construct``, which costs about seven times
# as much (it resolves every field's default on each call).
_NOBODY = EmbeddedCustomer.model_construct()


def activity_identity(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The shopper a custom event names: its customer id and email, either may be None."""
    nested = body.get("customer")
    customer: dict[str, Any] = nested if isinstance(nested, dict) else {}
    raw_id = body.get("customer_id", body.get("customerId", customer.get("id")))
    raw_email = body.get("email", customer.get("email"))
    external_id = str(raw_id) if isinstance(raw_id, (str, int)) and str(raw_id) else None
    email = raw_email.strip().lower() if isinstance(raw_email, str) and "@" in raw_email else None
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
