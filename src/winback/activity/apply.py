"""Record a custom event against the shopper it names, if winback knows them."""

from __future__ import annotations

from typing import Any

from winback.apply.context import APPLIED, EventContext
from winback.shoppers.apply import find_customer
from winback.storage.workspace import Workspace


def _identity(body: dict[str, Any]) -> tuple[str | None, str | None]:
    customer = body.get("customer") if isinstance(body.get("customer"), dict) else {}
    assert isinstance(customer, dict)
    raw_id = body.get("customer_id", body.get("customerId", customer.get("id")))
    raw_email = body.get("email", customer.get("email"))
    external_id = str(raw_id) if isinstance(raw_id, (str, int)) and str(raw_id) else None
    email = raw_email.strip().lower() if isinstance(raw_email, str) and "@" in raw_email else None
    return external_id, email


def record_activity(ws: Workspace, ctx: EventContext, event_type: str, body: dict[str, Any]) -> str:
    """Custom events are kept whole; their properties later filter triggers and fill mail."""
    external_id, email = _identity(body)
    customer = (
        find_customer(ws, ctx.store_id, external_id, email) if (external_id or email) else None
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
