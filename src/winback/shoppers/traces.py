"""What an erasure takes from the orders, carts and browsers a batch holds.

The flush erases the stored rows (``storage.flush._erase``) once the whole batch is
worked out; the batch's later events read the rows it holds before then. Taken from
them at once, as the flush would take them from the rows, those events see what
they would have seen had the erasure been flushed in a batch of its own, so the
state a store ends in does not depend on how its events were batched. The carts
that outlive an erasure, stored ones included, are read to be held: what was
bought of them is decided again from the purchases it left.
"""

from __future__ import annotations

from datetime import datetime

from winback.apply.context import micros
from winback.carts.model import CART_ERASED, CONVERTED, OPEN, forget_sent_until
from winback.shoppers.model import Customer
from winback.shoppers.profile import bought_since
from winback.storage.workspace import Workspace


def erase_held_traces(
    ws: Workspace, store_id: str, customer_uid: str, email: str | None, at: datetime
) -> None:
    """Erase, in what ``ws`` holds, the traces up to ``at`` of the customer ``customer_uid``
    (who had ``email`` then): carts and activity go, orders keep the sale but lose the
    person, and browsers become anonymous again."""
    _anonymize_orders(ws, store_id, customer_uid, email, at)
    _remove_carts(ws, store_id, customer_uid, at)
    _unlink_visitors(ws, store_id, customer_uid, at)
    ws.activities[:] = [
        activity
        for activity in ws.activities
        if activity["customer_uid"] != customer_uid
        or activity["store_id"] != store_id
        or activity["occurred_at"] > at
    ]


def _anonymize_orders(
    ws: Workspace, store_id: str, customer_uid: str, email: str | None, at: datetime
) -> None:
    for order in ws.orders.values():
        if order is None or order.store_id != store_id or order.version_at > at:
            continue
        # (a guest order that gave the address is the person's too)
        if order.customer_uid == customer_uid or (
            email is not None and order.customer_uid is None and order.email == email
        ):
            order.customer_uid, order.email, order.data = None, None, {}
            ws.touch(order)


def erase_address_on_orders(ws: Workspace, store_id: str, email: str, at: datetime) -> None:
    """An erased address given at checkout leaves the orders (up to ``at``) that
    gave it, whoever bought them; the flush does the same to those stored."""
    for order in ws.orders.values():
        if order is None or (order.store_id, order.email) != (store_id, email):
            continue
        if order.version_at <= at:
            order.email = None
            ws.touch(order)
    ws.addresses_erased.append((store_id, email, at))


def _remove_carts(ws: Workspace, store_id: str, customer_uid: str, at: datetime) -> None:
    erased = [
        cart
        for cart in ws.carts.values()
        if cart is not None
        and cart.store_id == store_id
        and cart.customer_uid == customer_uid
        and cart.version_at <= at
    ]
    for cart in erased:
        ws.remove_cart(cart)
        # As the flush marks a stored cart it erases: an older version of it,
        # arriving late, does not bring it back.
        ws.set_marker(store_id, CART_ERASED, cart.external_id, cart.version_at)


def _unlink_visitors(ws: Workspace, store_id: str, customer_uid: str, at: datetime) -> None:
    for visitor in ws.visitors.values():
        if (
            visitor is not None
            and visitor.store_id == store_id
            and visitor.customer_uid == customer_uid
            and visitor.identified_at is not None
            and visitor.identified_at <= at
        ):
            visitor.customer_uid, visitor.identified_at = None, None
            ws.touch(visitor)


def settle_surviving_carts(ws: Workspace, customer: Customer, at: datetime) -> None:
    """The customer's carts that outlive an erasure as of ``at`` (newer versions) keep
    nothing from before it: not a restore link or token sent up to then, and not a
    purchase it took. One bought by an order the erasure took (its version up to
    then, placed after the cart) bought nothing, as had it been erased first."""
    store_id = customer.store_id
    erased_at = micros(at)
    for cart in ws.carts_since(store_id, customer.uid, at):
        if forget_sent_until(cart, erased_at, micros(cart.version_at)):
            ws.touch(cart)
        if cart.status != CONVERTED or bought_since(customer, cart.version_at):
            continue
        if not ws.has_order_since(store_id, customer.uid, cart.version_at):
            cart.status = OPEN
            ws.touch_columns(cart, "status")
