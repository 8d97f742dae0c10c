"""The cart as winback keeps it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

OPEN = "open"
CONVERTED = "converted"
# Marker kind: a cart erased with its shopper, as of its last version then.
CART_ERASED = "cart_erased"
# The link that restores the cart and its token come from the latest version that
# sent them: an update of the contents alone (a quantity changed) keeps them.
KEPT_UNTIL_SENT = ("abandoned_checkout_url", "cart_token")
# In a cart's data: each of those fields -> the version its value came from, in
# microseconds, so that an older version arriving late fills in only what no newer
# one sent, and an erasure takes what was sent before it.
SENT_AT = "_sent_at"


@dataclass
class Cart:
    uid: str
    store_id: str
    external_id: str
    status: str
    version_at: datetime
    customer_uid: str | None = None
    visitor_id: str | None = None
    email: str | None = None
    currency: str | None = None
    total_price: Decimal | None = None
    abandoned_checkout_url: str | None = None
    line_items: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


def kept_value(cart: Cart, name: str) -> Any:
    """The value of one of ``KEPT_UNTIL_SENT``."""
    return cart.abandoned_checkout_url if name == "abandoned_checkout_url" else cart.data.get(name)


def keep(cart: Cart, name: str, value: Any, sent_at: int) -> None:
    """Set one of ``KEPT_UNTIL_SENT``, as sent by the version of ``sent_at``."""
    if name == "abandoned_checkout_url":
        cart.abandoned_checkout_url = value
    else:
        cart.data[name] = value
    cart.data.setdefault(SENT_AT, {})[name] = sent_at


def sent_times(cart: Cart, version_micros: int) -> dict[str, int]:
    """When each kept field that has a value was sent; one stored before these times
    were kept came with the cart's version (``version_micros``) at the latest."""
    recorded = cart.data.get(SENT_AT, {})
    return {
        name: recorded.get(name, version_micros)
        for name in KEPT_UNTIL_SENT
        if kept_value(cart, name) is not None
    }


def forget_sent_until(cart: Cart, at_micros: int, version_micros: int) -> bool:
    """Drop the kept fields sent at or before ``at_micros`` (an erasure of the
    shopper then); whether any went."""
    gone = [name for name, sent in sent_times(cart, version_micros).items() if sent <= at_micros]
    for name in gone:
        if name == "abandoned_checkout_url":
            cart.abandoned_checkout_url = None
        else:
            cart.data.pop(name, None)
        cart.data.get(SENT_AT, {}).pop(name, None)
    return bool(gone)
