"""The outbox: `send()` stores an event durably, background threads deliver it to winback.

An event is written to SQLite before `send()` returns, so a crash or a restart
loses nothing: pending rows are picked up again by the next `Outbox` on the same
file. Delivery may repeat an event (winback dedupes) but never drops one silently:
an event leaves the outbox only delivered, parked as `failed`, or `given_up` after
the retry horizon, and the last two are logged and reported to `on_undelivered`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from winback_storekit.delivery import (
    Delivered,
    Outcome,
    Rejected,
    RetryLater,
    backoff_delay,
    event_headers,
    post_event,
    webhook_url,
)
from winback_storekit.events import encode_body, entity_key
from winback_storekit.outbox_store import (
    FinalStatus,
    OutboxEvent,
    OutboxStats,
    OutboxStore,
)

logger = logging.getLogger("winback_storekit.outbox")

UndeliveredCallback = Callable[[OutboxEvent], None]


@dataclass(frozen=True)
class OutboxSettings:
    """Where to deliver, where to keep the outbox, and how patiently to retry.

    Durations are in seconds. The defaults suit a production store; tests shrink them.
    """

    base_url: str
    store_id: str
    api_key: str = field(repr=False)
    path: str | Path = "winback-outbox.sqlite3"
    domain: str | None = None
    timeout: float = 10.0
    backoff_base: float = 1.0
    backoff_cap: float = 600.0
    horizon: float = 24 * 3600.0
    workers: int = 2
    poll_interval: float = 1.0
    keep_delivered: float = 7 * 24 * 3600.0

    def __post_init__(self) -> None:
        if httpx.URL(self.base_url).scheme not in ("http", "https"):
            raise ValueError(f"base_url must be an http(s) URL, got {self.base_url!r}")
        if not self.store_id or not self.api_key:
            raise ValueError("store_id and api_key are required")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")

    @property
    def lease_seconds(self) -> float:
        """How long a claimed event stays reserved for the worker sending it."""
        # Long enough for a slow attempt to finish (each phase of it may take the
        # full timeout); short enough that a crashed process's claim soon expires.
        return max(30.0, 4 * self.timeout)


class Outbox:
    """A durable, ordered, retrying sender of store events to winback."""

    def __init__(
        self, settings: OutboxSettings, on_undelivered: UndeliveredCallback | None = None
    ) -> None:
        self.settings = settings
        self._on_undelivered = on_undelivered
        self._store = OutboxStore(settings.path)
        self._url = webhook_url(settings.base_url, settings.store_id)
        # One client for all workers: it is thread-safe and pools their connections.
        self._client = httpx.Client(timeout=settings.timeout, follow_redirects=False)
        self._rng = random.Random()
        self._changed = threading.Condition()
        self._generation = 0
        self._stopping = threading.Event()
        self._closed = False
        self._last_prune = 0.0
        self._workers = [
            threading.Thread(target=self._work, name=f"winback-outbox-{n}", daemon=True)
            for n in range(settings.workers)
        ]
        for worker in self._workers:
            worker.start()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(
        self,
        event_type: str,
        payload: Mapping[str, Any],
        *,
        event_time: float | None = None,
        key: str | None = None,
    ) -> int:
        """Store an event for delivery and return its outbox id; durable once this returns.

        `event_time` (UNIX seconds) is when it happened, default now; `key` overrides
        the entity key that orders it among related events.
        """
        if self._closed:
            raise RuntimeError("the outbox is closed")
        if not isinstance(event_type, str) or not event_type.strip():
            raise ValueError("event_type must be a non-empty string")
        body = encode_body(payload)
        now = time.time()
        event_id = self._store.add(
            event_type.strip(),
            body,
            key or entity_key(event_type, payload),
            int(now if event_time is None else event_time),
            now,
        )
        self._notify()
        return event_id

    def flush(self, timeout: float) -> bool:
        """Wait until no event is pending or `timeout` seconds pass; True if none is pending."""
        deadline = time.monotonic() + timeout
        while self._store.count_pending() > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._changed:
                self._changed.wait(min(remaining, 0.05))
        return True

    def close(self, timeout: float | None = None) -> None:
        """Stop the workers after their current attempt; pending events stay for next time."""
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        self._notify()
        join_timeout = self.settings.lease_seconds if timeout is None else timeout
        deadline = time.monotonic() + join_timeout
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        if any(worker.is_alive() for worker in self._workers):
            # A worker stuck in a slow request would find the database gone; its
            # event stays leased and is retried after the lease by the next outbox.
            logger.warning("outbox closed while a delivery was still in progress")
            return
        self._client.close()
        self._store.close()

    def stats(self) -> OutboxStats:
        """How many events are pending, delivered, failed and given up."""
        return self._store.stats(time.time())

    def events(self) -> list[OutboxEvent]:
        """Every event still stored, oldest first (delivered ones are pruned after a while)."""
        return self._store.events()

    def undelivered(self, limit: int = 100) -> list[OutboxEvent]:
        """The latest failed and given-up events, newest first, for an operator to inspect."""
        return self._store.undelivered(limit)

    def requeue(self, event_ids: list[int]) -> int:
        """Send failed or given-up events again (after fixing their cause); return how many."""
        count = self._store.requeue(event_ids, time.time())
        self._notify()
        return count

    def _notify(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def _work(self) -> None:
        while not self._stopping.is_set():
            with self._changed:
                seen = self._generation
            try:
                if not self._deliver_one():
                    self._prune_now_and_then()
                    self._wait_for_work(seen)
            except Exception:
                # Whatever breaks (a full disk, a locked database), the worker must
                # live on: the events are safe on disk and will be retried.
                logger.exception("outbox worker error; retrying shortly")
                self._stopping.wait(self.settings.poll_interval)

    def _deliver_one(self) -> bool:
        event = self._store.claim_next(time.time(), self.settings.lease_seconds)
        if event is None:
            return False
        headers = event_headers(event, self.settings.api_key, self.settings.domain)
        outcome = post_event(self._client, self._url, headers, event.body)
        self._record(event, outcome)
        self._notify()
        return True

    def _record(self, event: OutboxEvent, outcome: Outcome) -> None:
        now = time.time()
        if isinstance(outcome, Delivered):
            self._store.mark_delivered(event.id, now)
            logger.debug("delivered event %s (%s)", event.id, event.event_type)
        elif isinstance(outcome, Rejected):
            self._finish(event, "failed", outcome.error, now)
        elif now >= event.created_at + self.settings.horizon:
            self._finish(event, "given_up", f"gave up after the horizon: {outcome.error}", now)
        else:
            self._retry(event, outcome, now)

    def _retry(self, event: OutboxEvent, outcome: RetryLater, now: float) -> None:
        if outcome.retry_after is not None:
            at = now + outcome.retry_after
        else:
            delay = backoff_delay(
                event.attempts, self.settings.backoff_base, self.settings.backoff_cap, self._rng
            )
            # The last attempt falls on the horizon itself, so giving up really
            # means "still failing after the horizon", not "gave up a bit early".
            at = min(now + delay, event.created_at + self.settings.horizon)
        self._store.schedule_retry(event.id, at, outcome.error)
        logger.warning(
            "winback did not take event %s (%s, attempt %s): %s; retrying in %.1fs",
            event.id,
            event.event_type,
            event.attempts,
            outcome.error,
            at - now,
        )

    def _finish(self, event: OutboxEvent, status: FinalStatus, error: str, now: float) -> None:
        self._store.mark_final(event.id, status, error, now)
        logger.error(
            "event %s (%s, %s) %s after %s attempt(s): %s",
            event.id,
            event.event_type,
            event.entity_key,
            "was refused by winback" if status == "failed" else "was given up",
            event.attempts,
            error,
        )
        if self._on_undelivered is not None:
            try:
                self._on_undelivered(replace(event, status=status, last_error=error))
            except Exception:
                # The store's callback must not take the delivery worker down with it.
                logger.exception("on_undelivered callback raised for event %s", event.id)

    def _wait_for_work(self, seen: int) -> None:
        due = self._store.next_due()
        delay = self.settings.poll_interval
        if due is not None:
            delay = min(delay, max(0.005, due - time.time()))
        with self._changed:
            # Another thread may have added or finished an event since we looked.
            if self._generation == seen and not self._stopping.is_set():
                self._changed.wait(delay)

    def _prune_now_and_then(self) -> None:
        now = time.time()
        if now - self._last_prune < 3600:
            return
        self._last_prune = now
        pruned = self._store.prune_delivered(now - self.settings.keep_delivered)
        if pruned:
            logger.info("pruned %s delivered events from the outbox", pruned)
