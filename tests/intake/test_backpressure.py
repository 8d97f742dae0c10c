"""Back-pressure: acknowledgements wait while the applier is behind, up to a bound."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event, func, select

from tests.rawevents import webhook_event
from winback.apply.applier import Applier
from winback.config import ConfigError, load_settings
from winback.intake.backpressure import ApplyBackpressure
from winback.intake.rawlog import RawLogWriter, append_events
from winback.storage.schema import raw_events
from winback.stores.service import create_store


def _event_waiting_since(engine: Engine, seconds_ago: float) -> int:
    store, _ = create_store(engine, name="back-pressure")
    event = webhook_event(store.id, "customers/create", {"id": 1, "email": "ada@example.com"})
    received_at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    [seq] = append_events(engine, [dataclasses.replace(event, received_at=received_at)])
    return seq


def _pending(engine: Engine) -> int:
    with engine.connect() as conn:
        query = select(func.count()).where(raw_events.c.outcome == "pending")
        return int(conn.execute(query).scalar_one())


def test_nothing_waiting_holds_nothing(private_engine: Engine) -> None:
    assert ApplyBackpressure(private_engine, 0.5).hold() == 0.0


def test_an_event_waiting_less_than_the_limit_holds_nothing(private_engine: Engine) -> None:
    _event_waiting_since(private_engine, 0.0)

    assert ApplyBackpressure(private_engine, 30.0).hold() == 0.0


def test_an_event_waiting_past_the_limit_holds_the_writer_up_to_the_bound(
    private_engine: Engine,
) -> None:
    # (On the session's database a live server's applier would apply it first.)
    _event_waiting_since(private_engine, 5.0)

    held = ApplyBackpressure(private_engine, 0.5, max_hold_seconds=0.2).hold()

    assert held >= 0.2
    assert _pending(private_engine) == 1  # holding changes nothing stored


def test_the_hold_ends_once_the_applier_catches_up(private_engine: Engine) -> None:
    _event_waiting_since(private_engine, 5.0)
    applier = threading.Timer(0.1, Applier(private_engine).drain)
    applier.start()

    held = ApplyBackpressure(private_engine, 0.5, max_hold_seconds=30.0).hold()
    applier.join()

    assert 0.1 <= held < 30.0
    assert _pending(private_engine) == 0


def _counting_queries(engine: Engine) -> list[str]:
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return statements


def test_a_look_that_found_it_clear_is_trusted_for_a_poll_interval(
    private_engine: Engine,
) -> None:
    _event_waiting_since(private_engine, 0.3)
    trusting = ApplyBackpressure(private_engine, 0.5, poll_seconds=60.0)
    statements = _counting_queries(private_engine)

    assert not trusting.behind()  # waited 0.3 s of 0.5
    looked = len(statements)
    assert not trusting.behind()
    assert len(statements) == looked  # answered without a query


def test_once_the_interval_is_over_it_looks_again(private_engine: Engine) -> None:
    _event_waiting_since(private_engine, 0.5)
    backpressure = ApplyBackpressure(private_engine, 1.0, poll_seconds=0.05)
    statements = _counting_queries(private_engine)

    assert not backpressure.behind()  # waited 0.5 s of 1
    looked = len(statements)
    time.sleep(0.6)
    assert backpressure.behind()  # now past the limit, and seen to be
    assert len(statements) > looked


def test_an_old_event_committed_after_a_clear_look_is_seen_at_the_next(
    private_engine: Engine,
) -> None:
    # Given a look that found nothing pending
    backpressure = ApplyBackpressure(private_engine, 0.5, poll_seconds=0.05)
    assert not backpressure.behind()
    # When an event that waited 5 s in a writer's queue is committed
    _event_waiting_since(private_engine, 5.0)
    time.sleep(0.1)
    # Then the next look, one poll later, finds the applier behind
    assert backpressure.behind()


def test_a_limit_of_zero_turns_it_off(private_engine: Engine) -> None:
    _event_waiting_since(private_engine, 5.0)

    assert ApplyBackpressure(private_engine, 0.0).hold() == 0.0


def test_the_limit_is_read_from_the_environment_and_checked() -> None:
    assert load_settings({"WINBACK_APPLY_LAG_LIMIT_SECONDS": "2"}).apply_lag_limit_seconds == 2.0
    assert load_settings({}).apply_lag_limit_seconds == 0.5
    with pytest.raises(ConfigError, match="WINBACK_APPLY_LAG_LIMIT_SECONDS must be at least 0"):
        load_settings({"WINBACK_APPLY_LAG_LIMIT_SECONDS": "-1"})
    with pytest.raises(ConfigError, match="must be a number"):
        load_settings({"WINBACK_APPLY_LAG_LIMIT_SECONDS": "soon"})


def test_the_writer_commits_nothing_and_acknowledges_nothing_while_it_is_held(
    private_engine: Engine,
) -> None:
    store, _ = create_store(private_engine, name="held writer")
    released = threading.Event()
    writer = RawLogWriter(private_engine, hold=lambda: released.wait(30))
    acknowledged: list[int] = []
    sender = threading.Thread(
        target=lambda: acknowledged.append(
            asyncio.run(writer.append(webhook_event(store.id, "customers/create", {"id": 2})))
        )
    )
    try:
        sender.start()
        sender.join(timeout=0.3)
        while_held = (list(acknowledged), _pending(private_engine))
        released.set()
        sender.join(timeout=30)
    finally:
        released.set()
        writer.close()

    assert while_held == ([], 0)
    assert len(acknowledged) == 1 and _pending(private_engine) == 1
