"""Prometheus metrics, one registry for the whole process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_RECEIVED = Counter(
    "winback_events_received_total", "Events received at the intake", ["source", "outcome"]
)
EVENTS_APPLIED = Counter(
    "winback_events_applied_total", "Events applied from the raw log", ["outcome"]
)
APPLY_LAG = Histogram(
    "winback_apply_lag_seconds",
    "Time from acknowledgement to application",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
INTAKE_HELD = Counter(
    "winback_intake_held_seconds_total",
    "Time the raw log's writer held acknowledgements back because the applier was behind",
)
APPLY_PENDING = Gauge("winback_apply_pending", "Events in the raw log not yet applied")
COLLECTOR_REQUESTS = Counter(
    "winback_collector_requests_total",
    "Requests to the tracking collector, by what was done with them",
    ["outcome"],
)
