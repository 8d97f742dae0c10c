"""Prometheus metrics, one registry for the whole process; with the applier apart,
summed over serve's processes.

``winback serve --separate-applier`` (or ``--workers N``) sets
``PROMETHEUS_MULTIPROC_DIR`` for the processes it starts (``supervise.py``):
prometheus_client then counts each process's metrics in a file there, and
/metrics adds up the files, the applier's included. A plain ``serve`` counts in
memory, and /metrics shows this process's registry.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

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
# Set when /metrics is read; with several processes, the value set last is the one shown.
APPLY_PENDING = Gauge(
    "winback_apply_pending",
    "Events in the raw log not yet applied",
    multiprocess_mode="mostrecent",
)
COLLECTOR_REQUESTS = Counter(
    "winback_collector_requests_total",
    "Requests to the tracking collector, by what was done with them",
    ["outcome"],
)


def exposition() -> bytes:
    """Every metric in Prometheus's text format: this process's, or with the applier
    apart the sum of every process serve started."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return generate_latest(registry)
