"""A customer who moves from address to address, subscribing or unsubscribing the
address they have on the way: any delivery order of such a history ends as the time
order does, in what the store sees (the customer's fields and the list).

Each move is to an address the customer never had, and each address changes once
by a newsletter event, while the customer has it. Beyond that are known limits
(docs/integration.md, "Newsletter"): an address's consent is kept as its last
change, so one told out of order can hide an earlier one that a move carried."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tests.apply.histories import START, Delivery, deliver, difference, fresh_store, snapshot


def _address(n: int) -> str:
    return f"a{n}@example.com"


@st.composite
def moves_and_consent(draw: st.DrawFn) -> list[Delivery]:
    """c1 at a0 first, then moves (each to a new address) and consent changes of the
    addresses c1 has by then, one minute apart."""
    history: list[Delivery] = []
    changed: set[str] = set()
    addresses = 1
    flag = draw(st.sampled_from([True, False, None]))
    first = {"id": "c1", "email": _address(0), "accepts_marketing": flag}
    history.append(("customers/update", first | {"updated_at": START.isoformat()}, START))
    steps = draw(st.lists(st.sampled_from(["move", "subscribe", "unsubscribe"]), max_size=6))
    for minute, step in enumerate(steps, start=1):
        at = START + timedelta(minutes=minute)
        if step == "move":
            body: dict[str, Any] = {
                "id": "c1",
                "email": _address(addresses),
                "updated_at": at.isoformat(),
            }
            history.append(("customers/update", body, at))
            addresses += 1
        else:
            address = _address(addresses - 1)
            if address not in changed:
                changed.add(address)
                history.append((f"newsletter/{step}", {"email": address}, at))
    return history


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=moves_and_consent(), data=st.data())
def test_moves_and_consent_changes_converge_in_any_order(
    engine: Engine, history: list[Delivery], data: st.DataObject
) -> None:
    clean_store = fresh_store(engine)
    deliver(engine, clean_store, history)
    messy = data.draw(st.permutations(history))
    messy_store = fresh_store(engine)
    deliver(engine, messy_store, messy, data.draw(st.sampled_from([1, len(messy)])))
    # What the store sees: each customer's fields (not the registers they are kept
    # in, which may hold different histories of the same value), and the list
    messy_state, clean_state = _seen(engine, messy_store), _seen(engine, clean_store)
    for table in ("customers", "suppressions"):
        assert messy_state[table] == clean_state[table], (
            difference(table, messy_state[table], clean_state[table])
            + f"\n{[(kind, body.get('email')) for kind, body, _ in messy]}"
        )


def _seen(engine: Engine, store_id: str) -> dict[str, list[tuple[Any, ...]]]:
    state = snapshot(engine, store_id)
    return {
        "customers": [row[:10] for row in state["customers"]],
        "suppressions": state["suppressions"],
    }
