"""The customer as winback keeps it, and how its marketing status is derived."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

SUBSCRIBED = "subscribed"
UNSUBSCRIBED = "unsubscribed"
PENDING = "pending"
UNKNOWN = "unknown"

# The suppression type of a sign-up waiting for its double opt-in confirmation.
PENDING_OPT_IN = "pending_opt_in"
# The marker kind holding the time of an address's last consent change.
CONSENT = "consent"


@dataclass
class Customer:
    uid: str
    store_id: str
    version_at: datetime
    external_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    accepts_marketing: bool | None = None
    tags: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    orders_count: int = 0
    total_spent: Decimal = Decimal(0)
    average_order_value: Decimal | None = None
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None
    # The ``pos_id`` and ``sms_phone_number_e164`` profile fields, kept where they can
    # be looked up (see profile.py::LOOKUP_FIELDS); nothing else writes them.
    pos_id: str | None = None
    sms_phone_number: str | None = None


@dataclass
class OptIn:
    """A sign-up that asked for a double opt-in and is its address's latest consent
    change, with the latest unsubscribe and other subscribe of the address known
    before it: whether the address was unsubscribed when the sign-up was made."""

    store_id: str
    email: str
    asked_at: datetime
    unsubscribed: datetime | None = None
    subscribed: datetime | None = None


def marketing_status(accepts_marketing: bool | None, suppression_types: set[str]) -> str:
    """An explicit unsubscribe wins over any flag; pending opt-in comes next."""
    if "unsubscribed" in suppression_types:
        return UNSUBSCRIBED
    if "pending_opt_in" in suppression_types:
        return PENDING
    if accepts_marketing is True:
        return SUBSCRIBED
    if accepts_marketing is False:
        return UNSUBSCRIBED
    return UNKNOWN
