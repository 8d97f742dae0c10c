"""The applier alone: how fast pending events are applied, without HTTP beside it.

    .venv/bin/python bench/apply_bench.py [--db sqlite|postgresql|both] [--events 5000]
        [--profile]

The benchmark's events are appended to a fresh raw log with winback's own
append function (as the intake would after its checks), then ``Applier.drain``
applies them in batches, as ``winback worker`` does. This separates the cost
of applying from the HTTP path and from lock waits: if the applier alone
cannot reach a rate, the intake benchmark cannot sustain it either.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from payloads import Event, generate
from report import machine, write_results
from servers import BENCH_DIR, Database, create_store

from winback.apply.applier import Applier
from winback.config import normalize_database_url
from winback.intake.rawlog import RawEvent, append_events
from winback.intake.receive import Delivery, Intake
from winback.intake.topics import topic_for
from winback.storage.engine import derived, make_engine

APPEND_GROUP = 500


def raw_event(store_id: str, event: Event) -> RawEvent:
    now = datetime.now(UTC)
    headers = {"content-type": "application/json", "x-event-type": event.event_type}
    delivery = Delivery(store_id, headers, event.body)
    topic = topic_for(event.event_type)
    body = orjson.loads(event.body)
    return Intake.accepted_event(delivery, event.event_type, topic, body, now, now, None)


def database_url(database: Database) -> str:
    if database.sqlite_file is not None:
        return f"sqlite:///{database.sqlite_file}"
    assert database.postgres_url is not None
    return normalize_database_url(database.postgres_url)


def measure(kind: str, events: list[Event], profile: bool) -> dict[str, Any]:
    database = Database.create(kind)
    try:
        store = create_store(database)
        engine = make_engine(database_url(database))
        raws = [raw_event(store["store_id"], event) for event in events]
        for start in range(0, len(raws), APPEND_GROUP):
            append_events(engine, raws[start : start + APPEND_GROUP])
        profiler = cProfile.Profile() if profile else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        Applier(derived(engine)).drain(timeout=1800)  # as the server builds it
        if profiler is not None:
            profiler.disable()
            out = BENCH_DIR / "out" / f"apply-{kind}.pstats"
            out.parent.mkdir(exist_ok=True)
            profiler.dump_stats(out)
            pstats.Stats(str(out)).sort_stats("cumulative").print_stats("winback", 25)
            pstats.Stats(str(out)).sort_stats("tottime").print_stats(20)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        engine.dispose()
    finally:
        database.drop()
    result = {
        "events": len(events),
        "events_per_second": len(events) / wall,
        "applier_cpu_ms_per_event": 1000 * cpu / len(events),
        "profiled": profile,
    }
    print(f"[{kind}] {result}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--profile", action="store_true", help="cProfile the applier")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    started = machine()
    events = generate(args.events)
    results = {kind: measure(kind, events, args.profile) for kind in kinds}
    write_results("apply", vars(args), started, results)


if __name__ == "__main__":
    main()
