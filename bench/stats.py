"""Percentiles and medians, the two statistics every part of the benchmark reports."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile of ``values`` (``share`` in 0..1); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def median(values: Sequence[float | None]) -> float | None:
    """The median of the values that were measured (None ones are left out)."""
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def milliseconds(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)
