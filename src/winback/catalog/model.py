"""The product as winback keeps it, and what its status means."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

ACTIVE = "active"  # for sale, recommendable
UNAVAILABLE = (
    "unavailable"  # known from the store, not for sale (or deleted, or gone from the feed)
)
DISABLED = "disabled"  # known only from an order or cart line: never recommended

SOURCE_WEBHOOK = "webhook"
SOURCE_FEED = "feed"
SOURCE_LINE_ITEM = "line_item"


@dataclass
class Product:
    uid: str
    store_id: str
    external_id: str
    status: str
    source: str
    version_at: datetime
    sku: str | None = None
    title: str | None = None
    url: str | None = None
    price: Decimal | None = None
    sale_price: Decimal | None = None
    currency: str | None = None
    vendor: str | None = None
    categories: list[dict[str, Any]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    variants: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    content_digest: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
