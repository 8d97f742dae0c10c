"""What an erasure leaves of a logged event about the erased person.

A ``customers/delete`` erases the person from the integration log too, not only
from the shoppers, orders and carts built from it. The log is also what a
replay rebuilds the store from, so an event about the person keeps exactly what
outlives the erasure when it is applied again before it:

- whatever names a person (the store's customer id, the email, the point-of-sale
  id and the phone number): replayed, the event must reach the same record, and
  later events must find it by them as they did;
- the sale of an order (its figures and lines) and the products its or a
  cart's lines describe;
- consent (``accepts_marketing``, a sign-up's double opt-in): an unsubscribe
  outlives the person on the suppression list.

Everything else is the person's details (names, addresses, notes, a custom
event's properties, fields a store added) and goes. Only an event whose data
went to a record the erasure erased is rewritten (``applied_to``, and the
erasure's own choice of which of its names are safe: see ``apply/redact.py``),
or one the erasure had already made stale when it arrived. Either way the
erasure wipes all the event wrote, so a replay ends where the store was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from winback.activity.apply import activity_identity
from winback.carts.payloads import CartPayload
from winback.intake.topics import Topic
from winback.orders.payloads import OrderPayload
from winback.shoppers.payloads import (
    CustomerDeletePayload,
    CustomerPayload,
    SubscribePayload,
    UnsubscribePayload,
)

Person = tuple[str | None, str | None]

_NAMES = frozenset({"id", "email", "pos_id", "sms_phone_number_e164"})
_CUSTOMER_KEPT = _NAMES | {"created_at", "updated_at", "accepts_marketing"}
_SALE_KEPT = frozenset(
    {
        "id",
        "created_at",
        "updated_at",
        "name",
        "status",
        "financial_status",
        "currency",
        "email",
        "customer",
        "line_items",
        "discount_codes",
        "subtotal_price",
        "total_discounts",
        "total_tax",
        "total_shipping",
        "total_price",
        "test",
    }
)
_CART_KEPT = frozenset(
    {
        "id",
        "created_at",
        "updated_at",
        "currency",
        "email",
        "customer",
        "accepts_marketing",
        "line_items",
        "discount_codes",
        "subtotal_price",
        "total_discounts",
        "total_price",
    }
)
_SIGN_UP_KEPT = frozenset({"email", "customerId", "sms_phone_number_e164", "double_optin_required"})
_ACTIVITY_KEPT = frozenset({"customer_id", "customerId", "email", "event_id", "customer"})

_KEPT: dict[Topic, frozenset[str]] = {
    Topic.CUSTOMER_CREATE: _CUSTOMER_KEPT,
    Topic.CUSTOMER_UPDATE: _CUSTOMER_KEPT,
    Topic.ORDER_CREATE: _SALE_KEPT,
    Topic.ORDER_UPDATE: _SALE_KEPT,
    Topic.CART_CREATE: _CART_KEPT,
    Topic.CART_UPDATE: _CART_KEPT,
    Topic.SUBSCRIBE: _SIGN_UP_KEPT,
    Topic.UNSUBSCRIBE: frozenset({"email"}),
    Topic.CUSTOMER_DELETE: frozenset({"id", "email"}),
    Topic.CUSTOM: _ACTIVITY_KEPT,
}

# Topics whose events may hold a person's details (a product's hold nobody's).
REDACTED_TOPICS = frozenset(_KEPT)


def people_named(topic: Topic, payload: BaseModel | None, body: dict[str, Any]) -> list[Person]:
    """The (id, email) pairs an event names, as its apply function looks them up."""
    if isinstance(payload, CustomerPayload):
        return [(payload.id, payload.email)]
    if isinstance(payload, (OrderPayload, CartPayload)):
        buyer_id = payload.customer.id if payload.customer else None
        buyer_email = payload.customer.email if payload.customer else None
        # The buyer is checked against erasures by the order's email and by its own.
        return [(buyer_id, payload.buyer_email), (buyer_id, buyer_email)]
    if isinstance(payload, SubscribePayload):
        return [(payload.customerId, payload.email)]
    if isinstance(payload, UnsubscribePayload):
        return [(None, payload.email)]
    if topic is Topic.CUSTOM:
        return [activity_identity(body)]
    return []


def applied_to(
    topic: Topic, payload: BaseModel | None, body: dict[str, Any]
) -> tuple[str, str] | None:
    """Who the event's data went to, as its apply function finds them: ``("id", id)``
    where it names a customer id (found first), else ``("email", address)``; None
    for an event that names nobody by either (found by a point-of-sale id or a
    phone number, if at all)."""
    if isinstance(payload, CustomerDeletePayload):
        external_id, email = payload.id, payload.email
    elif isinstance(payload, (OrderPayload, CartPayload)):
        buyer = payload.customer
        external_id = buyer.id if buyer else None
        email = (buyer.email if buyer else None) or payload.email
    elif isinstance(payload, SubscribePayload):
        external_id, email = payload.customerId, payload.email
    else:
        named = people_named(topic, payload, body)
        external_id, email = named[0] if named else (None, None)
    if external_id:
        return "id", external_id
    return ("email", email) if email else None


def version_of(payload: BaseModel | None, event_time: datetime) -> datetime:
    """The time an event's data is of, as its apply function takes it: a customer's,
    order's or cart's ``updated_at`` where it has one, else the event's time. An
    erasure wipes what is of its time or older, so only such an event is rewritten."""
    updated_at = getattr(payload, "updated_at", None)
    return updated_at if isinstance(updated_at, datetime) else event_time


def redacted(topic: Topic, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with only what outlives an erasure of the person it names."""
    kept = _KEPT.get(topic)
    if kept is None:
        return body
    left = {name: value for name, value in body.items() if name in kept}
    customer = left.get("customer")
    if isinstance(customer, dict):
        left["customer"] = {k: v for k, v in customer.items() if k in _CUSTOMER_KEPT}
    return left
