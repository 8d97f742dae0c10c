"""The order as winback keeps it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

# In an order's data: the time of the event its version came from, in microseconds.
# Of two versions of one time, the later event's stands, whichever arrives first.
EVENT_AT = "_event_at"


@dataclass
class Order:
    uid: str
    store_id: str
    external_id: str
    created_at: datetime
    version_at: datetime
    total_price: Decimal
    customer_uid: str | None = None
    email: str | None = None
    name: str | None = None
    status: str | None = None
    financial_status: str | None = None
    currency: str | None = None
    subtotal_price: Decimal | None = None
    total_discounts: Decimal | None = None
    total_tax: Decimal | None = None
    total_shipping: Decimal | None = None
    test: bool = False
    discount_codes: list[dict[str, Any]] = field(default_factory=list)
    line_items: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
