"""JSON shapes of the read API; field names follow the integration contract."""

from __future__ import annotations

from typing import Any

import orjson

from winback.carts.model import SENT_AT, Cart
from winback.catalog.model import Product
from winback.fields import format_money, iso_time, to_decimal
from winback.intake.body import holds_inexact_number, nested_deeper_than
from winback.orders.model import EVENT_AT, Order
from winback.outcomes import REJECTED
from winback.shoppers.model import Customer, marketing_status
from winback.shoppers.profile import profile_data
from winback.storage.timeline import ACTIVITY, CART, TimelineEntry
from winback.web.json_members import count_members, repeated_member


def customer_view(customer: Customer, suppression_types: list[str]) -> dict[str, Any]:
    computed = {
        "id": customer.external_id,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "accepts_marketing": customer.accepts_marketing,
        "marketing_status": marketing_status(customer.accepts_marketing, set(suppression_types)),
        "suppressions": suppression_types,
        "tags": customer.tags,
        "orders_count": customer.orders_count,
        "total_spent": format_money(customer.total_spent),
        "average_order_value": format_money(customer.average_order_value),
        "first_order_at": iso_time(customer.first_order_at),
        "last_order_at": iso_time(customer.last_order_at),
        "created_at": iso_time(customer.created_at),
        "updated_at": iso_time(customer.updated_at),
    }
    # The sender's other fields are shown too, but never in place of winback's own.
    extra = {name: value for name, value in profile_data(customer).items() if name not in computed}
    return computed | extra


def _line_view(line: dict[str, Any]) -> dict[str, Any]:
    view = dict(line)
    view.setdefault("product_id", None)
    view.setdefault("sku", None)
    view.setdefault("price", None)
    added_at = view.get("added_at")
    if isinstance(added_at, str) and added_at.endswith("Z"):
        # (kept as the payload's JSON wrote it; shown as every other time is)
        view["added_at"] = added_at[:-1] + "+00:00"
    return view


# Money fields kept in an order's or cart's ``data`` (the rest have columns of their own).
_DATA_MONEY = frozenset({"total_line_items_price", "total_discounts", "subtotal_price"})
# Shown as ``customer_id`` and ``email``, from the shopper as they are now: the buyer
# the event embedded may since have changed address, or been erased.
_DATA_HIDDEN = frozenset({"customer", SENT_AT, EVENT_AT})


def _money_text(value: Any) -> Any:
    try:
        return format_money(to_decimal(value))
    except ValueError:
        return value


def _sender_fields(data: dict[str, Any], shown: dict[str, Any]) -> dict[str, Any]:
    """The other fields the order or cart carried, never in place of the ones shown."""
    return {
        name: _money_text(value) if name in _DATA_MONEY and value is not None else value
        for name, value in data.items()
        if name not in shown and name not in _DATA_HIDDEN
    }


def order_view(order: Order, buyer: Customer | None) -> dict[str, Any]:
    shown = {
        "id": order.external_id,
        "name": order.name,
        "customer_id": buyer.external_id if buyer else None,
        "email": _buyer_email(order.email, buyer),
        "status": order.status,
        "financial_status": order.financial_status,
        "currency": order.currency,
        "subtotal_price": format_money(order.subtotal_price),
        "total_discounts": format_money(order.total_discounts),
        "total_tax": format_money(order.total_tax),
        "total_shipping": format_money(order.total_shipping),
        "total_price": format_money(order.total_price),
        "test": order.test,
        "discount_codes": order.discount_codes,
        "line_items": [_line_view(line) for line in order.line_items],
        "created_at": iso_time(order.created_at),
        "updated_at": iso_time(order.updated_at),
    }
    return shown | _sender_fields(order.data, shown)


def product_view(product: Product) -> dict[str, Any]:
    return {
        "id": product.external_id,
        "status": product.status,
        "title": product.title,
        "sku": product.sku,
        "url": product.url,
        "price": format_money(product.price),
        "sale_price": format_money(product.sale_price),
        "currency": product.currency,
        "availability": _availability(product),
        "vendor": product.vendor,
        "categories": product.categories,
        "images": product.images,
        "variants": product.variants,
        "tags": product.tags,
        "created_at": iso_time(product.created_at),
        "updated_at": iso_time(product.updated_at),
    }


def _availability(product: Product) -> str | None:
    # As the feed or the product event said it (a product made of variants: the best
    # of theirs); None when it was never said.
    said = product.data.get("availability")
    return said if isinstance(said, str) else None


def cart_view(cart: Cart, buyer: Customer | None) -> dict[str, Any]:
    shown = {
        "id": cart.external_id,
        "status": cart.status,
        "customer_id": buyer.external_id if buyer else None,
        "email": _buyer_email(cart.email, buyer),
        "currency": cart.currency,
        "total_price": format_money(cart.total_price),
        "abandoned_checkout_url": cart.abandoned_checkout_url,
        "line_items": [_line_view(line) for line in cart.line_items],
        "created_at": iso_time(cart.created_at),
        "updated_at": iso_time(cart.updated_at),
    }
    return shown | _sender_fields(cart.data, shown)


def suppression_view(row: Any) -> dict[str, Any]:
    return {
        "email": row.email,
        "type": row.type,
        "created_at": row.created_at.isoformat(),
        "reason": row.reason,
    }


def event_view(row: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "event_id": row.seq,
        "source": row.source,
        "event_type": row.event_type,
        "topic": row.topic,
        "received_at": iso_time(row.received_at),
        "event_time": iso_time(row.event_time),
        "outcome": row.outcome,
        "http_status": row.http_status,
        "reason": row.reason,
        "pointer": row.pointer,
        "headers": row.headers,
        "redacted_at": iso_time(row.redacted_at),
    }
    if row.outcome == REJECTED:
        view["body"] = _rejected_body(row.body)
    return view


# Deeper JSON is refused at the door but kept as it came; the response's own
# encoder stops at 254 levels, so such a body is shown as its text.
_SHOWN_DEPTH = 200


def _rejected_body(raw: bytes) -> Any:
    """A refused body as sent: as JSON where it is an object or array that reads back
    exactly as sent, else as its text (a JSON string keeps its quotes, a number too
    long for a double its digits, an object naming a member twice both values)."""
    text = raw.decode("utf-8", errors="replace")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return text
    if not isinstance(body, (dict, list)) or nested_deeper_than(body, _SHOWN_DEPTH):
        return text
    if holds_inexact_number(raw, body) or repeated_member(raw, count_members(body)) is not None:
        return text
    return body


def _buyer_email(own: str | None, buyer: Customer | None) -> str | None:
    """The address the order or cart itself gave, else its shopper's as it is now: taken
    when read, not when applied, so it never depends on which event arrived first and
    an erased address is gone from every order that only borrowed it."""
    return own or (buyer.email if buyer else None)


def timeline_view(entry: TimelineEntry, shopper: Customer) -> dict[str, Any]:
    """One entry of a shopper's timeline: an activity, a cart (as it is now) or an order."""
    view: dict[str, Any] = {"kind": entry.kind, "occurred_at": iso_time(entry.at)}
    if entry.kind == ACTIVITY:
        row = entry.item
        return view | {"type": row.type, "visitor_id": row.visitor_id, "data": row.properties}
    if entry.kind == CART:
        return view | {"type": "cart", "data": cart_view(entry.item, shopper)}
    return view | {"type": "order", "data": order_view(entry.item, shopper)}
