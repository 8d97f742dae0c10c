"""Which record an address names, when several records hold it, is the same in every
run and every batching: the one with the first id."""

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
