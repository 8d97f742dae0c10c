"""Payloads the intake has checked, handed to the applier of the same process.

The intake parses and validates every delivery before it stores it; the
applier would otherwise parse and validate the same bytes again when it reads
them back from the raw log, about a tenth of its work per event. When both run
in one process, the raw log's writer hands each stored event's checked payload
over by its sequence number, and the applier takes it from there. What it
does not find (an event stored by another process, or one waiting so long in a
backlog that it was let go) it parses from the raw log as before: the raw log
stays the one source of truth.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

# Events held for the applier: at a few KB each in objects, some tens of MB at most.
CAPACITY = 4096


@dataclass(frozen=True, slots=True)
class CheckedEvent:
    """A delivery's body as parsed, and its payload as validated (None: a custom event)."""

    body: dict[str, Any]
    payload: BaseModel | None


class CheckedEvents:
    """Checked events by sequence number, the oldest let go beyond ``capacity``."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._held: OrderedDict[int, CheckedEvent] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, seq: int, checked: CheckedEvent) -> None:
        with self._lock:
            self._held[seq] = checked
            if len(self._held) > self._capacity:
                self._held.popitem(last=False)

    def take(self, seq: int) -> CheckedEvent | None:
        with self._lock:
            return self._held.pop(seq, None)

    def __len__(self) -> int:
        return len(self._held)
