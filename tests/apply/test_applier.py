"""The applier: a batch that fails is applied one event at a time, and every outcome counts."""

from __future__ import annotations

from prometheus_client import REGISTRY
from sqlalchemy import Engine, select

from tests.rawevents import webhook_event
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
