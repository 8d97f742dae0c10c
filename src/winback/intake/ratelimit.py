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
        wait = self._take(key)
        if wait:
            raise RateLimited(
                f"rate limit of {self._rate:g} events/s exceeded for {what}", retry_after=wait
            )

    def allows(self, key: str) -> bool:
        """Take one token for ``key`` if there is one."""
        return not self._take(key)

    def _take(self, key: str) -> int:
        """Take a token; if there is none, the seconds until there is (else 0)."""
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets.clear()
            bucket = self._buckets[key] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens < 1:
            return max(1, math.ceil((1 - bucket.tokens) / self._rate))
        bucket.tokens -= 1
        return 0
