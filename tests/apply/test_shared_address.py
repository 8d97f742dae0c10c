"""Which record an address (or a point-of-sale id) names, when several records hold
it, is the same in every run and every batching: the one with the first id."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from tests.apply.histories import Delivery, deliver, fresh_store, snapshot

START = datetime(2026, 1, 1, tzinfo=UTC)


def _at(minute: int) -> datetime:
    return START + timedelta(minutes=minute)


def _customer(external_id: str, minute: int) -> Delivery:
    body = {"id": external_id, "email": "x@example.com", "updated_at": _at(minute).isoformat()}
    return ("customers/update", body, _at(minute))


SIGN_UP: Delivery = ("newsletter/subscribe", {"email": "x@example.com", "first_name": "Bo"}, _at(3))


def test_a_sign_up_of_an_address_two_customers_hold_goes_to_the_first_id_every_time(
    engine: Engine,
) -> None:
    # Given two customers with one address (c2 created first: uids are random, and the
    # order records are made or read in must not matter either), then a sign-up
    for history in (
        [_customer("c2", 1), _customer("c1", 2)],
        [_customer("c1", 1), _customer("c2", 2)],
    ):
        for batch_size, _ in itertools.product((1, 5), range(3)):
            store_id = fresh_store(engine)
            deliver(engine, store_id, [*history, SIGN_UP], batch_size=batch_size)
            # Then the sign-up's name is always c1's
            names = {row[0]: row[2] for row in snapshot(engine, store_id)["customers"]}
            assert names == {b'"c1"': b'"Bo"', b'"c2"': b"null"}, (history, batch_size)


def _with_pos_id(external_id: str, minute: int) -> Delivery:
    body = {
        "id": external_id,
        "email": f"{external_id}@example.com",
        "pos_id": "7",
        "updated_at": _at(minute).isoformat(),
    }
    return ("customers/update", body, _at(minute))


COUNTER_SALE: Delivery = (
    "orders/create",
    {"id": "o1", "created_at": _at(3).isoformat(), "customer": {"pos_id": "7"}},
    _at(3),
)


def test_an_order_naming_a_pos_id_two_customers_hold_goes_to_the_first_id_every_time(
    engine: Engine,
) -> None:
    histories = (
        [_with_pos_id("c2", 1), _with_pos_id("c1", 2)],
        [
            _with_pos_id("c1", 1),
            _with_pos_id("c2", 2),
        ],
    )
    for history in histories:
        for batch_size, _ in itertools.product((1, 5), range(3)):
            store_id = fresh_store(engine)
            deliver(engine, store_id, [*history, COUNTER_SALE], batch_size=batch_size)
            (order,) = snapshot(engine, store_id)["orders"]
            assert order[1] == "c1", (history, batch_size)
