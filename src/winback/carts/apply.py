"""Apply cart events: the same id is the same cart, and an update replaces its contents."""

from __future__ import annotations

from datetime import datetime

from winback.apply.context import EventContext, micros, new_uid
from winback.carts.model import (
    CART_ERASED,
    CONVERTED,
    KEPT_UNTIL_SENT,
    OPEN,
    Cart,
    keep,
    kept_value,
    sent_times,
)
from winback.carts.payloads import CartPayload
from winback.catalog.apply import ensure_line_product
from winback.fields import sender_fields
from winback.orders.apply import line_record
from winback.outcomes import APPLIED, STALE
from winback.shoppers.apply import upsert_embedded_customer
from winback.shoppers.erasure import deleted_since
from winback.shoppers.model import Customer
from winback.shoppers.profile import IMPLIED, bought_since, set_field
from winback.storage.workspace import Workspace

_CART_DATA_EXCLUDE = {"line_items", "customer", "abandoned_checkout_url"}


def apply_cart(ws: Workspace, ctx: EventContext, payload: CartPayload) -> str:
    # updated_at is what abandoned-cart timing is measured from, so it is the version.
    version = payload.updated_at or ctx.event_time
    currency = payload.currency_in(ctx.store_currency)
    for line in payload.line_items:
        ensure_line_product(ws, ctx, line, currency, version)
    if deleted_since(ws, ctx.store_id, payload.buyer_id, payload.buyers_own_email, version):
        # The shopper was erased after this cart: it goes with the rest of their data.
        _erase_cart_as_of(ws, ctx.store_id, payload.id, version)
        return STALE
    buyer = upsert_embedded_customer(ws, ctx, payload.customer, payload.buyer_email, version)
    if buyer is not None and payload.accepts_marketing is not None:
        set_field(buyer, "accepts_marketing", payload.accepts_marketing, IMPLIED, version)
    # Products and buyer are facts even of a version older than the cart's erasure
    # (it went with a later shopper): written first, so delivery order cannot matter.
    erased_at = ws.marker(ctx.store_id, CART_ERASED, payload.id)
    if erased_at is not None and erased_at >= version:
        return STALE
    cart = ws.cart(ctx.store_id, payload.id)
    if cart is not None and cart.version_at > version:
        if _fill_in(cart, payload, version):
            ws.touch(cart)
        return STALE
    cart = _held_cart(ws, ctx, payload.id, cart, version)
    _write_cart(cart, ctx, payload, currency, version, buyer)
    cart.status = CONVERTED if _bought_since(ws, cart, version) else OPEN
    return APPLIED


def _held_cart(
    ws: Workspace, ctx: EventContext, cart_id: str, cart: Cart | None, version: datetime
) -> Cart:
    """The stored cart, marked for writing, or a new one."""
    if cart is not None:
        ws.touch(cart)
        return cart
    cart = Cart(
        uid=new_uid(), store_id=ctx.store_id, external_id=cart_id, status=OPEN, version_at=version
    )
    ws.add(cart)
    return cart


def _write_cart(
    cart: Cart,
    ctx: EventContext,
    payload: CartPayload,
    currency: str,
    version: datetime,
    buyer: Customer | None,
) -> None:
    """This version of the cart replaces the stored one; the link and token it does not
    send are kept from the version that last sent them."""
    stored_sent = sent_times(cart, micros(cart.version_at))
    cart.version_at = version
    cart.customer_uid = buyer.uid if buyer else cart.customer_uid
    cart.visitor_id = ctx.visitor_id or cart.visitor_id
    # As for orders, an address borrowed from the shopper is read from the shopper.
    cart.email = payload.buyer_email or (None if cart.customer_uid else cart.email)
    cart.currency = currency
    cart.total_price = payload.computed_total()
    cart.line_items = [line_record(line) for line in payload.line_items]
    cart.created_at = payload.created_at or cart.created_at
    cart.updated_at = payload.updated_at or ctx.event_time
    kept = {name: (kept_value(cart, name), sent) for name, sent in stored_sent.items()}
    sent = payload.model_dump(mode="json", exclude=_CART_DATA_EXCLUDE, exclude_none=True)
    cart.data = sender_fields(sent)
    cart.abandoned_checkout_url = None
    for name, (value, sent_at) in kept.items():
        keep(cart, name, value, sent_at)
    _fill_in(cart, payload, version)


def _bought_since(ws: Workspace, cart: Cart, version: datetime) -> bool:
    """An order placed after this version of the cart already bought it, even if the
    order arrived first, and even if it has since gone or passed to someone else."""
    if cart.customer_uid is None:
        return False
    shopper = ws.customers.get(cart.customer_uid)
    if shopper is not None and bought_since(shopper, version):
        return True
    return ws.has_order_since(cart.store_id, cart.customer_uid, version)


def _erase_cart_as_of(ws: Workspace, store_id: str, cart_id: str, version: datetime) -> None:
    """This version of the cart was an erased shopper's: it, and anything older, is gone."""
    cart = ws.cart(store_id, cart_id)
    if cart is not None and cart.version_at > version:
        return
    if cart is not None:
        ws.remove_cart(cart)
    erased_at = ws.marker(store_id, CART_ERASED, cart_id)
    if erased_at is None or erased_at < version:
        ws.set_marker(store_id, CART_ERASED, cart_id, version)


def _fill_in(cart: Cart, payload: CartPayload, version: datetime) -> bool:
    """Take each kept field this version sent, unless a newer version sent it; whether
    any was taken."""
    sent_at = micros(version)
    stored_sent = sent_times(cart, micros(cart.version_at))
    taken = False
    for name in KEPT_UNTIL_SENT:
        value = getattr(payload, name)
        if value is not None and stored_sent.get(name, -1) <= sent_at:
            keep(cart, name, value, sent_at)
            taken = True
    return taken
