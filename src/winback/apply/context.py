"""What an apply function knows about the event it applies, and what it can answer."""

from __future__ import annotations

import os
import threading
import time
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
    """A 128-bit id as 32 hex digits, laid out as a UUIDv7: the time in milliseconds,
    then 74 random bits (with the version and variant digits between them).

    Every table is keyed by these ids, and so is an index of each. Random ids put
    each new row on a random page of those indexes, and a batch wrote, then
    committed, most of their pages; ids that grow with time put it beside the last
    one. Written that way, an import's orders and line items took about half as long
    to store (see docs/benchmarks.md). The random part is drawn from the kernel a
    few hundred ids at a time: a system call for each showed in the profile.
    """
    pool: list[str] | None = getattr(_random_ids, "pool", None)
    if not pool:
        block = os.urandom(_RANDOM_DIGITS // 2 * _IDS_PER_DRAW).hex()
        pool = _random_ids.pool = [
            block[at : at + _RANDOM_DIGITS] for at in range(0, len(block), _RANDOM_DIGITS)
        ]
    random = pool.pop()
    millis = time.time_ns() // 1_000_000
    # Version 7, then the variant's two bits (10) over two random ones: 8, 9, a or b.
    variant = _VARIANT_DIGITS[int(random[3], 16) & 3]
    return f"{millis & _MILLIS_MASK:012x}7{random[:3]}{variant}{random[4:19]}"


_RANDOM_DIGITS = 20  # 19 hex digits are used: 3 after the version, 1 for the variant, 15
_VARIANT_DIGITS = "89ab"
_MILLIS_MASK = (1 << 48) - 1
_IDS_PER_DRAW = 256
_random_ids = threading.local()


def _forget_drawn_ids() -> None:
    # A forked child would otherwise hand out the same ids as its parent.
    global _random_ids
    _random_ids = threading.local()


os.register_at_fork(after_in_child=_forget_drawn_ids)
