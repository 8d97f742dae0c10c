"""Open-loop load at a fixed rate, in its own process: ``loadgen.py CONFIG.json OUT.json``.

Request i is due at ``start + i / rate`` whatever happened to the requests
before it; a request that waits for a free connection keeps waiting on the
clock. Its latency is measured from when it was due, not from when it was
written, so a stalled server shows up as latency instead of as a lower rate
(the "coordinated omission" of closed-loop tools such as wrk).

Beside the load, probes measure visibility: a customer with an id no other
event uses is sent, and from its 200 the read API is polled until the customer
appears. With ``record_acks`` every acknowledged event's index and sequence
number are kept, for the crash test to check against the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import uvloop
from httpclient import HttpConnection, connect, encode_request, fetch
from payloads import Event, probe_customer, read_requests
from stats import milliseconds, percentile

TICK_SECONDS = 0.001
RECONNECT_SECONDS = 0.1
PROBE_POLL_SECONDS = 0.025
PROBE_GIVE_UP_SECONDS = 10.0


@dataclass(frozen=True)
class Config:
    host: str
    port: int
    path: str
    token: str
    requests_file: str
    first: int
    count: int
    rate: float
    seconds: float
    connections: int = 256
    drain_seconds: float = 15.0
    probes: int = 0
    probe_tag: str = "p"
    record_acks: bool = False


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    acks: list[tuple[int, int]] = field(default_factory=list)
    completed: int = 0


def webhook_request(config: Config, event: Event) -> bytes:
    headers = {
        "Content-Type": "application/json",
        "x-event-type": event.event_type,
        "x-token": config.token,
    }
    return encode_request("POST", config.path, headers, event.body)


def load_requests(config: Config) -> list[bytes]:
    events = itertools.islice(read_requests(Path(config.requests_file)), config.first, None)
    return [webhook_request(config, event) for event in itertools.islice(events, config.count)]


class OpenLoop:
    """Sends ``requests`` on the clock over a pool of keep-alive connections."""

    def __init__(self, config: Config, requests: list[bytes]) -> None:
        self.config = config
        self.requests = requests
        self.total = min(len(requests), int(config.rate * config.seconds))
        self.tally = Tally()
        self.idle: list[HttpConnection] = []
        self.live: set[HttpConnection] = set()
        self.backlog: deque[int] = deque()
        self.start = 0.0
        self.all_done = asyncio.Event()

    def due_at(self, index: int) -> float:
        return self.start + index / self.config.rate

    def dispatch(self, index: int) -> None:
        if self.idle:
            self.send(self.idle.pop(), index)
        else:
            self.backlog.append(index)

    def send(self, conn: HttpConnection, index: int) -> None:
        conn.send(self.requests[index], lambda status, body: self.done(conn, index, status, body))

    def done(self, conn: HttpConnection, index: int, status: int, body: bytes) -> None:
        tally = self.tally
        tally.completed += 1
        tally.statuses[status] += 1
        if tally.completed >= self.total:
            self.all_done.set()
        if status == 200:
            tally.latencies.append(time.perf_counter() - self.due_at(index))
            if self.config.record_acks:
                tally.acks.append((self.config.first + index, orjson.loads(body)["event_id"]))
        if not conn.usable:
            # A failed request leaves its connection unusable: never hand it work again.
            conn.close()
            self.live.discard(conn)
        elif self.backlog:
            self.send(conn, self.backlog.popleft())
        else:
            self.idle.append(conn)

    async def fill_pool(self, deadline: float) -> None:
        """Keep ``connections`` connections open (re-opened after a server restart)."""
        while time.perf_counter() < deadline:
            while len(self.live) < self.config.connections:
                try:
                    conn = await connect(self.config.host, self.config.port)
                except OSError:
                    break
                self.live.add(conn)
                if self.backlog:
                    self.send(conn, self.backlog.popleft())
                else:
                    self.idle.append(conn)
            self.idle = [conn for conn in self.idle if conn.usable]
            self.live = {conn for conn in self.live if conn.usable}
            await asyncio.sleep(RECONNECT_SECONDS)

    async def schedule(self) -> None:
        sent = 0
        while sent < self.total:
            due = min(self.total, int((time.perf_counter() - self.start) * self.config.rate) + 1)
            for index in range(sent, due):
                self.dispatch(index)
            sent = due
            await asyncio.sleep(TICK_SECONDS)

    async def finish(self) -> None:
        """Wait for the answers still due, at most ``drain_seconds``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_done.wait(), self.config.drain_seconds)

    async def run(self) -> dict[str, Any]:
        self.start = time.perf_counter() + 0.2
        end = self.start + self.config.seconds + self.config.drain_seconds
        pool = asyncio.create_task(self.fill_pool(end))
        await asyncio.sleep(self.start - time.perf_counter())
        started_wall = time.time()
        await self.schedule()
        scheduled_wall = time.time()
        await self.finish()
        pool.cancel()
        return self.summary(started_wall, scheduled_wall)

    def summary(self, started_wall: float, scheduled_wall: float) -> dict[str, Any]:
        tally = self.tally
        ok = tally.statuses.get(200, 0)
        return {
            "scheduled": self.total,
            "completed": tally.completed,
            "unanswered": self.total - tally.completed,
            "ok": ok,
            "not_ok": tally.completed - ok,
            "statuses": {str(status): n for status, n in sorted(tally.statuses.items())},
            "started_wall": started_wall,
            "scheduled_wall": scheduled_wall,
            "offered_rate": self.total / max(scheduled_wall - started_wall, 1e-9),
            "ack_rate": ok / max(scheduled_wall - started_wall, 1e-9),
            "p50_ms": milliseconds(percentile(tally.latencies, 0.50)),
            "p90_ms": milliseconds(percentile(tally.latencies, 0.90)),
            "p99_ms": milliseconds(percentile(tally.latencies, 0.99)),
            "max_ms": milliseconds(max(tally.latencies, default=None)),
            "acks": tally.acks,
        }


class Probes:
    """Times how long an acknowledged customer takes to appear on the read API."""

    def __init__(self, config: Config, api_key: str) -> None:
        self.config = config
        self.api_key = api_key
        self.results: list[dict[str, Any]] = []

    async def run(self) -> None:
        if self.config.probes <= 0:
            return
        spacing = self.config.seconds / self.config.probes
        tasks = []
        for number in range(self.config.probes):
            tasks.append(asyncio.create_task(self.probe(number)))
            await asyncio.sleep(spacing)
        await asyncio.gather(*tasks)

    async def probe(self, number: int) -> None:
        event = probe_customer(self.config.probe_tag, number)
        customer_id = orjson.loads(event.body)["id"]
        try:
            conn = await connect(self.config.host, self.config.port)
        except OSError:
            self.results.append({"id": customer_id, "ack_status": 0})
            return
        sent = time.perf_counter()
        status, body = await fetch(conn, webhook_request(self.config, event), 30.0)
        acked = time.perf_counter()
        result: dict[str, Any] = {"id": customer_id, "ack_status": status}
        result["ack_ms"] = round((acked - sent) * 1000, 2)
        if status == 200:
            result["seq"] = orjson.loads(body)["event_id"]
            result["visible_ms"] = await self.visible_after(conn, customer_id, acked)
        conn.close()
        self.results.append(result)

    async def visible_after(self, conn: HttpConnection, customer_id: str, acked: float) -> float:
        """Milliseconds from the 200 to the first read that finds the customer (-1: never)."""
        request = encode_request(
            "GET", f"/api/v1/customers/{customer_id}", {"x-api-key": self.api_key}
        )
        while time.perf_counter() - acked < PROBE_GIVE_UP_SECONDS:
            if not conn.usable:
                try:
                    conn = await connect(self.config.host, self.config.port)
                except OSError:
                    # The server is down (the crash test): keep trying until give-up time.
                    await asyncio.sleep(PROBE_POLL_SECONDS)
                    continue
            status, _ = await fetch(conn, request, PROBE_GIVE_UP_SECONDS)
            if status == 200:
                return round((time.perf_counter() - acked) * 1000, 2)
            await asyncio.sleep(PROBE_POLL_SECONDS)
        return -1.0


async def run(config: Config) -> dict[str, Any]:
    requests = load_requests(config)
    load = OpenLoop(config, requests)
    probes = Probes(config, config.token)
    summary: dict[str, Any]
    summary, _ = await asyncio.gather(load.run(), probes.run())
    summary["probes"] = probes.results
    return summary


def main() -> None:
    config = Config(**orjson.loads(Path(sys.argv[1]).read_bytes()))
    result = uvloop.run(run(config))
    Path(sys.argv[2]).write_bytes(orjson.dumps(result))


if __name__ == "__main__":
    main()
