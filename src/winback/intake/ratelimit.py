"""Token buckets: a steady rate with room for bursts, per key (store, visitor, IP)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from winback.errors import RateLimited


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, *, per_second: float, burst: int, max_keys: int = 100_000) -> None:
        self._rate = per_second
        self._burst = float(burst)
        self._buckets: dict[str, _Bucket] = {}
        self._max_keys = max_keys

    def check(self, key: str, what: str = "this store") -> None:
        """Take one token for ``key`` or raise RateLimited with the wait in seconds."""
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets.clear()
            bucket = self._buckets[key] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens < 1:
            wait = max(1, math.ceil((1 - bucket.tokens) / self._rate))
            raise RateLimited(
                f"rate limit of {self._rate:g} events/s exceeded for {what}", retry_after=wait
            )
        bucket.tokens -= 1
