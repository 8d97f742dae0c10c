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
# In a cart's data: the fields kept until a version sends them again (the restore
# link, the token) -> the version each value came from, in microseconds, so that an
# older version arriving late fills in only what no newer one sent.
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
