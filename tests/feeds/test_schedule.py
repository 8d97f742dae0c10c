"""The schedule and the one-sync-per-store rule, with the queue of a live server."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select, update

from tests.conftest import LiveServer
from tests.feeds.conftest import FeedHost, Shop, feed_settings
from winback.storage.feeds import sync_lock
from winback.storage.schema import feeds

FEED = b"id,title,link,price\nMUG,Mug,https://shop.example/mug,12.90 USD\nJUG,Jug,https://s/j,2\n"


def schedule_runs(shop: Shop) -> list[dict[str, object]]:
    runs = shop.get("/api/v1/feed").json()["runs"]
    return [run for run in runs if run["trigger"] == "schedule"]


def test_a_due_feed_is_synced_by_the_queue_of_a_server_started_after_it_came_due(
    shop: Shop, feed_host: FeedHost, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    shop.put_feed(feed_host.serve(FEED))
    with engine.begin() as conn:
        conn.execute(
            update(feeds)
            .where(feeds.c.store_id == shop.store_id)
            .values(next_run_at=datetime.now(UTC) - timedelta(hours=2))
        )

    restarted = LiveServer(feed_settings(database_url, tmp_path))
    restarted.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not schedule_runs(shop):
            time.sleep(0.1)
        [queued] = schedule_runs(shop)
        run = shop.wait_for_run(int(str(queued["id"])))
    finally:
        restarted.stop()

    assert (run["status"], run["created"]) == ("succeeded", 2)
    assert len(schedule_runs(shop)) == 1
    with engine.connect() as conn:
        next_run_at = conn.execute(
            select(feeds.c.next_run_at).where(feeds.c.store_id == shop.store_id)
        ).scalar_one()
    assert timedelta(hours=23) < next_run_at - datetime.now(UTC) <= timedelta(hours=24)


def test_a_feed_not_yet_due_is_left_alone(shop: Shop, feed_host: FeedHost) -> None:
    url = feed_host.serve(FEED)
    shop.put_feed(url, schedule_hours=1)

    time.sleep(0.5)

    assert shop.get("/api/v1/feed").json()["runs"] == []
    assert feed_host.requests_to(url) == []


def test_a_sync_asked_for_while_another_runs_is_recorded_as_skipped(
    shop: Shop, feed_host: FeedHost, engine: Engine
) -> None:
    url = feed_host.serve(FEED)
    shop.put_feed(url)

    with sync_lock(engine, shop.store_id) as held:
        assert held
        run = shop.sync()

    assert (run["status"], run["reason"]) == ("skipped", "another sync of this store was running")
    assert feed_host.requests_to(url) == []
    assert shop.get("/api/v1/products/MUG").status_code == 404


def test_two_syncs_queued_at_once_never_run_together(shop: Shop, feed_host: FeedHost) -> None:
    shop.put_feed(feed_host.serve(FEED, drip=0.2))

    queued = [shop.post("/api/v1/feed/sync").json()["run"]["id"] for _ in range(2)]
    runs = [shop.wait_for_run(run_id) for run_id in queued]

    assert sorted(run["status"] for run in runs) == ["skipped", "succeeded"]
    done = next(run for run in runs if run["status"] == "succeeded")
    skipped = next(run for run in runs if run["status"] == "skipped")
    assert done["started_at"] <= skipped["started_at"] <= done["finished_at"]
