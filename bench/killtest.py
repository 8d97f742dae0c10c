"""The crash test: a 200 is a promise, even if the server is killed the next instant.

Under load at a fixed rate, every process of the server gets SIGKILL. The
load generator kept the sequence number of every event that was answered 200
(load events and probe customers alike). After a restart on the same
database, each of them must be in the raw log with the exact bytes that were
sent, every one must then be applied, and every acknowledged probe customer
must be readable on the API.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from measure import max_seq, stored_events, wait_drained
from payloads import read_requests
from phases import FixedRate, Target, fixed_rate_command
from servers import Database, Server, create_store, start_winback

KILL_RATE = 1000.0
LOAD_SECONDS = 12.0
MIN_EVENTS_BEFORE_KILL = 2000
SETTLE_LIMIT_SECONDS = 60.0
FINAL_OUTCOMES = {"applied", "duplicate", "stale"}


def _kill_when_loaded(server: Server, database: Database) -> float:
    """SIGKILL the server once enough events are in the log; returns when."""
    deadline = time.monotonic() + SETTLE_LIMIT_SECONDS
    while max_seq(database) < MIN_EVENTS_BEFORE_KILL and time.monotonic() < deadline:
        time.sleep(0.1)
    killed_at = time.time()
    server.kill()
    return killed_at


def _customer_readable(server: Server, api_key: str, customer_id: str) -> bool:
    request = urllib.request.Request(
        f"{server.base_url}/api/v1/customers/{customer_id}", headers={"x-api-key": api_key}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError:
        return False


def _sent_bodies(requests_file: Path, indexes: list[int]) -> dict[int, bytes]:
    wanted = set(indexes)
    last = max(indexes, default=-1)
    events = itertools.islice(read_requests(requests_file), last + 1)
    return {i: event.body for i, event in enumerate(events) if i in wanted}


def _verify(
    database: Database, server: Server, api_key: str, load: dict[str, Any], requests_file: Path
) -> dict[str, Any]:
    acks: list[tuple[int, int]] = [tuple(pair) for pair in load["acks"]]
    probes = [p for p in load["probes"] if p.get("ack_status") == 200]
    seqs = [seq for _, seq in acks] + [p["seq"] for p in probes]
    stored = stored_events(database, seqs)
    sent = _sent_bodies(requests_file, [index for index, _ in acks])
    altered = [seq for index, seq in acks if seq in stored and stored[seq][0] != sent[index]]
    drained = wait_drained(database, SETTLE_LIMIT_SECONDS)
    after = stored_events(database, seqs)
    unapplied = [seq for seq, (_, outcome) in after.items() if outcome not in FINAL_OUTCOMES]
    unreadable = [p["id"] for p in probes if not _customer_readable(server, api_key, p["id"])]
    return {
        "acknowledged": len(seqs),
        "acknowledged_probes": len(probes),
        "missing_after_restart": len([seq for seq in seqs if seq not in stored]),
        "bytes_differ": len(altered),
        "drained_in_s": drained,
        "not_applied": len(unapplied),
        "probes_not_readable": len(unreadable),
        "failed_requests_at_kill": load["not_ok"] + load["unanswered"],
    }


def kill_test(kind: str, workers: int, requests_file: Path, workdir: Path) -> dict[str, Any]:
    """Load, SIGKILL, restart, verify; the verdict is in ``passed``."""
    database = Database.create(kind)
    try:
        store = create_store(database)
        server = start_winback(database, workers, workdir / "logs")
        target = Target(server, store["store_id"], store["api_key"])
        plan = FixedRate(
            KILL_RATE,
            LOAD_SECONDS,
            requests_file,
            0,
            probes=60,
            probe_tag=f"kill{kind}",
            record_acks=True,
            drain_seconds=3.0,
        )
        command, out_file = fixed_rate_command(target, plan, workdir)
        with subprocess.Popen(command) as loadgen:
            killed_at = _kill_when_loaded(server, database)
            loadgen.wait(timeout=LOAD_SECONDS + 60)
        load = json.loads(out_file.read_text())
        print(f"[{kind} kill test] killed at {killed_at:.3f}, {load['ok']} events acknowledged")
        restarted = start_winback(database, workers, workdir / "logs")
        try:
            result = _verify(database, restarted, store["api_key"], load, requests_file)
        finally:
            restarted.stop()
    finally:
        database.drop()
    result["passed"] = (
        result["acknowledged"] > 0
        and result["missing_after_restart"] == 0
        and result["bytes_differ"] == 0
        and result["not_applied"] == 0
        and result["probes_not_readable"] == 0
    )
    print(f"[{kind} kill test] {json.dumps(result)}", flush=True)
    return result
