"""Webhook deliveries as the intake stores them, for tests that feed the applier directly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from winback.intake.rawlog import RawEvent, event_digest
from winback.intake.topics import Topic, topic_for


def webhook_event(
    store_id: str, event_type: str, body: dict[str, Any], *, at: datetime | None = None
) -> RawEvent:
    """``body`` delivered as ``event_type``; ``at`` is sent as its ``x-event-time``."""
    topic = topic_for(event_type)
    time_header = str(at.timestamp()) if at is not None else None
    received_at = datetime.now(UTC)
    return RawEvent(
        store_id=store_id,
        source="webhook",
        event_type=event_type,
        topic=topic.value,
        received_at=received_at,
        event_time=at or received_at,
        headers={"x-event-time": time_header} if time_header is not None else {},
        body=orjson.dumps(body),
        # A custom event's digest is taken under its own name, as the intake does.
        digest=event_digest(
            event_type if topic is Topic.CUSTOM else topic.value, time_header, body
        ),
    )
