"""The visitor as winback keeps it: an anonymous browser and, once known, its shopper."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Visitor:
    """A browser, by the first-party cookie id the tracking script gave it."""

    store_id: str
    visitor_id: str
    first_seen_at: datetime
    last_seen_at: datetime
    customer_uid: str | None = None
    identified_at: datetime | None = None


@dataclass(frozen=True)
class VisitorClaim:
    """A visitor was identified: its events and carts that no one owns become the shopper's."""

    store_id: str
    visitor_id: str
    customer_uid: str
