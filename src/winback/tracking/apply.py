"""Visitors: an anonymous browser's events, and the join to the shopper once known.

Every event that carries a visitor id (the tracking script's, or a server event
sent with ``x-visitor-id``) goes through here around its own apply function:
the visitor is recorded; once it is identified, its new events and carts go
straight to its shopper; and an identification (``identify``, or a cart that
names its buyer) claims the visitor's earlier anonymous events and carts.
A claim takes only what no one owns yet, so applying the same events again,
or replaying the log, ends the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from winback.apply.context import EventContext, Payload
from winback.carts.payloads import CartPayload
from winback.intake.topics import Topic
from winback.outcomes import APPLIED, STALE
from winback.shoppers.apply import upsert_embedded_customer
from winback.shoppers.erasure import deleted_since
from winback.storage.workspace import Workspace
from winback.tracking.events import BROWSER, IDENTIFY
from winback.tracking.model import Visitor, VisitorClaim
from winback.tracking.payloads import identify_payload

ApplyTopic = Callable[[Workspace, EventContext, Topic, str, Payload | None, dict[str, Any]], str]


def apply_visitor_event(
    ws: Workspace,
    ctx: EventContext,
    topic: Topic,
    event_type: str,
    payload: Payload | None,
    body: dict[str, Any],
    apply_topic: ApplyTopic,
) -> str:
    """Apply an event of a visitor with ``apply_topic``, then attach it to the visitor's shopper."""
    assert ctx.visitor_id is not None
    visitor = see_visitor(ws, ctx.store_id, ctx.visitor_id, ctx.event_time)
    if ctx.source == BROWSER and event_type == IDENTIFY:
        return identify_visitor(ws, ctx, visitor, body)
    recorded = len(ws.activities)
    outcome = apply_topic(ws, ctx, topic, event_type, payload, body)
    if isinstance(payload, CartPayload) and outcome == APPLIED:
        join_cart(ws, ctx, visitor, payload.id)
    if visitor.customer_uid is not None:
        for activity in ws.activities[recorded:]:
            if activity["customer_uid"] is None:
                activity["customer_uid"] = visitor.customer_uid
    return outcome


def see_visitor(ws: Workspace, store_id: str, visitor_id: str, at: datetime) -> Visitor:
    """The visitor, created at its first event; first and last seen follow event times."""
    visitor = ws.visitor(store_id, visitor_id)
    if visitor is None:
        visitor = Visitor(store_id, visitor_id, first_seen_at=at, last_seen_at=at)
        ws.add(visitor)
    elif at < visitor.first_seen_at or at > visitor.last_seen_at:
        visitor.first_seen_at = min(visitor.first_seen_at, at)
        visitor.last_seen_at = max(visitor.last_seen_at, at)
        ws.touch(visitor)
    return visitor


def identify_visitor(
    ws: Workspace, ctx: EventContext, visitor: Visitor, body: dict[str, Any]
) -> str:
    """setCustomer, setCustomerEmail, setCustomerId: the visitor is this shopper.

    The shopper is created if new (an object also fills their profile, below
    what the store's server says), and the visitor's anonymous past is theirs.
    """
    named = identify_payload(body)
    if deleted_since(ws, ctx.store_id, named.id, named.email, ctx.event_time):
        return STALE
    customer = upsert_embedded_customer(ws, ctx, named, named.email, ctx.event_time)
    if customer is None:
        return STALE
    if not link_visitor(ws, visitor, customer.uid, ctx.event_time):
        # Pages of a logged-in shopper identify them on every view: not news.
        return APPLIED
    ws.activities.append(
        {
            "store_id": ctx.store_id,
            "customer_uid": customer.uid,
            "visitor_id": visitor.visitor_id,
            "email": customer.email,
            "type": IDENTIFY,
            "occurred_at": ctx.event_time,
            "properties": body,
            "raw_seq": ctx.seq,
        }
    )
    return APPLIED


def link_visitor(ws: Workspace, visitor: Visitor, customer_uid: str, at: datetime) -> bool:
    """Make the visitor the shopper's, unless a newer identification says otherwise.

    Returns whether the visitor changed hands.
    """
    if visitor.customer_uid == customer_uid:
        return False
    if visitor.identified_at is not None and visitor.identified_at > at:
        return False
    visitor.customer_uid = customer_uid
    visitor.identified_at = at
    ws.touch(visitor)
    ws.visitor_claims.append(VisitorClaim(visitor.store_id, visitor.visitor_id, customer_uid))
    return True


def join_cart(ws: Workspace, ctx: EventContext, visitor: Visitor, cart_id: str) -> None:
    """A cart that names its buyer identifies the visitor; an anonymous cart of an
    identified visitor is their shopper's."""
    cart = ws.cart(ctx.store_id, cart_id)
    if cart is None:
        return
    if cart.customer_uid is not None:
        link_visitor(ws, visitor, cart.customer_uid, ctx.event_time)
    elif visitor.customer_uid is not None:
        cart.customer_uid = visitor.customer_uid  # (its address is read from the shopper)
        ws.touch(cart)
