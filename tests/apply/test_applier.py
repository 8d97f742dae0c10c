"""The applier: a batch that fails is applied one event at a time, and every outcome counts."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, select

from tests.rawevents import webhook_event
from winback.apply import applier as applier_module
from winback.apply.applier import Applier
from winback.intake.rawlog import append_events
from winback.storage.schema import raw_events
from winback.stores.service import create_store


def _applied(outcome: str) -> float:
    return REGISTRY.get_sample_value("winback_events_applied_total", {"outcome": outcome}) or 0.0


def test_an_event_that_cannot_be_applied_fails_alone_and_is_counted(engine: Engine) -> None:
    # Given a good event and, in the same batch, one whose store no longer exists
    store, _ = create_store(engine, name="applier")
    append_events(
        engine,
        [
            webhook_event(store.id, "customers/update", {"email": "ada@example.com"}),
            webhook_event("st_gone", "customers/update", {"email": "x@y.z"}),
        ],
    )
    failed_before, applied_before = _applied("failed"), _applied("applied")
    # When the applier runs
    Applier(engine).drain()
    # Then the good event is applied, the other failed with the error, and both are counted
    with engine.connect() as conn:
        rows = conn.execute(
            select(raw_events.c.store_id, raw_events.c.outcome, raw_events.c.reason).where(
                raw_events.c.store_id.in_([store.id, "st_gone"])
            )
        ).all()
    outcomes = {row.store_id: (row.outcome, row.reason) for row in rows}
    assert outcomes[store.id] == ("applied", None)
    assert outcomes["st_gone"][0] == "failed"
    assert "st_gone" in outcomes["st_gone"][1]
    # (other tests' pending events in the shared database may be applied alongside)
    assert _applied("failed") == failed_before + 1
    assert _applied("applied") >= applied_before + 1


def test_events_another_applier_took_meanwhile_are_not_applied_twice(
    engine: Engine, store_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a pending event, and an applier that reads it before taking the write lock
    [seq] = append_events(
        engine, [webhook_event(store_id, "customers/update", {"email": "lin@example.com"})]
    )
    first, second = Applier(engine), Applier(engine)
    parse = applier_module.parse_events
    applied_by_the_other: list[Any] = []

    def parse_then_let_the_other_apply(*args: Any) -> Any:
        parsed = parse(*args)
        monkeypatch.setattr(applier_module, "parse_events", parse)
        second.drain()  # the other applier takes the same event meanwhile
        applied_by_the_other.append(_outcome(engine, seq))
        return parsed

    monkeypatch.setattr(applier_module, "parse_events", parse_then_let_the_other_apply)
    # When the first applier goes on with what it read
    first.apply_pending()
    # Then the event stays as the other applier applied and recorded it
    assert applied_by_the_other[0][0] == "applied"
    assert _outcome(engine, seq) == applied_by_the_other[0]


def _outcome(engine: Engine, seq: int) -> tuple[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(
            select(raw_events.c.outcome, raw_events.c.applied_at).where(raw_events.c.seq == seq)
        ).one()
    return row.outcome, row.applied_at
