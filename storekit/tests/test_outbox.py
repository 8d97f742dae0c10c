"""The outbox against a real HTTP server playing winback: delivery, retries, order, restarts."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fake_winback import FakeWinback, Reply, fast_settings, free_port, wait_until
from winback_storekit import Outbox, OutboxEvent


def test_an_event_is_delivered_with_the_contract_headers_and_its_json_body(
    winback: FakeWinback, outbox_path: Path
) -> None:
    payload = {"id": 42, "email": "ann@example.com", "total_price": Decimal("129.90")}
    with Outbox(fast_settings(winback.base_url, outbox_path)) as outbox:
        before = int(time.time())
        outbox.send("orders/create", payload)
        after = int(time.time())
        assert outbox.flush(5) is True
        stats = outbox.stats()

    [request] = winback.requests()
    assert request.path == "/webhooks/store/store-1"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-event-type"] == "orders/create"
    assert request.headers["x-token"] == "secret-key"
    assert request.headers["x-domain"] == "shop.example"
    assert request.headers["x-platform"] == "custom"
    assert before <= int(request.headers["x-event-time"]) <= after
    assert request.body == {"id": 42, "email": "ann@example.com", "total_price": "129.90"}
    assert (stats.pending, stats.delivered, stats.failed, stats.given_up) == (0, 1, 0, 0)


def test_an_explicit_event_time_is_sent_for_back_filled_events(
    winback: FakeWinback, outbox_path: Path
) -> None:
    with Outbox(fast_settings(winback.base_url, outbox_path)) as outbox:
        outbox.send("customers/update", {"id": 7, "email": "bo@example.com"}, event_time=1.7e9)
        assert outbox.flush(5)

    assert winback.requests()[0].headers["x-event-time"] == "1700000000"


def test_a_500_is_retried_until_winback_accepts_the_event(
    winback: FakeWinback, outbox_path: Path
) -> None:
    winback.queue(Reply(500, b"database restarting"), Reply(503, b"busy"))
    with Outbox(fast_settings(winback.base_url, outbox_path)) as outbox:
        outbox.send("customers/create", {"id": 1, "email": "ann@example.com"})
        assert outbox.flush(5)
        [event] = outbox.events()

    assert [request.status for request in winback.requests()] == [500, 503, 200]
    assert all(r.body == {"id": 1, "email": "ann@example.com"} for r in winback.requests())
    assert (event.status, event.attempts) == ("delivered", 3)
    assert event.last_error == "HTTP 503: busy"


def test_a_server_that_hangs_past_the_timeout_gets_the_event_again(
    winback: FakeWinback, outbox_path: Path
) -> None:
    winback.queue(Reply(200, delay=3.0))
    with Outbox(fast_settings(winback.base_url, outbox_path, timeout=0.5)) as outbox:
        outbox.send("products/update", {"id": "sku-1", "title": "Mug"})
        assert outbox.flush(5)
        [event] = outbox.events()

    assert len(winback.requests()) == 2
    assert (event.status, event.attempts) == ("delivered", 2)
    assert event.last_error is not None and event.last_error.startswith("timed out")


def test_a_429_holds_its_entity_for_retry_after_while_other_entities_keep_flowing(
    winback: FakeWinback, outbox_path: Path
) -> None:
    winback.queue(Reply(429, b"slow down", headers={"Retry-After": "1"}))
    with Outbox(fast_settings(winback.base_url, outbox_path)) as outbox:
        outbox.send("customers/update", {"id": "c1", "version": 1})
        wait_until(lambda: len(winback.requests()) == 1)
        outbox.send("customers/update", {"id": "c1", "version": 2})
        outbox.send("customers/update", {"id": "c2", "version": 1})
        assert outbox.flush(5)

    requests = winback.requests()
    assert [(r.body["id"], r.body["version"], r.status) for r in requests] == [
        ("c1", 1, 429),
        ("c2", 1, 200),
        ("c1", 1, 200),
        ("c1", 2, 200),
    ]
    assert requests[2].at - requests[0].at >= 1.0


def test_a_400_parks_the_event_as_failed_and_everything_else_keeps_flowing(
    winback: FakeWinback, outbox_path: Path
) -> None:
    def refuse_the_bad_order(path: str, headers: dict[str, str], body: dict[str, Any]) -> Reply:
        if headers["x-event-type"] == "orders/create" and body["id"] == "bad":
            return Reply(400, b'{"pointer": "/created_at", "reason": "missing"}')
        return Reply()

    winback.responder = refuse_the_bad_order
    reported: list[OutboxEvent] = []
    with Outbox(fast_settings(winback.base_url, outbox_path), reported.append) as outbox:
        outbox.send("orders/create", {"id": "bad"})
        outbox.send("orders/update", {"id": "bad", "created_at": "2024-05-01T10:00:00Z"})
        outbox.send("orders/create", {"id": "good"})
        outbox.send("customers/create", {"email": "ann@example.com"})
        assert outbox.flush(5)
        stats = outbox.stats()
        [parked] = outbox.undelivered()

    bad_requests = [
        r
        for r in winback.requests()
        if r.headers["x-event-type"] == "orders/create" and r.body.get("id") == "bad"
    ]
    assert len(bad_requests) == 1
    assert (stats.pending, stats.delivered, stats.failed, stats.given_up) == (0, 3, 1, 0)
    assert parked.status == "failed"
    assert parked.last_error == 'HTTP 400: {"pointer": "/created_at", "reason": "missing"}'
    assert [(event.id, event.status) for event in reported] == [(parked.id, "failed")]
    delivered = {(r.headers["x-event-type"], json.dumps(r.body)) for r in winback.accepted()}
    assert delivered == {
        ("orders/update", '{"id": "bad", "created_at": "2024-05-01T10:00:00Z"}'),
        ("orders/create", '{"id": "good"}'),
        ("customers/create", '{"email": "ann@example.com"}'),
    }


def test_events_of_one_entity_arrive_in_the_order_sent_even_when_the_first_is_retried(
    winback: FakeWinback, outbox_path: Path
) -> None:
    winback.queue(Reply(500), Reply(500), Reply(502))
    with Outbox(fast_settings(winback.base_url, outbox_path, workers=4)) as outbox:
        for version in range(1, 6):
            outbox.send("carts/update", {"id": "cart-9", "version": version})
        assert outbox.flush(5)

    versions = [(r.body["version"], r.status) for r in winback.requests()]
    assert versions == [(1, 500), (1, 500), (1, 502)] + [(v, 200) for v in range(1, 6)]


def test_two_outboxes_sharing_one_file_still_keep_each_entitys_order(
    winback: FakeWinback, outbox_path: Path
) -> None:
    winback.queue(Reply(500), Reply(500))
    settings = fast_settings(winback.base_url, outbox_path)
    with Outbox(settings) as first, Outbox(settings) as second:
        for version in range(1, 7):
            sender = first if version % 2 else second
            sender.send("customers/update", {"id": "c1", "version": version})
        assert first.flush(5) and second.flush(5)

    versions = [(r.body["version"], r.status) for r in winback.requests()]
    assert versions == [(1, 500), (1, 500)] + [(v, 200) for v in range(1, 7)]


def test_pending_events_survive_a_restart_and_are_delivered_by_the_next_outbox(
    outbox_path: Path,
) -> None:
    port = free_port()
    settings = fast_settings(f"http://127.0.0.1:{port}", outbox_path)
    first = Outbox(settings)
    first.send("customers/create", {"id": 1, "email": "ann@example.com"})
    first.send("customers/update", {"id": 1, "first_name": "Ann"})
    first.send("orders/create", {"id": 500})
    wait_until(lambda: first.events()[0].attempts >= 2)
    assert first.flush(0.1) is False
    assert first.stats().pending == 3
    first.close()

    winback = FakeWinback(port)
    try:
        with Outbox(settings) as second:
            assert second.flush(5)
        received = [(r.headers["x-event-type"], r.body["id"]) for r in winback.accepted()]
    finally:
        winback.stop()

    assert sorted(received) == [
        ("customers/create", 1),
        ("customers/update", 1),
        ("orders/create", 500),
    ]
    customer_events = [kind for kind, _ in received if kind.startswith("customers")]
    assert customer_events == ["customers/create", "customers/update"]


def test_an_event_still_failing_after_the_horizon_is_given_up_and_reported(
    winback: FakeWinback, outbox_path: Path
) -> None:
    winback.responder = lambda path, headers, body: Reply(500, b"down for maintenance")
    reported: list[OutboxEvent] = []
    given_up = threading.Event()

    def report(event: OutboxEvent) -> None:
        reported.append(event)
        given_up.set()

    with Outbox(fast_settings(winback.base_url, outbox_path, horizon=0.3), report) as outbox:
        sent_at = time.time()
        outbox.send("newsletter/subscribe", {"email": "ann@example.com"})
        assert given_up.wait(5)
        attempts_when_given_up = len(winback.requests())
        time.sleep(0.2)
        stats = outbox.stats()

    [event] = reported
    assert event.status == "given_up"
    assert event.last_error == "gave up after the horizon: HTTP 500: down for maintenance"
    assert event.attempts == attempts_when_given_up >= 2
    assert winback.requests()[-1].at - sent_at >= 0.25
    assert len(winback.requests()) == attempts_when_given_up
    assert (stats.pending, stats.given_up) == (0, 1)


def test_a_given_up_event_can_be_requeued_and_then_delivered(
    winback: FakeWinback, outbox_path: Path
) -> None:
    winback.queue(Reply(401, b"bad key"))
    with Outbox(fast_settings(winback.base_url, outbox_path)) as outbox:
        event_id = outbox.send("orders/create", {"id": 3})
        assert outbox.flush(5)
        assert outbox.requeue([event_id]) == 1
        assert outbox.flush(5)
        [event] = outbox.events()

    assert [r.status for r in winback.requests()] == [401, 200]
    assert event.status == "delivered"


def test_send_refuses_a_payload_that_cannot_be_json_and_stores_nothing(
    winback: FakeWinback, outbox_path: Path
) -> None:
    with Outbox(fast_settings(winback.base_url, outbox_path)) as outbox:
        with pytest.raises(TypeError):
            outbox.send("orders/create", {"id": 1, "placed": object()})
        with pytest.raises(ValueError):
            outbox.send("orders/create", {"id": 1, "total": float("nan")})
        with pytest.raises(ValueError):
            outbox.send("", {"id": 1})
        assert outbox.events() == []


def test_the_outbox_file_is_kept_in_wal_mode(winback: FakeWinback, outbox_path: Path) -> None:
    with Outbox(fast_settings(winback.base_url, outbox_path)):
        pass
    with sqlite3.connect(outbox_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_send_after_close_is_refused(winback: FakeWinback, outbox_path: Path) -> None:
    outbox = Outbox(fast_settings(winback.base_url, outbox_path))
    outbox.close()
    with pytest.raises(RuntimeError):
        outbox.send("orders/create", {"id": 1})
