"""Event types: the contract's names, their past-tense aliases, and who may send them."""

from __future__ import annotations

from enum import StrEnum

# The longest event type taken (a custom one names its event, not a sentence).
MAX_EVENT_TYPE_LENGTH = 200


class Topic(StrEnum):
    CUSTOMER_CREATE = "customers/create"
    CUSTOMER_UPDATE = "customers/update"
    CUSTOMER_DELETE = "customers/delete"
    ORDER_CREATE = "orders/create"
    ORDER_UPDATE = "orders/update"
    ORDER_DELETE = "orders/delete"
    PRODUCT_CREATE = "products/create"
    PRODUCT_UPDATE = "products/update"
    PRODUCT_DELETE = "products/delete"
    CART_CREATE = "carts/create"
    CART_UPDATE = "carts/update"
    SUBSCRIBE = "newsletter/subscribe"
    UNSUBSCRIBE = "newsletter/unsubscribe"
    CUSTOM = "custom"


_ALIASES: dict[str, Topic] = {}
for _topic in Topic:
    if _topic is not Topic.CUSTOM:
        _ALIASES[_topic.value] = _topic
        _ALIASES[_topic.value + ("d" if _topic.value.endswith("e") else "ed")] = _topic

# Types a browser may send through the tracking collector. Everything that
# creates orders or products, or erases people, is for servers only.
BROWSER_TOPICS = frozenset(
    {Topic.CART_CREATE, Topic.CART_UPDATE, Topic.CUSTOMER_UPDATE, Topic.SUBSCRIBE, Topic.CUSTOM}
)


def topic_for(event_type: str) -> Topic:
    """The canonical topic of an ``x-event-type``; unknown types are custom events."""
    return _ALIASES.get(event_type.strip().lower(), Topic.CUSTOM)
