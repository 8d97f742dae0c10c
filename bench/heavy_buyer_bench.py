"""What one shopper with a long order history costs the applier.

    .venv/bin/python bench/heavy_buyer_bench.py [--history 0 5000 20000] [--runs 3]
        [--events 5000] [--every 100] [--db sqlite|postgresql]

A store's "walk-in customer" (the one every counter sale is booked to) or a
wholesale buyer can have tens of thousands of orders. Each run starts a fresh
database, applies that many earlier orders of one buyer, then applies the
benchmark's mixed traffic (``payloads.generate``) with one more order of that
buyer after every ``--every`` events, in batches of 250 as ``winback worker``
applies them, and reports the applier's CPU per event. The history sizes run
in turn, ``--runs`` rounds, and the medians are compared with the run without
a history: what is left is what the long history costs.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from apply_bench import database_url, raw_event
from payloads import Event, generate
from report import machine, write_results
from servers import Database, create_store
from stats import median

from winback.apply.applier import Applier
from winback.config import APPLY_BATCH_IN_WORKER
from winback.intake.rawlog import append_events
from winback.storage.engine import derived, make_engine

APPEND_GROUP = 500
HISTORY_START = datetime(2020, 1, 1, tzinfo=UTC)
BUYER = {"id": "walk-in", "email": "counter@shop.example", "first_name": "Walk-in"}


def buyer_order(number: int) -> Event:
    """The heavy buyer's ``number``-th order: one line, placed a minute after the last."""
    placed = (HISTORY_START + timedelta(minutes=number)).isoformat()
    body = {
        "id": f"walk-in-{number}",
        "created_at": placed,
        "updated_at": placed,
        "currency": "USD",
        "customer": BUYER,
        "total_price": "12.50",
        "line_items": [{"product_id": "counter-1", "sku": "C-1", "quantity": 1, "price": "12.50"}],
    }
    return Event("orders/create", orjson.dumps(body))


def traffic(events: int, every: int, history: int) -> list[Event]:
    """The mixed traffic, with the buyer's next order after every ``every`` events."""
    mixed: list[Event] = []
    for index, event in enumerate(generate(events), start=1):
        mixed.append(event)
        if index % every == 0:
            mixed.append(buyer_order(history + index // every))
    return mixed


def apply_all(engine: Any, store_id: str, events: list[Event]) -> float:
    """Append ``events`` to the raw log, apply them all; the applier's CPU seconds."""
    raws = [raw_event(store_id, event) for event in events]
    for start in range(0, len(raws), APPEND_GROUP):
        append_events(engine, raws[start : start + APPEND_GROUP])
    cpu = time.process_time()
    Applier(derived(engine), batch_size=APPLY_BATCH_IN_WORKER).drain(timeout=3600)
    return time.process_time() - cpu


def measure(kind: str, history: int, events: int, every: int) -> float:
    """CPU ms per event of the mixed traffic, after ``history`` orders of the buyer."""
    database = Database.create(kind)
    try:
        store_id = create_store(database)["store_id"]
        engine = make_engine(database_url(database))
        apply_all(engine, store_id, [buyer_order(number) for number in range(history)])
        mixed = traffic(events, every, history)
        cpu = apply_all(engine, store_id, mixed)
        engine.dispose()
    finally:
        database.drop()
    per_event = 1000 * cpu / len(mixed)
    print(f"[{kind}] history {history}: {per_event:.3f} ms CPU per event", flush=True)
    return per_event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, nargs="+", default=[0, 5000, 20000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    started = machine()
    runs: dict[int, list[float]] = {history: [] for history in args.history}
    for _ in range(args.runs):
        for history in args.history:
            runs[history].append(measure(args.db, history, args.events, args.every))
    floor = median(runs[min(args.history)]) or 1.0
    results = {}
    for history, values in runs.items():
        cost = median(values) or 0.0
        results[history] = {"runs_ms_per_event": values, "median_ms_per_event": cost}
        print(f"history {history:>6}: median {cost:.3f} ms CPU per event, {cost / floor:.2f}x")
    write_results("heavy-buyer", vars(args), started, results)


if __name__ == "__main__":
    main()
