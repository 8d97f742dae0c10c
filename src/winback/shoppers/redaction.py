"""What an erasure leaves of a logged event about the erased person.

A ``customers/delete`` erases the person from the integration log too, not only
from the shoppers, orders and carts built from it. The log is also what a
replay rebuilds the store from, so an event about the person keeps exactly what
outlives the erasure when it is applied again before it:

- who it names (the store's customer id and the email: the erasure event itself
  names the person by them, and the tombstone is keyed by them);
- the sale of an order (its figures and lines) and the products its or a
  cart's lines describe;
- consent (``accepts_marketing``, a sign-up's double opt-in): an unsubscribe
  outlives the person on the suppression list.

Everything else is the person's details (names, addresses, phone numbers, notes,
a custom event's properties, fields a store added) and goes. An event the
erasure already wipes from the stored state has nothing of it kept, so a replay
ends where the store was before it.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from winback.activity.apply import activity_identity
from winback.carts.payloads import CartPayload
from winback.intake.topics import Topic
from winback.orders.payloads import OrderPayload
from winback.shoppers.payloads import CustomerPayload, SubscribePayload, UnsubscribePayload

Person = tuple[str | None, str | None]

_CUSTOMER_KEPT = frozenset({"id", "email", "created_at", "updated_at", "accepts_marketing"})
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
_SIGN_UP_KEPT = frozenset({"email", "customerId", "double_optin_required"})
_ACTIVITY_KEPT = frozenset({"customer_id", "customerId", "email", "event_id", "customer"})

_KEPT: dict[Topic, frozenset[str]] = {
    Topic.CUSTOMER_CREATE: _CUSTOMER_KEPT,
    Topic.CUSTOMER_UPDATE: _CUSTOMER_KEPT,
    Topic.ORDER_CREATE: _SALE_KEPT,
    Topic.ORDER_UPDATE: _SALE_KEPT,
    Topic.CART_CREATE: _CART_KEPT,
    Topic.CART_UPDATE: _CART_KEPT,
    Topic.SUBSCRIBE: _SIGN_UP_KEPT,
    Topic.CUSTOM: _ACTIVITY_KEPT,
}

# Topics whose events may hold a person's details. An unsubscribe holds only the
# address, a deletion only who it deletes, and products nobody's.
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


def names_any(people: list[Person], ids: AbstractSet[str], emails: AbstractSet[str]) -> bool:
    return any(
        (external_id is not None and external_id in ids) or (email is not None and email in emails)
        for external_id, email in people
    )


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
