"""One record to apply, whatever it came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from winback.apply.context import Payload
from winback.intake.topics import Topic


@dataclass(frozen=True)
class ApplyItem:
    """One record to apply, whether it came from the raw log, a feed or a CSV file."""

    store_id: str
    topic: Topic
    event_type: str
    payload: Payload | None
    body: dict[str, Any]
    event_time: datetime
    source: str
    seq: int | None = None
    digest: str | None = None
    visitor_id: str | None = None
