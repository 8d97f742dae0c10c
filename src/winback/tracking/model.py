"""The visitor as winback keeps it: an anonymous browser and, once known, its shopper."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The longest visitor id kept (the tracking script's are 8 to 64 characters).
MAX_VISITOR_ID_LENGTH = 64


def linkable_visitor_id(header: str | None) -> str | None:
    """The browser a server event names with ``x-visitor-id``, if it can be one.

    A header that cannot be a visitor id links the event to no browser; it is never
    a reason to refuse the event (headers a sender adds are not).
    """
    if header is None or not header.strip() or len(header) > MAX_VISITOR_ID_LENGTH:
        return None
    return header


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
