"""What became of a received event: the outcomes the integration log shows.

An event is ``pending`` from its 200 until the applier settles it as one of the
others. ``failed`` is an applier's error, kept so one broken event does not hold
the rest back.
"""

from __future__ import annotations

PENDING = "pending"
APPLIED = "applied"
DUPLICATE = "duplicate"
STALE = "stale"
REJECTED = "rejected"
FAILED = "failed"

OUTCOMES = (PENDING, APPLIED, DUPLICATE, STALE, REJECTED, FAILED)
