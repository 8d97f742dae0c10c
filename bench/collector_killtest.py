"""The collector's crash test: a 200 from /collect is a promise, even under SIGKILL.

    .venv/bin/python bench/collector_killtest.py [--db sqlite|postgresql|both]

Browser batches are sent at a fixed rate; every 200 answer's ``event_ids``
are kept with the events of the batch. Once 2,000 events are in the raw log,
every process of the server gets SIGKILL. winback is started again on the
same database, and each acknowledged event must be in the raw log with the
data that was sent, and must then be applied.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from typing import Any

import httpx
import orjson
from collector_bench import LIMITS, prepare
from intake_bench import OUT_DIR
from measure import max_seq, stored_events, wait_drained
from payloads import read_requests
from report import machine, write_results
from servers import Database, Server, create_store, start_winback

RATE = 600.0
SECONDS = 12.0
EVENTS_BEFORE_KILL = 2000
SETTLE_SECONDS = 60.0
FINAL_OUTCOMES = {"applied", "duplicate", "stale"}
PLAIN_TEXT = {"content-type": "text/plain;charset=UTF-8"}

Acked = list[tuple[int, dict[str, Any]]]  # (event id, the event as sent)


async def _send(url: str, bodies: list[bytes], acked: Acked) -> dict[str, int]:
    """Open loop at RATE; the events of every 200 are kept with their ids."""
    counts = {"ok": 0, "failed": 0}
    limits = httpx.Limits(max_connections=128)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def one(body: bytes) -> None:
            try:
                response = await client.post(
                    url, content=body, headers={"content-type": "text/plain"}
                )
            except httpx.HTTPError:
                counts["failed"] += 1
                return
            if response.status_code != 200:
                counts["failed"] += 1
                return
            counts["ok"] += 1
            events = orjson.loads(body)["events"]
            acked.extend(zip(response.json()["event_ids"], events, strict=True))

        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []
        for index, body in enumerate(bodies):
            due = start + index / RATE
            if due - start > SECONDS:
                break
            await asyncio.sleep(max(0.0, due - loop.time()))
            tasks.append(asyncio.create_task(one(body)))
        await asyncio.gather(*tasks)
    return counts


def _kill_when_loaded(server: Server, database: Database) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while max_seq(database) < EVENTS_BEFORE_KILL and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()


def _as_sent(stored: bytes, event: dict[str, Any]) -> bool:
    """The stored data is what the page sent (a cart may have been given its id)."""
    data = orjson.loads(stored)
    sent = event.get("data") or {}
    return all(data.get(key) == value for key, value in sent.items())


def kill_test(kind: str) -> dict[str, Any]:
    files, _ = prepare(30_000, 20_000)
    bodies = [event.body for event in read_requests(files.fixed)]
    database = Database.create(kind)
    database.env |= LIMITS
    try:
        store = create_store(database)
        server = start_winback(database, 1, OUT_DIR / "logs")
        acked: Acked = []
        url = f"{server.base_url}/collect/{store['store_id']}"
        counts: dict[str, int] = {}
        sender = threading.Thread(
            target=lambda: counts.update(asyncio.run(_send(url, bodies, acked)))
        )
        sender.start()
        _kill_when_loaded(server, database)
        sender.join()
        print(f"[{kind} collector kill test] killed; {len(acked)} events acknowledged")
        restarted = start_winback(database, 1, OUT_DIR / "logs")
        try:
            ids = [event_id for event_id, _ in acked]
            stored = stored_events(database, ids)
            altered = [i for i, event in acked if i in stored and not _as_sent(stored[i][0], event)]
            drained = wait_drained(database, SETTLE_SECONDS)
            after = stored_events(database, ids)
        finally:
            restarted.stop()
    finally:
        database.drop()
    result: dict[str, Any] = {
        "acknowledged_events": len(ids),
        "acknowledged_requests": counts.get("ok", 0),
        "requests_failed_after_the_kill": counts.get("failed", 0),
        "missing_after_restart": len([i for i in ids if i not in stored]),
        "data_differs": len(altered),
        "drained_in_s": drained,
        "not_applied": len(
            [i for i, (_, outcome) in after.items() if outcome not in FINAL_OUTCOMES]
        ),
    }
    result["passed"] = (
        result["acknowledged_events"] > 0
        and result["missing_after_restart"] == 0
        and result["data_differs"] == 0
        and result["not_applied"] == 0
    )
    print(f"[{kind} collector kill test] {orjson.dumps(result).decode()}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    started = machine()
    results = {kind: kill_test(kind) for kind in kinds}
    write_results("collector-kill-test", {"db": args.db}, started, results)


if __name__ == "__main__":
    main()
