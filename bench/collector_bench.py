"""The collector benchmark: the tracking script's batches through POST /collect, end to end.

    .venv/bin/python bench/collector_bench.py [--db sqlite|postgresql|both] [--seconds 20]
        [--runs 3] [--connections 64] [--workers 1]

The intake benchmark's harness with a browser-event mix: per run, the HTTP
floor (the same request bodies on the floor app's route), then winback on a
fresh database, started with ``winback serve``: at saturation (wrk), then at
half of the rate it sustained (the open-loop client), each followed by the
wait for the applier. One request is one page's batch, so the table gives
requests and events per second. It also reports the script's gzipped size.
"""

from __future__ import annotations

import argparse
import gzip
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
from intake_bench import OUT_DIR, Options, RequestFiles, fixed_phase, saturation_phase
from payloads import Event, write_requests
from phases import FixedRate, Load, Target, saturate
from report import machine, write_results
from servers import REPO, Database, create_store, start_floor, start_winback
from stats import median

SEED = 20_250_302
SCRIPT = REPO / "src/winback/tracking/static/track.js"
# The collector's own limits are for browsers; the benchmark is one client on loopback.
UNLIMITED = "100000000"
LIMITS = {
    "WINBACK_TRACKING_IP_PER_SECOND": UNLIMITED,
    "WINBACK_TRACKING_IP_BURST": UNLIMITED,
    "WINBACK_TRACKING_VISITOR_PER_SECOND": UNLIMITED,
    "WINBACK_TRACKING_VISITOR_BURST": UNLIMITED,
}
# What one page sends: (kind, share). Product pages dominate, as in any shop.
PAGES = (
    ("product", 45),
    ("category", 15),
    ("search", 10),
    ("cart", 15),
    ("login", 8),
    ("custom", 5),
    ("newsletter", 2),
)
WORDS = ("linen", "wool", "merino", "canvas", "leather", "cotton", "denim", "silk")


class BrowserTraffic:
    """Visitors browsing a shop: each request is one page's batch, from one visitor."""

    def __init__(self, seed: int = SEED, visitors: int = 20_000, products: int = 2_000) -> None:
        self.rng = random.Random(seed)
        self.visitors = visitors
        self.products = products
        self.clock = 1_740_816_000_000  # ms; the collector only keeps the gaps

    def visitor(self) -> int:
        # Skewed: a few visitors browse a lot, most come for a page or two.
        return int(self.visitors * self.rng.random() ** 2)

    def product(self) -> dict[str, Any]:
        number = self.rng.randint(1, self.products)
        word = WORDS[number % len(WORDS)]
        return {
            "productId": str(number),
            "productName": f"{word.title()} shirt {number}",
            "productCategories": [word.title(), "Shirts"],
            "productCategoriesIds": [str(number % 40), "7"],
            "price": f"{self.rng.randint(900, 15_000) / 100:.2f}",
            "url": f"https://shop.example.com/products/{number}",
        }

    def cart(self, visitor: int) -> dict[str, Any]:
        lines = []
        for _ in range(self.rng.randint(1, 4)):
            item = self.product()
            lines.append(
                {
                    "product_id": item["productId"],
                    "name": item["productName"],
                    "quantity": self.rng.choice((1, 1, 2)),
                    "price": item["price"],
                }
            )
        total = sum(float(line["price"]) * line["quantity"] for line in lines)
        return {
            "cart_token": f"ct-{visitor}",
            "currency": "USD",
            "line_items": lines,
            "total_price": f"{total:.2f}",
            "abandoned_checkout_url": f"https://shop.example.com/cart/restore/ct-{visitor}",
        }

    def page_events(self, kind: str, visitor: int) -> list[tuple[str, dict[str, Any]]]:
        rng = self.rng
        if kind == "product":
            events = [("productView", self.product())]
            if rng.random() < 0.3:  # the page also pushes its category
                events.insert(0, ("categoryView", {"category_id": "7", "category_name": "Shirts"}))
            return events
        if kind == "category":
            word = rng.choice(WORDS)
            return [("categoryView", {"category_id": word, "category_name": word.title()})]
        if kind == "search":
            found = [{"id": self.product()["productId"]} for _ in range(rng.randint(0, 6))]
            return [("siteSearch", {"search_keyword": rng.choice(WORDS), "products": found})]
        if kind == "cart":
            return [("carts/update", self.cart(visitor))]
        if kind == "login":
            shopper = {
                "email": f"shopper.{visitor}@example.com",
                "id": f"c-{visitor}",
                "first_name": "Shopper",
                "accepts_marketing": rng.choice((True, None)),
            }
            return [("identify", shopper), ("productView", self.product())]
        if kind == "newsletter":
            return [("newsletter/subscribe", {"email": f"reader.{visitor}@example.com"})]
        return [("wishlist/added", {"productId": self.product()["productId"], "list": "default"})]

    def next_request(self) -> Event:
        visitor = self.visitor()
        kind = self.rng.choices([k for k, _ in PAGES], weights=[w for _, w in PAGES])[0]
        events = []
        for event_type, data in self.page_events(kind, visitor):
            self.clock += self.rng.randint(5, 50)
            events.append({"type": event_type, "data": data, "at": self.clock})
        self.clock += self.rng.randint(100, 3000)
        body = {
            "v": f"{visitor:032x}",
            "s": f"{visitor * 7 + self.clock // 1_800_000:032x}",
            "page": {
                "url": f"https://shop.example.com/{kind}",
                "referrer": "https://shop.example.com/",
                "title": f"Shop - {kind}",
            },
            "events": events,
        }
        # The wrk script sends the first field as x-event-type; the collector ignores it.
        return Event("browser", orjson.dumps(body))


def prepare(pool: int, fixed: int) -> tuple[RequestFiles, float]:
    """The request files (cached in bench/out) and the mean events per request."""
    stem = OUT_DIR / f"browser-{SEED}-{pool}-{fixed}"
    files = RequestFiles(stem.with_suffix(".saturation.req"), stem.with_suffix(".fixed.req"), pool)
    traffic = BrowserTraffic()
    requests = [traffic.next_request() for _ in range(pool + fixed)]
    if not (files.saturation.exists() and files.fixed.exists()):
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        write_requests(files.saturation, requests[:pool])
        write_requests(files.fixed, requests[pool:])
    per_request = sum(len(orjson.loads(r.body)["events"]) for r in requests) / len(requests)
    return files, per_request


@dataclass(frozen=True)
class CollectorTarget(Target):
    """The intake harness's target, pointed at the collector."""

    @property
    def path(self) -> str:
        return f"/collect/{self.store_id}"


def events_per_second(result: dict[str, Any]) -> float:
    """Events stored per second of load: the phase's raw-log rows over its duration."""
    seconds: float = max(result["ended_wall"] - result["started_wall"], 1e-9)
    return float(result["apply"]["events"]) / seconds


def measure_winback(kind: str, options: Options, files: RequestFiles, tag: str) -> dict[str, Any]:
    database = Database.create(kind)
    database.env |= LIMITS
    try:
        store = create_store(database)
        server = start_winback(database, options.workers, OUT_DIR / "logs")
        try:
            target = CollectorTarget(server, store["store_id"], store["api_key"])
            phases = {"saturation": saturation_phase(database, target, options, files, tag)}
            saturation = phases["saturation"]
            saturation["events_rate"] = events_per_second(saturation)
            rate = round(saturation["rate"] / 2, 1)
            plan = FixedRate(rate, options.seconds, files.fixed, 0, 0, f"{tag}-h")
            phases["fixed_half"] = fixed_phase(database, target, plan)
            return phases
        finally:
            server.stop()
    finally:
        database.drop()


def one_run(kind: str, options: Options, files: RequestFiles, number: int) -> dict[str, Any]:
    print(f"[{kind} run {number}] floor...", flush=True)
    floor_server = start_floor(options.workers, OUT_DIR / "logs")
    try:
        load = Load(options.seconds, options.connections, options.threads)
        # The floor app's route is the webhook path: the same bodies, the same stack.
        floor = saturate(Target(floor_server, "st_floor", "floor-key"), load, files.saturation)
    finally:
        floor_server.stop()
    print(f"[{kind} run {number}] winback collector...", flush=True)
    winback = measure_winback(kind, options, files, f"collector-{kind}-run{number}")
    ratio = winback["saturation"]["rate"] / max(floor["rate"], 1e-9)
    print(
        f"[{kind} run {number}] floor {floor['rate']:.0f}/s, collector "
        f"{winback['saturation']['rate']:.0f} requests/s ({ratio:.1%}), "
        f"{winback['saturation']['events_rate']:.0f} events/s",
        flush=True,
    )
    return {"floor": floor, "winback": winback, "floor_ratio": ratio}


ROWS: list[tuple[str, tuple[str, ...], str]] = [
    ("floor: requests/s at saturation", ("floor", "rate"), "{:.0f}"),
    ("collector: acknowledged requests/s", ("winback", "saturation", "rate"), "{:.0f}"),
    ("collector: acknowledged events/s", ("winback", "saturation", "events_rate"), "{:.0f}"),
    ("collector / floor", ("floor_ratio",), "{:.1%}"),
    (
        "acknowledged and applied events/s",
        ("winback", "saturation", "apply", "acked_and_applied_rate"),
        "{:.0f}",
    ),
    ("saturation ack p50 ms (wrk)", ("winback", "saturation", "p50_ms"), "{:.1f}"),
    ("saturation ack p99 ms (wrk)", ("winback", "saturation", "p99_ms"), "{:.1f}"),
    ("saturation non-2xx answers", ("winback", "saturation", "non_200"), "{:.0f}"),
    ("saturation apply lag p50 ms", ("winback", "saturation", "apply", "lag_p50_ms"), "{:.0f}"),
    ("saturation apply lag p99 ms", ("winback", "saturation", "apply", "lag_p99_ms"), "{:.0f}"),
    (
        "server CPU ms/request",
        ("winback", "saturation", "server_cpu_ms_per_request"),
        "{:.2f}",
    ),
    ("half of sustained: offered requests/s", ("winback", "fixed_half", "offered_rate"), "{:.0f}"),
    ("half of sustained: ack p50 ms", ("winback", "fixed_half", "p50_ms"), "{:.1f}"),
    ("half of sustained: ack p99 ms", ("winback", "fixed_half", "p99_ms"), "{:.1f}"),
    ("half of sustained: non-200 answers", ("winback", "fixed_half", "not_ok"), "{:.0f}"),
    (
        "half of sustained: apply lag p50 ms",
        ("winback", "fixed_half", "apply", "lag_p50_ms"),
        "{:.0f}",
    ),
    (
        "half of sustained: apply lag p99 ms",
        ("winback", "fixed_half", "apply", "lag_p99_ms"),
        "{:.0f}",
    ),
]


def _value(run: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = run
    for key in path:
        if not isinstance(value, dict) or value.get(key) is None:
            return None
        value = value[key]
    return float(value)


def table(runs: dict[str, list[dict[str, Any]]]) -> tuple[str, dict[str, dict[str, Any]]]:
    """Medians over runs, one column per database, and the medians themselves."""
    kinds = list(runs)
    medians = {
        kind: {label: median([_value(run, path) for run in runs[kind]]) for label, path, _ in ROWS}
        for kind in kinds
    }
    lines = ["| metric (median) | " + " | ".join(kinds) + " |", "|---|" + "---:|" * len(kinds)]
    for label, _, fmt in ROWS:
        cells = [medians[k][label] for k in kinds]
        shown = ["-" if c is None else fmt.format(c) for c in cells]
        lines.append(f"| {label} | " + " | ".join(shown) + " |")
    return "\n".join(lines), medians


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--saturation-pool", type=int, default=30_000)
    args = parser.parse_args()
    databases = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    return Options(
        databases=databases,
        seconds=args.seconds,
        runs=max(1, args.runs),
        connections=args.connections,
        workers=args.workers,
        rate=0.0,
        probes=0,
        saturation_pool=args.saturation_pool,
        threads=1,
        kill_test=False,
        profile=False,
        separate_applier=False,
    )


def script_size(path: Path = SCRIPT) -> dict[str, int]:
    body = path.read_bytes()
    return {"bytes": len(body), "gzipped_bytes": len(gzip.compress(body, 9, mtime=0))}


def main() -> None:
    options = parse_options()
    files, per_request = prepare(options.saturation_pool, 20_000)
    started = machine()
    size = script_size()
    print(f"track.js: {size['bytes']} bytes, {size['gzipped_bytes']} gzipped")
    print(f"browser mix: {per_request:.2f} events per request")
    runs = {
        kind: [one_run(kind, options, files, n + 1) for n in range(options.runs)]
        for kind in options.databases
    }
    text, medians = table(runs)
    print()
    print(f"workers={options.workers} connections={options.connections} seconds={options.seconds}")
    print(text)
    results = {"script": size, "events_per_request": per_request, "runs": runs, "medians": medians}
    write_results("collector", asdict(options), started, results)


if __name__ == "__main__":
    main()
