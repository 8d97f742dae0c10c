"""The product feed benchmark: a 1,000,000-row CSV feed synced from a URL, then synced again.

    .venv/bin/python bench/feed_bench.py [--rows 1000000] [--runs 3] [--db sqlite|postgresql|both]
        [--gzip]

Per database and run, on a fresh database and store, each sync being
``winback feed sync --store S --no-conditional`` in its own process (the CLI's
own code path: download over HTTP from 127.0.0.1, check, parse, apply):
1. first sync: every product created;
2. second sync of the same bytes: every product unchanged (the conditional GET
   is off, so the whole feed is really downloaded and read again);
3. the 304 path: the same sync with the conditional GET on;
4. the floor: the rows the first sync stored, read back and bulk-inserted into
   the same table of another fresh database with the driver's fastest plain
   path (``executemany`` on SQLite, ``COPY`` on PostgreSQL), one transaction.
Durations are the run's own (started to finished, from its record); peak
memory is that of the sync process and the reader process it starts. Medians of runs.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
from gen_feed import write_feed
from report import machine, write_results
from servers import BENCH_DIR, VENV_BIN, Database, create_store, winback_env
from sqlalchemy import JSON
from stats import median

from winback.storage.schema import products

FEED_DIR = BENCH_DIR / "out" / "feeds"
TARGET_FIRST_SECONDS = 60.0
TARGET_PEAK_MB = 300.0
SAMPLE_SECONDS = 0.1
PRODUCT_COLUMNS = [column.name for column in products.columns]
JSON_COLUMNS = {column.name for column in products.columns if isinstance(column.type, JSON)}


def feed_file(rows: int, seed: int, gzipped: bool) -> Path:
    """The generated feed (CSV, gzipped or not), made once per row count and seed."""
    name = f"feed-{rows}-{seed}.csv" + (".gz" if gzipped else "")
    path = FEED_DIR / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = FEED_DIR / f"partial-{name}"
        write_feed(partial, rows, seed)
        partial.rename(path)
    return path


class _FeedHandler(BaseHTTPRequestHandler):
    """Serves one file with an ETag and Last-Modified; 304 to a matching conditional GET."""

    path_served: Path
    etag: str

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.headers.get("If-None-Match") == self.etag:
            self.send_response(304)
            self.send_header("ETag", self.etag)
            self.end_headers()
            return
        size = self.path_served.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.send_header("ETag", self.etag)
        self.end_headers()
        with self.path_served.open("rb") as feed:
            while chunk := feed.read(1024 * 1024):
                self.wfile.write(chunk)


@contextmanager
def serving(path: Path) -> Iterator[str]:
    tag = '"' + hashlib.sha256(str(path.stat()).encode()).hexdigest()[:16] + '"'

    class Handler(_FeedHandler):
        path_served = path
        etag = tag

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_address[1]}/{path.name}"
    finally:
        http.shutdown()


def _env(database: Database) -> dict[str, str]:
    return winback_env(database) | {"WINBACK_OUTBOUND_ALLOW_PRIVATE": "1"}


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class TreeMemory:
    """Samples the summed resident memory of a process and all its descendants."""

    def __init__(self, root: int):
        self.peak_kb = 0
        self._root = root
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            total = sum(_rss_kb(pid) for pid in _descendants(self._root)[1:])
            self.peak_kb = max(self.peak_kb, total)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def run_cli(database: Database, *args: str) -> tuple[dict[str, Any], float, dict[str, float]]:
    """``winback ARGS`` in a child process: its JSON output, wall seconds, memory and CPU.

    ``cpu_seconds`` is user + system time of winback and the reader it starts:
    unlike wall time, it hardly moves when other work shares the machine.
    ``process_mb`` is the largest single process's peak (``/usr/bin/time``: a
    process forked straight from this one would start with this process's own
    high-water mark); ``tree_mb`` the peak of the summed memory of winback and
    the feed reader process it starts, sampled every 100 ms.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        command = ["/usr/bin/time", "-f", "%M %U %S", "-o", rss.name, str(VENV_BIN / "winback")]
        command += args
        started = time.monotonic()
        process = subprocess.Popen(
            command, env=_env(database), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        memory = TreeMemory(process.pid)
        output, _ = process.communicate()
        wall = time.monotonic() - started
        tree_mb = memory.stop()
        peak_kb, user, system = rss.read().strip().splitlines()[-1].split()
        process_mb = float(peak_kb) / 1024
        cpu = float(user) + float(system)
    text = output.decode()
    body: dict[str, Any] = json.loads(text[text.index("{") :]) if "{" in text else {}
    measured = {"process_mb": round(process_mb, 1), "tree_mb": round(tree_mb, 1)}
    return body, wall, measured | {"cpu_seconds": round(cpu, 1)}


def sync(database: Database, store_id: str, *, conditional: bool) -> dict[str, Any]:
    flag = "--conditional" if conditional else "--no-conditional"
    run, wall, memory = run_cli(database, "feed", "sync", "--store", store_id, flag)
    finished = datetime.fromisoformat(run["finished_at"])
    seconds = (finished - datetime.fromisoformat(run["started_at"])).total_seconds()
    counts = ("rows_read", "created", "updated", "unchanged", "made_unavailable", "rejected")
    result = {"status": run["status"], "seconds": round(seconds, 2), "process_seconds": wall}
    return result | memory | {name: run[name] for name in counts}


def stored_rows(database: Database, store_id: str) -> list[tuple[Any, ...]]:
    """The products the sync stored, as raw driver values (JSON still text)."""
    columns = ", ".join(
        f"{name}::text" if name in JSON_COLUMNS and database.kind != "sqlite" else name
        for name in PRODUCT_COLUMNS
    )
    query = f"SELECT {columns} FROM products WHERE store_id = '{store_id}'"
    if database.sqlite_file is not None:
        with sqlite3.connect(database.sqlite_file) as conn:
            return conn.execute(query).fetchall()
    assert database.postgres_url is not None
    with psycopg.connect(database.postgres_url) as pg:
        return pg.execute(query).fetchall()


def floor_insert(kind: str, rows: list[tuple[Any, ...]]) -> float:
    """Seconds to bulk-insert ``rows`` into an empty, migrated products table."""
    database = Database.create(kind)
    try:
        migrate = [str(VENV_BIN / "winback"), "migrate"]
        subprocess.run(migrate, env=_env(database), check=True, capture_output=True)
        names = ", ".join(PRODUCT_COLUMNS)
        if database.sqlite_file is not None:
            conn = sqlite3.connect(database.sqlite_file, isolation_level=None)
            # The same durability as winback's own engine.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            marks = ", ".join("?" for _ in PRODUCT_COLUMNS)
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(f"INSERT INTO products ({names}) VALUES ({marks})", rows)
            conn.execute("COMMIT")
            seconds = time.perf_counter() - started
            conn.close()
            return seconds
        assert database.postgres_url is not None
        with psycopg.connect(database.postgres_url) as pg:
            started = time.perf_counter()
            with pg.cursor() as cursor, cursor.copy(f"COPY products ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            pg.commit()
            return time.perf_counter() - started
    finally:
        database.drop()


def one_run(kind: str, url: str) -> dict[str, Any]:
    database = Database.create(kind)
    try:
        store_id = create_store(database)["store_id"]
        run_cli(database, "feed", "set", "--store", store_id, "--url", url)
        first = sync(database, store_id, conditional=False)
        second = sync(database, store_id, conditional=False)
        not_modified = sync(database, store_id, conditional=True)
        rows = stored_rows(database, store_id)
    finally:
        database.drop()
    floor = floor_insert(kind, rows)
    return {
        "first": first,
        "second": second,
        "not_modified": not_modified,
        "products": len(rows),
        "floor_seconds": round(floor, 2),
        "floor_ratio": round(first["seconds"] / floor, 1) if floor else None,
    }


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def med(*path: str) -> float | None:
        values = []
        for run in runs:
            value: Any = run
            for key in path:
                value = value[key]
            values.append(float(value))
        return median(values)

    first, second = med("first", "seconds"), med("second", "seconds")
    cpu = {phase: med(phase, "cpu_seconds") for phase in ("first", "second")}
    phases = [run[phase] for run in runs for phase in ("first", "second")]
    peak = max(phase["tree_mb"] for phase in phases)
    process_peak = max(phase["process_mb"] for phase in phases)
    return {
        "first_seconds": first,
        "second_seconds": second,
        "second_over_first": round(second / first, 3) if first and second else None,
        "not_modified_seconds": med("not_modified", "seconds"),
        "first_cpu_seconds": cpu["first"],
        "second_cpu_seconds": cpu["second"],
        "floor_seconds": med("floor_seconds"),
        "floor_ratio": med("floor_ratio"),
        "peak_tree_mb": peak,
        "peak_process_mb": process_peak,
        "products": runs[0]["products"],
        "targets": {
            "first_at_most_60s": bool(first is not None and first <= TARGET_FIRST_SECONDS),
            "peak_at_most_300mb": peak <= TARGET_PEAK_MB,
            "second_at_most_half": bool(first and second and second <= first / 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--gzip", action="store_true", help="serve the feed gzipped")
    options = parser.parse_args()
    started = machine()
    path = feed_file(options.rows, options.seed, options.gzip)
    kinds = ["sqlite", "postgresql"] if options.db == "both" else [options.db]
    results: dict[str, Any] = {}
    with serving(path) as url:
        for kind in kinds:
            runs = []
            for number in range(options.runs):
                runs.append(one_run(kind, url))
                print(f"{kind} run {number + 1}: {json.dumps(runs[-1])}", flush=True)
            results[kind] = {"runs": runs, "summary": summarize(runs)}
            print(f"{kind}: {json.dumps(results[kind]['summary'], indent=2)}", flush=True)
    feed = {"path": str(path), "bytes": path.stat().st_size, "rows": options.rows}
    write_results("feed", vars(options) | {"feed": feed}, started, results)


if __name__ == "__main__":
    main()
