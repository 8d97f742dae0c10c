"""What an apply function knows about the event it applies, and what it can answer."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel

from winback.catalog.description import ProductDescription

APPLIED = "applied"
STALE = "stale"
DUPLICATE = "duplicate"
REJECTED = "rejected"
FAILED = "failed"

# Entities winback creates on its own (a customer met in an order, a product met
# in a line item) start at the beginning of time, so that any real event about
# them, however old, is newer and wins.
IMPLIED_VERSION = datetime(1970, 1, 1, tzinfo=UTC)

# What an apply function receives: a checked payload, or a product description built
# from one ahead of time (a feed's, see ``catalog.description``).
Payload = BaseModel | ProductDescription


@dataclass(frozen=True)
class EventContext:
    store_id: str
    store_currency: str
    double_opt_in: bool
    event_time: datetime
    seq: int | None = None
    source: str = "webhook"
    visitor_id: str | None = None


def new_uid() -> str:
    """A random 128-bit id as 32 hex digits (what ``uuid4().hex`` gives, without building
    a UUID: ids are made by the hundred thousand in an import)."""
    return os.urandom(16).hex()
