"""The intake's checked payloads, handed to the applier of the same process by sequence number."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import Engine

from tests.rawevents import webhook_event
from winback.apply.applier import Applier
from winback.intake.checked import CheckedEvent, CheckedEvents
from winback.intake.rawlog import RawEvent, RawLogWriter, append_events
from winback.intake.topics import Topic
from winback.intake.validation import parse_payload
from winback.storage.reads import customers_by_email
from winback.stores.service import create_store


def _customer_event(store_id: str, email: str) -> tuple[RawEvent, CheckedEvent]:
    body = {"id": email.split("@")[0], "email": email, "first_name": "Ada"}
    event = webhook_event(store_id, "customers/create", body)
    return event, CheckedEvent(body, parse_payload(Topic.CUSTOMER_CREATE, body))


def _appended(writer: RawLogWriter, event: RawEvent, checked: CheckedEvent) -> int:
    """``writer.append`` awaited on an event loop of its own thread, as a request's is
    (this test's thread may already run a loop another test left behind)."""
    seqs: list[int] = []
    thread = threading.Thread(
        target=lambda: seqs.append(asyncio.run(writer.append(event, checked)))
    )
    thread.start()
    thread.join(timeout=30)
    return seqs[0]


def _first_names(engine: Engine, store_id: str, *emails: str) -> list[str | None]:
    with engine.connect() as conn:
        return [customers_by_email(conn, store_id, email)[0].first_name for email in emails]


def test_beyond_its_capacity_the_oldest_checked_event_is_let_go() -> None:
    held = CheckedEvents(capacity=2)
    one, two, three = (CheckedEvent({"n": n}, None) for n in range(3))
    held.put(1, one)
    held.put(2, two)
    held.put(3, three)

    assert held.take(1) is None
    assert held.take(3) is three
    assert held.take(3) is None  # taken once
    assert len(held) == 1


def test_the_applier_takes_what_the_writer_handed_over_and_parses_the_rest(
    private_engine: Engine,
) -> None:
    # (On the session's database a live server's applier could apply the events first.)
    engine = private_engine
    store, _ = create_store(engine, name="checked handoff")
    checked = CheckedEvents()
    writer = RawLogWriter(engine, checked=checked)
    handed, handed_checked = _customer_event(store.id, "ada@example.com")
    try:
        seq = _appended(writer, handed, handed_checked)
    finally:
        writer.close()
    # An event another process stored: nothing was handed over for it.
    [other_seq] = append_events(engine, [_customer_event(store.id, "grace@example.com")[0]])

    assert len(checked) == 1
    Applier(engine, checked=checked).drain()

    assert checked.take(seq) is None and checked.take(other_seq) is None
    assert _first_names(engine, store.id, "ada@example.com", "grace@example.com") == [
        "Ada",
        "Ada",
    ]
