"""What an apply function knows about the event it applies, and what it can answer."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from winback.catalog.description import ProductDescription

# Entities winback creates on its own (a customer met in an order, a product met
# in a line item) start at the beginning of time, so that any real event about
# them, however old, is newer and wins.
IMPLIED_VERSION = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(at: datetime) -> int:
    """A time as whole microseconds since 1970, as the records' data keep times."""
    return (at - IMPLIED_VERSION) // _MICROSECOND


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
    """A random 128-bit id as 32 hex digits (what ``uuid4().hex`` gives).

    Ids are made by the hundred thousand in an import, where a system call for each
    one's 16 random bytes showed in the profile: each thread draws them from the
    kernel a few hundred at a time instead.
    """
    pool: list[str] | None = getattr(_random_ids, "pool", None)
    if not pool:
        block = os.urandom(16 * _IDS_PER_DRAW).hex()
        pool = _random_ids.pool = [block[at : at + 32] for at in range(0, len(block), 32)]
    return pool.pop()


_IDS_PER_DRAW = 256
_random_ids = threading.local()


def _forget_drawn_ids() -> None:
    # A forked child would otherwise hand out the same ids as its parent.
    global _random_ids
    _random_ids = threading.local()


os.register_at_fork(after_in_child=_forget_drawn_ids)
