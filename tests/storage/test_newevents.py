"""An applier in its own process is woken by appends to the raw log made elsewhere."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, select

from tests.conftest import POSTGRES_UP, POSTGRES_URL, _fresh_postgres_database
from tests.rawevents import webhook_event
from winback.apply import applier as applier_module
from winback.apply.applier import Applier
from winback.intake.rawlog import append_events
from winback.storage.engine import make_engine
from winback.storage.migrate import upgrade_to_head
from winback.storage.newevents import Commits, watch_commits
from winback.storage.schema import raw_events
from winback.stores.service import create_store


@pytest.fixture
def elsewhere(private_engine: Engine) -> Iterator[Engine]:
    """The same database through an engine of its own, as another process has."""
    other = make_engine(private_engine.url.render_as_string(hide_password=False))
    yield other
    other.dispose()


@pytest.fixture
def commits(private_engine: Engine) -> Iterator[Commits]:
    watch = watch_commits(private_engine)
    yield watch
    watch.close()


def _append_one(engine: Engine, store_id: str) -> int:
    event = webhook_event(store_id, "customers/create", {"id": 1, "email": "a@example.com"})
    return append_events(engine, [event])[0]


def _later(seconds: float, action: object) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        action()  # type: ignore[operator]

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_an_append_elsewhere_ends_the_wait(
    private_engine: Engine, elsewhere: Engine, commits: Commits
) -> None:
    store_id = create_store(private_engine, name="wake")[0].id
    commits.clear()
    appending = _later(0.2, lambda: _append_one(elsewhere, store_id))
    started = time.monotonic()
    woken = commits.wait(10)
    waited = time.monotonic() - started
    appending.join()
    assert woken
    assert 0.15 < waited < 5


def test_without_an_append_the_wait_times_out(private_engine: Engine, commits: Commits) -> None:
    commits.clear()
    started = time.monotonic()
    assert not commits.wait(0.3)
    assert time.monotonic() - started >= 0.25


def test_an_append_before_clear_does_not_count(
    private_engine: Engine, elsewhere: Engine, commits: Commits
) -> None:
    store_id = create_store(private_engine, name="wake")[0].id
    _append_one(elsewhere, store_id)
    # (a NOTIFY reaches the listener a moment after the commit: once it has, the
    # append is one the clear forgets, whichever database this is)
    assert commits.wait(10)
    commits.clear()
    assert not commits.wait(0.3)


def test_an_idle_applier_of_its_own_process_applies_an_append_made_elsewhere_at_once(
    private_engine: Engine,
    elsewhere: Engine,
    commits: Commits,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without the wake-up the idle applier would look again only after this long.
    monkeypatch.setattr(applier_module, "IDLE_WAIT_SECONDS", 60.0)
    store_id = create_store(private_engine, name="wake")[0].id
    applier = Applier(private_engine, work_out_first=True, wakeup=commits)
    stop = threading.Event()
    running = threading.Thread(target=applier.run, args=(stop,))
    running.start()
    try:
        time.sleep(0.3)  # it has looked, found nothing, and waits
        seq = _append_one(elsewhere, store_id)
        deadline = time.monotonic() + 10
        outcome = "pending"
        while outcome == "pending" and time.monotonic() < deadline:
            time.sleep(0.02)
            with private_engine.connect() as conn:
                outcome = conn.execute(
                    select(raw_events.c.outcome).where(raw_events.c.seq == seq)
                ).scalar_one()
        assert outcome == "applied"
    finally:
        stop.set()
        _append_one(elsewhere, store_id)  # wakes it to see the stop
        running.join(timeout=70)


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_UP, reason="PostgreSQL is not reachable")
def test_a_listener_whose_connection_was_cut_fails_then_listens_again_once_cleared() -> None:
    url = _fresh_postgres_database()
    engine = make_engine(url)
    upgrade_to_head(engine)
    store_id = create_store(engine, name="wake")[0].id
    commits = watch_commits(engine)
    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (url.rsplit("/", 1)[1],),
            )
        # the wait says the connection is gone (for the applier's loop to log and retry)
        with pytest.raises(psycopg.OperationalError):
            commits.wait(10)
        engine.dispose()  # (this test's own were cut too)

        # and the next clear listens on a new one
        commits.clear()
        appending = _later(0.2, lambda: _append_one(engine, store_id))
        woken = commits.wait(10)
        appending.join()
        assert woken
    finally:
        commits.close()
        engine.dispose()
