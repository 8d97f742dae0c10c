"""Two versions of one customer with the same time: one is kept whole, the same
whichever arrives first, and the other is logged stale, in a batch or not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from tests.apply.histories import deliver, fresh_store
from winback.storage.schema import customers, raw_events

AT = datetime(2026, 11, 21, tzinfo=UTC)


def _version(name: str) -> tuple[str, dict[str, str], datetime]:
    body = {"id": "c1", "email": f"{name.lower()}@example.com", "first_name": name}
    return ("customers/update", body | {"updated_at": AT.isoformat()}, AT)


def _outcomes_and_name(engine: Engine, store_id: str) -> tuple[list[str], str]:
    with engine.connect() as conn:
        outcomes = conn.execute(
            select(raw_events.c.outcome)
            .where(raw_events.c.store_id == store_id)
            .order_by(raw_events.c.seq)
        ).scalars()
        name = conn.execute(
            select(customers.c.first_name).where(customers.c.store_id == store_id)
        ).scalar_one()
    return list(outcomes), name


@pytest.mark.parametrize("batch_size", [1, 5])
def test_the_version_that_loses_a_tie_is_stale_in_either_order_and_any_batch(
    engine: Engine, batch_size: int
) -> None:
    ends = []
    for names in (("Bob", "Alice"), ("Alice", "Bob")):
        store_id = fresh_store(engine)
        # (the customer stored before, as a batch finds most)
        deliver(
            engine,
            store_id,
            [("customers/create", {"id": "c1", "email": "c1@example.com"}, AT - timedelta(days=1))],
        )
        deliver(engine, store_id, [_version(name) for name in names], batch_size)
        ends.append((names, *_outcomes_and_name(engine, store_id)))

    [kept] = {name for _, _, name in ends}
    for names, outcomes, _ in ends:
        expected = ["applied", "stale"] if names[0] == kept else ["applied", "applied"]
        expected = ["applied", *expected]
        assert outcomes == expected, (names, outcomes)
