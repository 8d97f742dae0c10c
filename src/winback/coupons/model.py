"""A coupon code as winback recorded it: for whom, from which rule, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from winback.fields import iso_time

# Recorded before the store is called, so a crash mid-call still leaves a trace;
# a pending code is never put into a message.
PENDING = "pending"
CREATED = "created"
FAILED = "failed"
USED = "used"
STATUSES = (PENDING, CREATED, FAILED, USED)


@dataclass(frozen=True)
class Coupon:
    id: int
    store_id: str
    code: str
    rule_id: str
    email: str | None
    expires_at: datetime | None
    issued_at: datetime
    status: str
    error: str | None
    attempts: int
    used_at: datetime | None
    used_order_id: str | None

    @property
    def can_be_sent(self) -> bool:
        """Only a code the store confirmed may go into a message."""
        return self.status == CREATED

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "rule_id": self.rule_id,
            "email": self.email,
            "expires_at": iso_time(self.expires_at),
            "issued_at": self.issued_at.isoformat(),
            "status": self.status,
            "error": self.error,
            "attempts": self.attempts,
            "used_at": iso_time(self.used_at),
            "used_order_id": self.used_order_id,
        }
