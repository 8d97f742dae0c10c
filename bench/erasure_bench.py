"""What an erasure costs the applier now that it also empties refused deliveries.

    .venv/bin/python bench/erasure_bench.py [--log 0 100000 300000] [--people 5]
        [--db sqlite|postgresql]

A ``customers/delete`` looks through the store's refused deliveries for those
that name the person (the database compares each body with their id and
email), and empties them. Finding them means reading past every logged event
of the store, so its cost grows with the log, not with the person. Each log
size gets a fresh database holding that many events of the benchmark's mixed
traffic (``payloads.generate``, marked applied, as the log of a store that has
run for a while), then ``--people`` shoppers, each with a customer event, two
orders and a cart, applied, and two refused deliveries naming them; then each
is erased in a batch of its own, and that batch's wall and CPU time is
measured. The empty log is the floor.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from apply_bench import database_url, raw_event
from payloads import Event, generate
from report import machine, write_results
from servers import Database, create_store
from sqlalchemy import func, select
from stats import median

from winback.apply.applier import Applier
from winback.errors import InvalidPayload
from winback.intake.rawlog import append_events, rejected_event
from winback.outcomes import APPLIED
from winback.storage.engine import derived, make_engine
from winback.storage.schema import raw_events

APPEND_GROUP = 500


def person_events(number: int) -> list[Event]:
    """A shopper's customer event, two orders and a cart, with their details."""
    person = {
        "id": f"erasee-{number}",
        "email": f"erasee-{number}@shop.example",
        "first_name": "Ann",
        "default_address": {"address1": "1 Main St", "city": "Springfield"},
    }
    placed = datetime(2026, 1, 1 + number, tzinfo=UTC).isoformat()
    line = {"product_id": "mug-1", "quantity": 1, "price": "12.50", "title": "Mug"}
    orders = [
        {
            "id": f"erasee-{number}-{n}",
            "created_at": placed,
            "customer": person,
            "shipping_address": person["default_address"],
            "line_items": [line],
            "total_price": "12.50",
        }
        for n in range(2)
    ]
    cart = {"id": f"erasee-cart-{number}", "customer": person, "line_items": [line]}
    return [
        Event("customers/create", orjson.dumps(person)),
        *(Event("orders/create", orjson.dumps(order)) for order in orders),
        Event("carts/update", orjson.dumps(cart)),
    ]


def fill_log(engine: Any, store_id: str, size: int) -> None:
    """``size`` events of mixed traffic in the log, as already applied."""
    for start in range(0, size, APPEND_GROUP):
        raws = [
            raw_event(store_id, event)
            for event in generate(min(APPEND_GROUP, size - start), seed=start)
        ]
        for raw in raws:
            raw.outcome, raw.applied_at = APPLIED, raw.received_at
        append_events(engine, raws)


def refusals(engine: Any, store_id: str, number: int) -> None:
    """Two refused deliveries naming the shopper: one by address, one by id."""
    now = datetime.now(UTC)
    bodies = [
        {"email": f"erasee-{number}@shop.example", "first_name": "Ann", "tags": 5},
        {"id": f"erasee-{number}", "first_name": "Ann", "accepts_marketing": "maybe"},
    ]
    append_events(
        engine,
        [
            rejected_event(
                store_id=store_id,
                source="webhook",
                event_type="customers/update",
                body=orjson.dumps(body),
                headers={},
                received_at=now,
                error=InvalidPayload("refused for the benchmark", pointer="/"),
            )
            for body in bodies
        ],
    )


def apply_events(engine: Any, store_id: str, events: list[Event]) -> tuple[float, float]:
    """Append and apply ``events``; the applier's wall and CPU seconds."""
    append_events(engine, [raw_event(store_id, event) for event in events])
    wall, cpu = time.perf_counter(), time.process_time()
    Applier(derived(engine)).drain(timeout=600)
    return time.perf_counter() - wall, time.process_time() - cpu


def check_rewritten(engine: Any, store_id: str, people: int) -> None:
    """Every erasure applied, and every refusal naming the people emptied: a figure
    of an erasure that failed would be no figure at all."""
    with engine.connect() as conn:
        outcomes = dict(
            conn.execute(
                select(raw_events.c.outcome, func.count())
                .where(raw_events.c.store_id == store_id, raw_events.c.topic == "customers/delete")
                .group_by(raw_events.c.outcome)
            ).all()
        )
        rewritten = conn.execute(
            select(func.count()).where(
                raw_events.c.store_id == store_id, raw_events.c.redacted_at.is_not(None)
            )
        ).scalar_one()
    assert outcomes == {APPLIED: people}, outcomes
    assert rewritten == 2 * people, f"{rewritten} refusals emptied, not {2 * people}"


def measure(kind: str, log_size: int, people: int) -> dict[str, Any]:
    database = Database.create(kind)
    try:
        store_id = create_store(database)["store_id"]
        engine = make_engine(database_url(database))
        fill_log(engine, store_id, log_size)
        for number in range(people):
            apply_events(engine, store_id, person_events(number))
            refusals(engine, store_id, number)
        walls, cpus = [], []
        for number in range(people):
            erase = Event("customers/delete", orjson.dumps({"id": f"erasee-{number}"}))
            wall, cpu = apply_events(engine, store_id, [erase])
            walls.append(1000 * wall)
            cpus.append(1000 * cpu)
        check_rewritten(engine, store_id, people)
        engine.dispose()
    finally:
        database.drop()
    result = {
        "log_events": log_size,
        "erasure_wall_ms": walls,
        "erasure_cpu_ms": cpus,
        "median_wall_ms": median(walls),
        "median_cpu_ms": median(cpus),
    }
    print(
        f"[{kind}] log {log_size:>7}: erasure median {result['median_wall_ms']:.1f} ms wall, "
        f"{result['median_cpu_ms']:.1f} ms CPU (runs {[round(w, 1) for w in walls]})",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", type=int, nargs="+", default=[0, 100_000, 300_000])
    parser.add_argument("--people", type=int, default=5)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    started = machine()
    results = {size: measure(args.db, size, args.people) for size in args.log}
    floor = results[min(args.log)]["median_wall_ms"] or 1.0
    for size, result in results.items():
        print(f"log {size:>7}: {result['median_wall_ms'] / floor:.1f}x the empty log's erasure")
    write_results("erasure", vars(args), started, results)


if __name__ == "__main__":
    main()
