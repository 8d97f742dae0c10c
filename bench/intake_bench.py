"""The intake benchmark: sustained events/s, ack latency, apply lag, visibility, vs the floor.

    .venv/bin/python bench/intake_bench.py [--db sqlite|postgresql|both] [--seconds 20]
        [--runs 3] [--connections 64] [--workers 1] [--separate-applier] [--rate 5000]
        [--kill-test]

Each run measures, on this machine and in this order: the HTTP floor (a no-op
endpoint on the same stack) at saturation; then winback on a fresh database,
started with ``winback serve``: at saturation (wrk), then at a fixed rate with
visibility probes (loadgen.py), and, when the target rate is beyond what it
sustained, again at half of its saturated rate. The machine is shared and
noisy, so the report gives medians over runs, and throughput as a share of
the floor measured in the same run. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import math
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from killtest import kill_test
from measure import Window, apply_stats, max_seq, wait_drained
from payloads import SEED, generate, write_requests
from phases import FixedRate, Load, Target, run_fixed_rate, saturate
from profiling import profiled
from report import machine, print_table, summarize_runs, write_results
from servers import BENCH_DIR, Database, create_store, start_floor, start_winback
from stats import percentile

OUT_DIR = BENCH_DIR / "out"
DRAIN_LIMIT_SECONDS = 60.0


@dataclass(frozen=True)
class Options:
    databases: tuple[str, ...]
    seconds: float
    runs: int
    connections: int
    workers: int
    rate: float
    probes: int
    saturation_pool: int
    threads: int
    kill_test: bool
    profile: bool
    separate_applier: bool


@dataclass(frozen=True)
class RequestFiles:
    """Saturation events, then later (newer) events for the fixed-rate phases."""

    saturation: Path
    fixed: Path
    saturation_count: int


def prepare_requests(options: Options) -> RequestFiles:
    """Generate the events once (fixed seed) and keep them in bench/out for later runs."""
    fixed_count = int(options.rate * options.seconds * 1.6) + 1000
    stem = OUT_DIR / f"events-{SEED}-{options.saturation_pool}-{fixed_count}"
    files = RequestFiles(
        stem.with_suffix(".saturation.req"), stem.with_suffix(".fixed.req"), options.saturation_pool
    )
    if not (files.saturation.exists() and files.fixed.exists()):
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        print(f"generating {options.saturation_pool + fixed_count} events...", flush=True)
        events = generate(options.saturation_pool + fixed_count)
        write_requests(files.saturation, events[: options.saturation_pool])
        write_requests(files.fixed, events[options.saturation_pool :])
    return files


def measure_floor(options: Options, files: RequestFiles) -> dict[str, Any]:
    server = start_floor(options.workers, OUT_DIR / "logs")
    try:
        load = Load(options.seconds, options.connections, options.threads)
        return saturate(Target(server, "st_floor", "floor-key"), load, files.saturation)
    finally:
        server.stop()


def saturation_phase(
    database: Database, target: Target, options: Options, files: RequestFiles, tag: str
) -> dict[str, Any]:
    first = max_seq(database)
    load = Load(options.seconds, options.connections, options.threads)
    # Profile the first run only: the other runs stay free of the sampler's cost.
    profiling = options.profile and tag.endswith("-run1")
    with profiled(target.server, options.seconds, OUT_DIR, tag) if profiling else nullcontext():
        result = saturate(target, load, files.saturation)
    time.sleep(0.5)  # the last acknowledged appends land in the log
    window = Window(first, max_seq(database), result["started_wall"], result["ended_wall"])
    result["drained_in_s"] = wait_drained(database, DRAIN_LIMIT_SECONDS)
    result["apply"] = apply_stats(database, window)
    # Past the pool wrk starts over: repeats would be applied as duplicates.
    result["wrapped"] = result["requests"] > files.saturation_count
    return result


def visibility(probes: list[dict[str, Any]]) -> dict[str, Any]:
    """Percentiles of the time from 200 to readable; a probe never seen counts as infinite."""
    acked = [p for p in probes if p.get("ack_status") == 200]
    times = [p["visible_ms"] if p["visible_ms"] >= 0 else math.inf for p in acked]
    return {
        "probes": len(probes),
        "acked": len(acked),
        "never_visible": sum(1 for t in times if math.isinf(t)),
        "p50_ms": percentile(times, 0.50),
        "p99_ms": percentile(times, 0.99),
        "max_ms": max(times, default=None),
    }


def fixed_phase(database: Database, target: Target, plan: FixedRate) -> dict[str, Any]:
    first = max_seq(database)
    result = run_fixed_rate(target, plan, OUT_DIR)
    window = Window(first, max_seq(database), result["started_wall"], result["scheduled_wall"])
    result["drained_in_s"] = wait_drained(database, DRAIN_LIMIT_SECONDS)
    result["apply"] = apply_stats(database, window)
    result["visibility"] = visibility(result.pop("probes"))
    result.pop("acks")
    return result


def winback_phases(
    database: Database, target: Target, options: Options, files: RequestFiles, tag: str
) -> dict[str, Any]:
    """Saturation, then (if the target is beyond reach) half the sustained rate, then the target.

    The target-rate phase comes last: when the server cannot keep up with it, the
    backlog it leaves would otherwise spill into the next phase's figures.
    """
    phases = {"saturation": saturation_phase(database, target, options, files, tag)}
    sustained = min(
        phases["saturation"]["rate"],
        phases["saturation"]["apply"].get("acked_and_applied_rate", 0.0),
    )
    first = 0
    if sustained < options.rate:
        # The target is out of reach: also measure latency where the server keeps up.
        rate = round(sustained / 2, 1)
        half = FixedRate(rate, options.seconds, files.fixed, first, options.probes, f"{tag}-h")
        phases["fixed_half"] = fixed_phase(database, target, half)
        first = int(rate * options.seconds) + 1
    plan = FixedRate(options.rate, options.seconds, files.fixed, first, options.probes, f"{tag}-t")
    phases["fixed_target"] = fixed_phase(database, target, plan)
    return phases


def measure_winback(kind: str, options: Options, files: RequestFiles, tag: str) -> dict[str, Any]:
    database = Database.create(kind)
    try:
        store = create_store(database)
        server = start_winback(
            database, options.workers, OUT_DIR / "logs", separate_applier=options.separate_applier
        )
        try:
            target = Target(server, store["store_id"], store["api_key"])
            return winback_phases(database, target, options, files, tag)
        finally:
            server.stop()
    finally:
        database.drop()


def one_run(kind: str, options: Options, files: RequestFiles, number: int) -> dict[str, Any]:
    print(f"[{kind} run {number}] floor...", flush=True)
    floor = measure_floor(options, files)
    print(f"[{kind} run {number}] winback...", flush=True)
    layout = f"w{options.workers}" + ("-split" if options.separate_applier else "")
    winback = measure_winback(kind, options, files, f"{kind}-{layout}-run{number}")
    ratio = winback["saturation"]["rate"] / max(floor["rate"], 1e-9)
    print(
        f"[{kind} run {number}] floor {floor['rate']:.0f}/s, "
        f"winback {winback['saturation']['rate']:.0f}/s ({ratio:.1%})",
        flush=True,
    )
    return {"floor": floor, "winback": winback, "floor_ratio": ratio}


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each load phase")
    parser.add_argument("--runs", type=int, default=3, help="runs per database (medians)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--workers", type=int, default=1, help="HTTP worker processes")
    parser.add_argument("--rate", type=float, default=5000.0, help="target events/s")
    parser.add_argument("--probes", type=int, default=100, help="visibility probes per phase")
    parser.add_argument("--saturation-pool", type=int, default=150_000)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--kill-test", action="store_true", help="run the crash test only")
    parser.add_argument("--profile", action="store_true", help="py-spy the first saturation")
    parser.add_argument(
        "--separate-applier",
        action="store_true",
        help="serve with --separate-applier: the applier in its own process (always so with"
        " several workers)",
    )
    args = parser.parse_args()
    databases = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    return Options(
        databases,
        args.seconds,
        max(1, args.runs),
        args.connections,
        args.workers,
        args.rate,
        args.probes,
        args.saturation_pool,
        args.threads,
        args.kill_test,
        args.profile,
        args.separate_applier,
    )


def main() -> None:
    options = parse_options()
    files = prepare_requests(options)
    started = machine()
    if options.kill_test:
        results = {
            kind: kill_test(kind, options.workers, files.fixed, OUT_DIR)
            for kind in options.databases
        }
        write_results("kill-test", asdict(options), started, results)
        return
    runs = {
        kind: [one_run(kind, options, files, n + 1) for n in range(options.runs)]
        for kind in options.databases
    }
    summary = summarize_runs(runs, options.rate)
    print_table(summary, options)
    write_results("intake", asdict(options), started, {"runs": runs, "medians": summary})


if __name__ == "__main__":
    main()
