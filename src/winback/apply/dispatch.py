"""Which apply function each topic goes to: the one way in for each kind of data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from winback.activity.apply import record_activity
from winback.apply.context import EventContext, Payload
from winback.carts.apply import apply_cart
from winback.catalog.apply import apply_product, apply_product_delete
from winback.intake.topics import Topic
from winback.orders.apply import apply_new_order, apply_order, apply_order_delete
from winback.shoppers.apply import apply_customer
from winback.shoppers.consent import apply_subscribe, apply_unsubscribe
from winback.shoppers.erasure import apply_customer_delete
from winback.storage.workspace import Workspace
from winback.tracking.apply import apply_visitor_event

ApplyFunction = Callable[[Workspace, EventContext, Any], str]

APPLY_FUNCTIONS: dict[Topic, ApplyFunction] = {
    Topic.CUSTOMER_CREATE: apply_customer,
    Topic.CUSTOMER_UPDATE: apply_customer,
    Topic.CUSTOMER_DELETE: apply_customer_delete,
    Topic.ORDER_CREATE: apply_new_order,
    Topic.ORDER_UPDATE: apply_order,
    Topic.ORDER_DELETE: apply_order_delete,
    Topic.PRODUCT_CREATE: apply_product,
    Topic.PRODUCT_UPDATE: apply_product,
    Topic.PRODUCT_DELETE: apply_product_delete,
    Topic.CART_CREATE: apply_cart,
    Topic.CART_UPDATE: apply_cart,
    Topic.SUBSCRIBE: apply_subscribe,
    Topic.UNSUBSCRIBE: apply_unsubscribe,
}


def apply_payload(
    ws: Workspace,
    ctx: EventContext,
    topic: Topic,
    event_type: str,
    payload: Payload | None,
    body: dict[str, Any],
) -> str:
    """Apply one parsed event and return its outcome (applied or stale).

    An event of a browser visitor also goes through the visitor's bookkeeping
    (who it is, and the join to the shopper), which applies it by its topic.
    """
    if ctx.visitor_id is not None:
        return apply_visitor_event(ws, ctx, topic, event_type, payload, body, apply_topic)
    return apply_topic(ws, ctx, topic, event_type, payload, body)


def apply_topic(
    ws: Workspace,
    ctx: EventContext,
    topic: Topic,
    event_type: str,
    payload: Payload | None,
    body: dict[str, Any],
) -> str:
    """Apply one parsed event with its topic's apply function."""
    if topic is Topic.CUSTOM or payload is None:
        return record_activity(ws, ctx, event_type, body)
    return APPLY_FUNCTIONS[topic](ws, ctx, payload)
