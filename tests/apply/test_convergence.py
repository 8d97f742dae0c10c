"""Any delivery of a history, with duplicates and in any order, ends in the same state."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from tests.apply.histories import (
    START,
    Delivery,
    deliver,
    difference,
    fresh_store,
    histories,
    snapshot,
)
from winback.storage.schema import (
    customers,
    former_emails,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories(), data=st.data())
def test_duplicated_and_reordered_deliveries_converge_to_the_clean_state(
    engine: Engine, history: list[tuple[str, dict[str, Any], datetime]], data: st.DataObject
) -> None:
    # Given the clean history applied in order
    clean_store = fresh_store(engine)
    deliver(engine, clean_store, history)
    # When the same events arrive shuffled, some of them several times, and are
    # applied in batches of another size (one at a time, or all in one)
    repeats = data.draw(st.lists(st.sampled_from(history), max_size=len(history)))
    messy = data.draw(st.permutations(history + repeats))
    messy_store = fresh_store(engine)
    deliver(engine, messy_store, messy, data.draw(st.sampled_from([1, 5, len(messy)])))
    # Then both stores hold exactly the same state (table by table, for a readable diff)
    messy_state, clean_state = snapshot(engine, messy_store), snapshot(engine, clean_store)
    assert messy_state.keys() == clean_state.keys()
    for table in clean_state:
        assert messy_state[table] == clean_state[table], difference(
            table, messy_state[table], clean_state[table]
        )


def _minutes(n: int) -> datetime:
    return START + timedelta(minutes=n)


def _micros(at: datetime) -> int:
    return round(at.timestamp() * 1_000_000)


def _every_order_ends_as_the_clean_one(
    engine: Engine, history: list[Delivery], batch_size: int = 5
) -> dict[str, Any]:
    clean_store = fresh_store(engine)
    deliver(engine, clean_store, history, batch_size)
    clean_state = snapshot(engine, clean_store)
    for order in itertools.permutations(history):
        messy_store = fresh_store(engine)
        deliver(engine, messy_store, list(order), batch_size)
        assert snapshot(engine, messy_store) == clean_state, [event for event, *_ in order]
    return clean_state


def _these_orders_end_as_the_clean_one(
    engine: Engine, history: list[Delivery], orders: list[tuple[int, ...]]
) -> dict[str, Any]:
    """As above, for the delivery orders given (as indexes into ``history``)."""
    clean_store = fresh_store(engine)
    deliver(engine, clean_store, history)
    clean_state = snapshot(engine, clean_store)
    for order in orders:
        messy_store = fresh_store(engine)
        deliver(engine, messy_store, [history[index] for index in order])
        assert snapshot(engine, messy_store) == clean_state, order
    return clean_state


def _customer(customer: str, minute: int, **fields: Any) -> Delivery:
    body = {
        "id": customer,
        "email": f"{customer}-0@example.com",
        "updated_at": _minutes(minute).isoformat(),
        **fields,
    }
    return "customers/update", body, _minutes(minute)


def _cart(customer: str, minute: int) -> Delivery:
    body = {
        "id": "k1",
        "updated_at": _minutes(minute).isoformat(),
        "customer": {"id": customer},
        "line_items": [{"product_id": "p1", "quantity": 1, "price": "1.10"}],
    }
    return "carts/update", body, _minutes(minute)


def _order(order_id: str, customer: str, placed: int, minute: int) -> Delivery:
    body = {
        "id": order_id,
        "created_at": _minutes(placed).isoformat(),
        "updated_at": _minutes(minute).isoformat(),
        "customer": {"id": customer},
        "email": f"{customer}-0@example.com",
        "line_items": [{"product_id": "p1", "quantity": 1, "price": "1.10"}],
    }
    return "orders/update", body, _minutes(minute)


def test_an_erased_id_taken_by_a_subscriber_erases_the_subscribers_past_in_any_order(
    engine: Engine,
) -> None:
    # Given a subscriber by email, an erasure by id, then that id with that email
    history = [
        ("newsletter/subscribe", {"email": "c2-0@example.com"}, _minutes(9)),
        ("customers/delete", {"id": "c2"}, _minutes(10)),
        _customer("c2", 11, last_name="v11"),
    ]
    # When they arrive in any order, then they end the same: one customer, with
    # nothing from before the erasure
    [customer] = _every_order_ends_as_the_clean_one(engine, history)["customers"]
    registers = orjson.loads(customer[10])["_registers"]
    assert customer[:2] == (b'"c2"', b'"c2-0@example.com"')
    assert "tags" not in registers and "implied" not in registers["email"]


def test_an_order_that_changes_hands_converts_the_first_buyers_cart_in_any_order(
    engine: Engine,
) -> None:
    # Given a cart of c1, an order of c1 after it, and a newer version giving it to c2
    history = [_cart("c1", 1), _order("o2", "c1", 2, 3), _order("o2", "c2", 2, 4)]
    # When they arrive in any order, one batch each, then c1's cart was bought and
    # o2 is c2's
    state = _every_order_ends_as_the_clean_one(engine, history, batch_size=1)
    assert [(row[0], row[1]) for row in state["carts"]] == [(b'"k1"', b'"converted"')]
    assert [row[1] for row in state["orders"]] == ["c2"]


def test_an_erasure_learned_late_reaches_the_contact_known_only_by_email_in_any_order(
    engine: Engine,
) -> None:
    # Given c2 with an email, a subscribe of that email, c2's erasure, then a cart of c2
    history = [
        _customer("c2", 6, last_name="v6"),
        ("newsletter/subscribe", {"email": "c2-0@example.com"}, _minutes(7)),
        ("customers/delete", {"id": "c2"}, _minutes(8)),
        _cart("c2", 9),
    ]
    # When they arrive in any order, then only the c2 of the cart is left, without
    # the erased email
    [customer] = _every_order_ends_as_the_clean_one(engine, history)["customers"]
    assert customer[:2] == (b'"c2"', b"null")


def test_an_unsubscribe_after_an_erasure_leaves_no_nameless_record_in_any_order(
    engine: Engine,
) -> None:
    # Given c1 with an email, c1's erasure, then an unsubscribe of that email
    history = [
        _customer("c1", 7),
        ("customers/delete", {"id": "c1"}, _minutes(8)),
        ("newsletter/unsubscribe", {"email": "c1-0@example.com"}, _minutes(9)),
    ]
    # When they arrive in any order, then no customer is left; the address stays suppressed
    state = _every_order_ends_as_the_clean_one(engine, history)
    assert state["customers"] == []
    assert state["suppressions"] == [(b'"c1-0@example.com"', b'"unsubscribed"')]


def test_a_cart_erased_with_its_later_shopper_still_saw_its_first_one_in_any_order(
    engine: Engine,
) -> None:
    # Given c1 known, c1's cart, the same cart later c2's, then c2's erasure
    history = [
        _customer("c1", 3),
        _cart("c1", 4),
        _cart("c2", 12),
        ("customers/delete", {"id": "c2"}, _minutes(13)),
    ]
    # When they arrive in any order, then c1 was seen with the cart; the cart is gone
    state = _every_order_ends_as_the_clean_one(engine, history)
    [customer] = state["customers"]
    assert orjson.loads(customer[10])["_seen"] is True
    assert state["carts"] == []


def test_a_cart_bought_by_an_order_since_deleted_stays_bought_in_any_order(
    engine: Engine,
) -> None:
    # Given a cart of c1, an order of c1 after it, then the order's deletion
    history = [
        _cart("c1", 0),
        _order("o1", "c1", 1, 1),
        ("orders/delete", {"id": "o1"}, _minutes(2)),
    ]
    # When they arrive in any order, one batch each, then the cart was bought
    state = _every_order_ends_as_the_clean_one(engine, history, batch_size=1)
    assert [(row[0], row[1]) for row in state["carts"]] == [(b'"k1"', b'"converted"')]
    assert state["orders"] == []


def test_an_order_updated_after_its_buyers_erasure_keeps_its_purchase_in_any_order(
    engine: Engine,
) -> None:
    # Given c1, c1's erasure, then a version of an order of c1 placed before it
    history = [
        _customer("c1", 0),
        ("customers/delete", {"id": "c1"}, _minutes(4)),
        _order("o1", "c1", 1, 5),
    ]
    # When they arrive in any order, one batch each, then the order's version after
    # the erasure names c1 as its buyer
    state = _every_order_ends_as_the_clean_one(engine, history, batch_size=1)
    [customer] = state["customers"]
    purchases = orjson.loads(customer[10])["_purchases"]
    assert purchases == {"o1": [_micros(_minutes(5)), _micros(_minutes(1))]}


def test_an_erasure_arriving_after_a_later_one_of_the_same_person_errs_towards_erasing(
    engine: Engine,
) -> None:
    # Given c1 with an email, c1's erasure, a subscribe of that email, c1's erasure again
    history = [
        _customer("c1", 5),
        ("customers/delete", {"id": "c1"}, _minutes(6)),
        ("newsletter/subscribe", {"email": "c1-0@example.com"}, _minutes(7)),
        ("customers/delete", {"id": "c1"}, _minutes(8)),
    ]
    clean_store = fresh_store(engine)
    deliver(engine, clean_store, history, batch_size=1)
    clean = snapshot(engine, clean_store)
    # Delivered in order, the subscriber (a new person after the first erasure) stays
    assert [row[:2] for row in clean["customers"]] == [(b"null", b'"c1-0@example.com"')]
    endings = set()
    for order in itertools.permutations(history):
        messy_store = fresh_store(engine)
        deliver(engine, messy_store, list(order), batch_size=1)
        messy = snapshot(engine, messy_store)
        # When the later erasure arrives first, it takes the subscription along with
        # c1 (then one person); the earlier one cannot give it back. Whatever the
        # order, nothing is kept that the clean delivery erased.
        assert set(messy["customers"]) <= set(clean["customers"])
        assert {table: rows for table, rows in messy.items() if table != "customers"} == {
            table: rows for table, rows in clean.items() if table != "customers"
        }
        endings.add(len(messy["customers"]))
    assert endings == {0, 1}


def test_an_order_without_an_address_keeps_none_of_its_erased_buyers_in_any_order(
    engine: Engine,
) -> None:
    # Given c1 with an email, c1's erasure, then an order of c1 that gives no address
    order_event, order_body, at = _order("o1", "c1", 5, 5)
    del order_body["email"]
    history = [
        _customer("c1", 3),
        ("customers/delete", {"id": "c1"}, _minutes(4)),
        (order_event, order_body, at),
    ]
    # When they arrive in any order, then the order holds no address and c1 none either
    state = _every_order_ends_as_the_clean_one(engine, history, batch_size=1)
    assert [row[2] for row in state["orders"]] == [b"null"]
    assert [row[:2] for row in state["customers"]] == [(b'"c1"', b"null")]


def _batches_end_as_one_at_a_time(
    engine: Engine, deliveries: list[Delivery], batch_size: int
) -> dict[str, Any]:
    """The same deliveries, in the same order, applied ``batch_size`` at a time and
    one at a time: both end in one state."""
    one_store, batched_store = fresh_store(engine), fresh_store(engine)
    deliver(engine, one_store, deliveries, batch_size=1)
    deliver(engine, batched_store, deliveries, batch_size)
    one_state, batched_state = snapshot(engine, one_store), snapshot(engine, batched_store)
    for table in one_state:
        assert batched_state[table] == one_state[table], difference(
            table, batched_state[table], one_state[table]
        )
    return one_state


@pytest.mark.parametrize("batch_size", [1, 5])
def test_a_product_named_by_sku_before_it_is_sent_is_one_product_in_any_order(
    engine: Engine, batch_size: int
) -> None:
    def order_of_mug(order_id: str, minute: int) -> Delivery:
        body = {
            "id": order_id,
            "created_at": _minutes(minute).isoformat(),
            "line_items": [{"sku": "MUG", "title": f"Mug {order_id}", "price": "1.10"}],
        }
        return "orders/create", body, _minutes(minute)

    mug = {"id": "55", "sku": "MUG", "title": "Mug", "price": "9.90"}
    history = [
        ("products/create", mug, _minutes(1)),
        order_of_mug("o1", 2),
        order_of_mug("o2", 3),
    ]

    clean_state = _every_order_ends_as_the_clean_one(engine, history, batch_size)

    assert [row[0] for row in clean_state["products"]] == [b'"55"']


@pytest.mark.parametrize("batch_size", [1, 5])
def test_appended_tags_and_replaced_ones_end_the_same_in_any_order(
    engine: Engine, batch_size: int
) -> None:
    def tags(minute: int, sent: str, *, append: bool) -> Delivery:
        body = {
            "id": "c1",
            "email": "c1-0@example.com",
            "updated_at": _minutes(minute).isoformat(),
            "tags": sent,
            "append_tags": append,
        }
        return "customers/update", body, _minutes(minute)

    history = [
        tags(1, "vip", append=False),
        tags(2, "gift", append=True),
        tags(3, "wholesale", append=False),
        tags(4, "new,wholesale", append=True),
    ]

    clean_state = _every_order_ends_as_the_clean_one(engine, history, batch_size)

    [customer] = clean_state["customers"]
    assert orjson.loads(customer[5]) == ["wholesale", "new"]


@pytest.mark.parametrize("batch_size", [1, 5])
def test_a_guest_order_merged_into_its_customer_converts_the_customers_cart_in_any_order(
    engine: Engine, batch_size: int
) -> None:
    # Given c1 with her address, a cart of c1's, and a later order naming only
    # the address (before c1 has it, a guest's)
    guest_order = {
        "id": "o1",
        "created_at": _minutes(3).isoformat(),
        "email": "c1-0@example.com",
        "line_items": [{"product_id": "p1", "quantity": 1, "price": "1.10"}],
    }
    history = [
        _customer("c1", 1),
        _cart("c1", 2),
        ("orders/create", guest_order, _minutes(3)),
    ]
    # When they arrive in any order, then the cart was bought, and the order is c1's
    state = _every_order_ends_as_the_clean_one(engine, history, batch_size)
    assert [(row[0], row[1]) for row in state["carts"]] == [(b'"k1"', b'"converted"')]
    assert [row[1] for row in state["orders"]] == ["c1"]


@pytest.mark.parametrize("batch_size", [1, 5])
def test_a_guest_cart_merged_into_its_customer_is_converted_by_her_order_in_any_order(
    engine: Engine, batch_size: int
) -> None:
    guest_cart = {
        "id": "k1",
        "updated_at": _minutes(2).isoformat(),
        "customer": {"email": "c1-0@example.com"},
        "line_items": [{"product_id": "p1", "quantity": 1, "price": "1.10"}],
    }
    history = [
        _customer("c1", 1),
        ("carts/update", guest_cart, _minutes(2)),
        _order("o1", "c1", 3, 3),
    ]
    state = _every_order_ends_as_the_clean_one(engine, history, batch_size)
    assert [(row[0], row[1], row[2]) for row in state["carts"]] == [(b'"k1"', b'"converted"', "c1")]


def _unsubscribe(email: str, minute: int) -> Delivery:
    return "newsletter/unsubscribe", {"email": email}, _minutes(minute)


def _at_every_place_ends_as_the_clean_one(
    engine: Engine, in_order: list[Delivery], late: Delivery, batch_size: int
) -> dict[str, Any]:
    """``late`` delivered at every place among the others (which keep their order)."""
    clean = sorted([*in_order, late], key=lambda delivery: delivery[2])
    clean_store = fresh_store(engine)
    deliver(engine, clean_store, clean, batch_size)
    clean_state = snapshot(engine, clean_store) | _former_emails(engine, clean_store)
    for place in range(len(in_order) + 1):
        messy_store = fresh_store(engine)
        deliver(engine, messy_store, [*in_order[:place], late, *in_order[place:]], batch_size)
        messy_state = snapshot(engine, messy_store) | _former_emails(engine, messy_store)
        assert messy_state == clean_state, f"delivered at place {place}"
    return clean_state


def _former_emails(engine: Engine, store_id: str) -> dict[str, Any]:
    """The addresses each customer left, when, and since when they had them."""
    with engine.connect() as conn:
        ids = dict(
            conn.execute(
                select(customers.c.uid, customers.c.external_id).where(
                    customers.c.store_id == store_id
                )
            ).all()
        )
        rows = conn.execute(select(former_emails).where(former_emails.c.store_id == store_id)).all()
    left = sorted((r.email, ids.get(r.customer_uid), r.since, r.until) for r in rows)
    return {"former_emails": left}


def _address(n: int) -> str:
    return f"c1-{n}@example.com"


def _order_from(order_id: str, address: str, minute: int) -> Delivery:
    body = {
        "id": order_id,
        "created_at": _minutes(minute).isoformat(),
        "customer": {"id": "c1"},
        "email": address,
        "line_items": [{"product_id": "p1", "quantity": 1, "price": "1.10"}],
    }
    return "orders/create", body, _minutes(minute)


def _subscribe(n: int, minute: int) -> Delivery:
    return "newsletter/subscribe", {"email": _address(n)}, _minutes(minute)


# c1 at c1-0 from minute 1, at c1-1 from minute 3
_MOVED_AT_3 = [_customer("c1", 1), _customer("c1", 3, email=_address(1))]
# What follows c1, who unsubscribed from c1-0 at minute 2: (the deliveries in their
# own order, the addresses suppressed in the end, c1's accepts_marketing then).
LATE_UNSUBSCRIBES = {
    "moving twice": (
        [*_MOVED_AT_3, _customer("c1", 4, email=_address(2))],
        [0, 1, 2],
        False,
    ),
    "a later order's address": (
        [_order_from("o1", _address(0), 1), _order_from("o2", _address(1), 3)],
        [0, 1],
        False,
    ),
    "a newer subscribe of the next address": (
        [*_MOVED_AT_3, _subscribe(1, 4)],
        [0],
        True,
    ),
    "a newer subscribe of the old address": (
        [*_MOVED_AT_3, _subscribe(0, 4)],
        [1],
        False,
    ),
    "coming back to the address and leaving again": (
        [
            *_MOVED_AT_3,
            _customer("c1", 4, email=_address(0)),
            _customer("c1", 5, email=_address(2)),
        ],
        [0, 1, 2],
        False,
    ),
}


@pytest.mark.parametrize("batch_size", [1, 5])
@pytest.mark.parametrize("scenario", list(LATE_UNSUBSCRIBES))
def test_an_unsubscribe_delivered_late_ends_as_if_delivered_in_time(
    engine: Engine, batch_size: int, scenario: str
) -> None:
    # Given c1's changes in their own order, when the unsubscribe of c1-0 arrives
    # before, between or after them, then the state is the one of the clean order
    in_order, suppressed, accepts_marketing = LATE_UNSUBSCRIBES[scenario]
    unsubscribe = _unsubscribe(_address(0), 2)
    state = _at_every_place_ends_as_the_clean_one(engine, in_order, unsubscribe, batch_size)
    # (and that state is the one a reader expects)
    assert [row[0] for row in state["suppressions"]] == [
        f'"{_address(n)}"'.encode() for n in suppressed
    ]
    [c1] = [row for row in state["customers"] if row[0] == b'"c1"']
    assert c1[4] == orjson.dumps(accepts_marketing)


@pytest.mark.parametrize("batch_size", [1, 5])
@pytest.mark.parametrize(
    "erasure", [{"id": "c1"}, {"email": "c1-0@example.com"}], ids=["by id", "by old address"]
)
def test_an_erasure_forgets_the_addresses_left_in_any_place_among_the_changes(
    engine: Engine, batch_size: int, erasure: dict[str, str]
) -> None:
    changes = [_customer("c1", 1), _customer("c1", 4, email="c1-1@example.com")]
    erase = ("customers/delete", erasure, _minutes(3))
    state = _at_every_place_ends_as_the_clean_one(engine, changes, erase, batch_size)
    assert state["former_emails"] == []


@pytest.mark.parametrize("batch_size", [1, 5])
def test_an_unsubscribe_follows_its_customer_whatever_order_the_changes_of_address_come_in(
    engine: Engine, batch_size: int
) -> None:
    history = [
        _customer("c1", 1),
        _unsubscribe("c1-0@example.com", 2),
        _customer("c1", 3, email="c1-1@example.com"),
        _customer("c1", 4, email="c1-2@example.com"),
    ]
    state = _every_order_ends_as_the_clean_one(engine, history, batch_size)
    assert [row[0] for row in state["suppressions"]] == [
        f'"c1-{n}@example.com"'.encode() for n in range(3)
    ]
    [customer] = state["customers"]
    assert customer[4] == b"false"


def _sign_up(minute: int) -> Delivery:
    body = {"email": "c1-0@example.com", "double_optin_required": True}
    return "newsletter/subscribe", body, _minutes(minute)


def _waits(state: dict[str, Any]) -> bool:
    return (b'"c1-0@example.com"', b'"pending_opt_in"') in state["suppressions"]


def test_a_sign_up_after_an_unsubscribe_waits_for_its_confirmation_in_any_order(
    engine: Engine,
) -> None:
    # Given a consenting customer, an unsubscribe, then a sign-up asking for a double opt-in
    history = [
        _customer("c1", 0, accepts_marketing=True),
        ("newsletter/unsubscribe", {"email": "c1-0@example.com"}, _minutes(1)),
        _sign_up(2),
    ]
    # When they arrive in any order (the unsubscribe last: a retry held it back), then
    # the sign-up waits: the consent the unsubscribe overruled proves nothing
    state = _every_order_ends_as_the_clean_one(engine, history, batch_size=1)
    assert _waits(state)


def test_a_sign_up_of_a_consenting_customer_does_not_wait_in_any_order(engine: Engine) -> None:
    # Given a customer the store says accepts marketing, then their sign-up, then an
    # update of theirs that says it again
    history = [
        _customer("c1", 0, accepts_marketing=True),
        _sign_up(2),
        _customer("c1", 3, accepts_marketing=True),
    ]
    # When they arrive in any order (the sign-up first: its form came before the
    # record), then the sign-up does not wait
    state = _every_order_ends_as_the_clean_one(engine, history, batch_size=1)
    assert not _waits(state)


def test_a_sign_up_waits_once_the_store_withdraws_the_consent_in_any_order(
    engine: Engine,
) -> None:
    # Given consent, the sign-up, then the store saying the customer no longer accepts
    history = [
        _customer("c1", 0, accepts_marketing=True),
        _sign_up(2),
        _customer("c1", 3, accepts_marketing=False),
    ]
    # When they arrive in any order, then the sign-up waits for its confirmation
    state = _every_order_ends_as_the_clean_one(engine, history, batch_size=1)
    assert _waits(state)


@pytest.mark.parametrize("batch_size", [1, 2, 5])
def test_a_cart_after_an_erasure_is_not_bought_by_an_order_the_erasure_took_in_any_order(
    engine: Engine, batch_size: int
) -> None:
    # Given an order of c1 placed at minute 3 in a version of minute 0, a newer update
    # of c1 that keeps the record through an erasure, c1's erasure as of minute 1, and
    # a cart of c1 at minute 2
    order, update = _order("o3", "c1", 3, 0), _customer("c1", 4)
    erasure, cart = ("customers/delete", {"id": "c1"}, _minutes(1)), _cart("c1", 2)
    # When they arrive in that order, in the batch of the order (5) or the one after
    # it (2), as they do one at a time; and when they arrive in any order (the cart
    # before the erasure: the order then still named c1)
    _batches_end_as_one_at_a_time(engine, [order, update, erasure, cart], batch_size)
    state = _every_order_ends_as_the_clean_one(engine, [order, erasure, cart, update], batch_size)
    # Then the order lost its buyer to the erasure, and the cart, which no purchase
    # left to c1 came after, is open
    assert [(row[0], row[1]) for row in state["orders"]] == [(b'"o3"', None)]
    assert [(row[0], row[1]) for row in state["carts"]] == [(b'"k1"', b'"open"')]


def _guest_order(order_id: str, email: str, minute: int) -> Delivery:
    body = {
        "id": order_id,
        "created_at": _minutes(minute).isoformat(),
        "email": email,
        "line_items": [{"product_id": "p1", "quantity": 1, "price": "1.10"}],
    }
    return "orders/create", body, _minutes(minute)


GUESTS_OF_THE_FORMER_ADDRESS = {
    "a guest order": _guest_order("o1", "c1-0@example.com", 2),
    "a sign-up": ("newsletter/subscribe", {"email": "c1-0@example.com"}, _minutes(2)),
}


@pytest.mark.parametrize("batch_size", [1, 5])
@pytest.mark.parametrize("guest", list(GUESTS_OF_THE_FORMER_ADDRESS))
def test_a_guest_of_an_address_its_customer_has_left_since_joins_her_in_any_order(
    engine: Engine, batch_size: int, guest: str
) -> None:
    # Given c1 at c1-0, a guest order or a sign-up of c1-0, then c1 moving to c1-1
    history = [
        _customer("c1", 1),
        GUESTS_OF_THE_FORMER_ADDRESS[guest],
        _customer("c1", 3, email="c1-1@example.com"),
    ]
    # When they arrive in any order (the guest after the move: c1-0 is no one's then),
    # then the guest joined c1, who held the address when the guest came
    state = _every_order_ends_as_the_clean_one(engine, history, batch_size)
    assert [row[:2] for row in state["customers"]] == [(b'"c1"', b'"c1-1@example.com"')]
    assert [row[1] for row in state["orders"]] == (["c1"] if guest == "a guest order" else [])


def _guest_cart(email: str, minute: int) -> Delivery:
    body = {
        "id": "k1",
        "updated_at": _minutes(minute).isoformat(),
        "customer": {"email": email},
        "line_items": [{"product_id": "p1", "quantity": 1, "price": "1.10"}],
    }
    return "carts/update", body, _minutes(minute)


# A contact of c1-0 (a cart, an order), c1 at c1-1 from minute 7, then an erasure of
# c1-0 as of minute 2, a wish of the contact before it, and c1 at c1-0 from minute 3
_ERASED_THEN_MERGED = [
    _guest_cart("c1-0@example.com", 1),
    _guest_order("o1", "c1-0@example.com", 4),
    _customer("c1", 7, email="c1-1@example.com"),
    ("wishlist/added", {"email": "c1-0@example.com", "sku": "s1"}, _minutes(1)),
    ("customers/delete", {"email": "c1-0@example.com"}, _minutes(2)),
    _customer("c1", 3),
]


def test_a_contact_erased_then_merged_in_one_batch_loses_its_stored_past_first(
    engine: Engine,
) -> None:
    # Given the contact's cart and order stored in a batch of their own; when its
    # erasure, which leaves it the order, and then c1's earlier address, which merges
    # what is left of it into her, come in one batch
    state = _batches_end_as_one_at_a_time(engine, _ERASED_THEN_MERGED, batch_size=3)
    # Then, as one at a time, the erasure took the cart and the wish before the merge
    assert state["carts"] == [] and state["activities"] == []
    assert [row[1] for row in state["orders"]] == ["c1"]


@pytest.mark.parametrize("batch_size", [1, 5])
def test_an_erasure_by_an_address_reaches_whoever_had_it_then_in_any_order(
    engine: Engine, batch_size: int
) -> None:
    # Given a guest cart of c1-0, an erasure of c1-0 as of minute 2, then c1 at c1-0
    # from minute 3 to minute 7 (the guest joined her when she took the address)
    history = [
        _guest_cart("c1-0@example.com", 1),
        ("customers/delete", {"email": "c1-0@example.com"}, _minutes(2)),
        _customer("c1", 3),
        _customer("c1", 7, email="c1-1@example.com"),
    ]
    # When they arrive in any order (the erasure after c1 left c1-0: the address is
    # no one's then), then the erasure took the cart, whoever had the address
    state = _every_order_ends_as_the_clean_one(engine, history, batch_size)
    assert [row[:2] for row in state["customers"]] == [(b'"c1"', b'"c1-1@example.com"')]
    assert state["carts"] == []


# c1 at c1-0 from minute 1, at c1-1 from minute 3, then c1-0 unsubscribed at minute 4:
# (the deliveries in their own order, the addresses suppressed, c1's flag as of when)
EARLY_UNSUBSCRIBES = {
    "of the address left": ([*_MOVED_AT_3, _unsubscribe(_address(0), 4)], [0], None),
    "of both, the next one before the move": (
        [
            _customer("c1", 1),
            _unsubscribe(_address(1), 2),
            _customer("c1", 3, email=_address(1)),
            _unsubscribe(_address(0), 4),
        ],
        [0, 1],
        2,
    ),
}


@pytest.mark.parametrize("batch_size", [1, 5])
@pytest.mark.parametrize("scenario", list(EARLY_UNSUBSCRIBES))
def test_an_unsubscribe_after_a_move_told_before_it_stays_with_the_address_left(
    engine: Engine, batch_size: int, scenario: str
) -> None:
    # Given c1's move from c1-0 at minute 3, and an unsubscribe of c1-0 at minute 4
    history, suppressed, flagged_at = EARLY_UNSUBSCRIBES[scenario]
    # When they arrive in any order (the unsubscribe before the move: c1 had c1-0 then
    # as far as was known), then the unsubscribe was not c1's: it did not follow her
    # to c1-1, and her flag is the one the clean order gives her
    state = _every_order_ends_as_the_clean_one(engine, history, batch_size)
    assert [row[0] for row in state["suppressions"]] == [
        f'"{_address(n)}"'.encode() for n in suppressed
    ]
    [customer] = state["customers"]
    flag = orjson.loads(customer[10])["_registers"].get("accepts_marketing")
    if flagged_at is None:
        assert flag is None
    else:
        [value, (at, _)] = flag["signed"]
        assert (value, at) == (False, _minutes(flagged_at).isoformat())


@pytest.mark.parametrize("batch_size", [1, 5])
def test_two_addresses_sent_for_one_time_end_alike_in_any_order(
    engine: Engine, batch_size: int
) -> None:
    # Given a contact of a@ (a sign-up), and c1 at another address
    history = [
        ("newsletter/subscribe", {"email": "a@example.com"}, _minutes(0)),
        _customer("c1", 1),
        # When two versions of c1 of one time give her a@ and b@, in any order
        _customer("c1", 5, email="a@example.com"),
        _customer("c1", 5, email="b@example.com"),
    ]
    # Then the store ends the same: the address that loses the tie was hers for no
    # time, as it is when it arrives first
    _every_order_ends_as_the_clean_one(engine, history, batch_size)


def _moves_to(customer: str, minute: int, email: str, **fields: Any) -> Delivery:
    """customers/update of ``customer`` giving it ``email`` at ``minute``."""
    return _customer(customer, minute, email=email, **fields)


def _newsletter(kind: str, email: str, minute: int) -> Delivery:
    return f"newsletter/{kind}", {"email": email}, _minutes(minute)


def test_a_re_subscribe_before_a_move_leaves_the_new_address_free_in_any_order(
    engine: Engine,
) -> None:
    # Given b unsubscribed, then subscribed again, then the person moves to b2
    history = [
        _moves_to("c1", 0, "b@example.com", accepts_marketing=True),
        _newsletter("unsubscribe", "b@example.com", 10),
        _newsletter("subscribe", "b@example.com", 20),
        _moves_to("c1", 30, "b2@example.com"),
    ]
    # When they arrive in any order, then nothing followed them: no one is suppressed
    state = _every_order_ends_as_the_clean_one(engine, history)
    assert state["suppressions"] == []
    [customer] = state["customers"]
    assert (customer[1], customer[4]) == (b'"b2@example.com"', b"true")


def test_a_subscribe_of_the_new_address_after_the_move_wins_in_any_order(
    engine: Engine,
) -> None:
    # Given a unsubscribed, the person moved to a2, then a2 subscribed
    history = [
        _moves_to("c1", 0, "a@example.com"),
        _newsletter("unsubscribe", "a@example.com", 10),
        _moves_to("c1", 20, "a2@example.com"),
        _newsletter("subscribe", "a2@example.com", 30),
    ]
    # When they arrive in any order, then a2 is free; a keeps its unsubscribe
    state = _every_order_ends_as_the_clean_one(engine, history)
    assert state["suppressions"] == [(b'"a@example.com"', b'"unsubscribed"')]


def test_an_unsubscribe_never_reaches_an_address_left_before_it_in_any_order(
    engine: Engine,
) -> None:
    # Given a, then a2, an unsubscribe of a2, then a3
    history = [
        _moves_to("c1", 0, "a@example.com"),
        _moves_to("c1", 10, "a2@example.com"),
        _newsletter("unsubscribe", "a2@example.com", 20),
        _moves_to("c1", 30, "a3@example.com"),
    ]
    # When they arrive in any order, then a2 and a3 are suppressed, never a
    state = _every_order_ends_as_the_clean_one(engine, history)
    assert [row[0] for row in state["suppressions"]] == [
        b'"a2@example.com"',
        b'"a3@example.com"',
    ]


def test_erasing_an_address_the_customer_had_left_spares_them_in_any_order(
    engine: Engine,
) -> None:
    # Given c1 at c, then at a, then the erasure of c (no one's address by then)
    history = [
        _moves_to("c1", 0, "c@example.com", first_name="Ann"),
        _moves_to("c1", 10, "a@example.com"),
        ("customers/delete", {"email": "c@example.com"}, _minutes(20)),
    ]
    # When they arrive in any order in which the move comes before c1's first
    # address (an erasure that finds c1 still at c erases c1, for good: what
    # arrives after cannot bring the erased record back)
    orders = [o for o in itertools.permutations(range(3)) if o.index(1) < o.index(0)]
    [customer] = _these_orders_end_as_the_clean_one(engine, history, orders)["customers"]
    # Then c1 is still there, at a, and c is forgotten
    assert customer[:3] == (b'"c1"', b'"a@example.com"', b'"Ann"')
    assert b"c@example.com" not in customer[10]


def test_an_erasure_covers_the_address_held_then_in_any_order(engine: Engine) -> None:
    # Given c1 at a, a sign-up of a, c1's erasure, then c1 anew at a2
    history = [
        _moves_to("c1", 0, "a@example.com", first_name="Ann"),
        _newsletter("subscribe", "a@example.com", 10),
        ("customers/delete", {"id": "c1"}, _minutes(20)),
        _moves_to("c1", 30, "a2@example.com"),
    ]
    # When they arrive in any order, then only c1 anew is left: nothing of a, nor Ann
    [customer] = _every_order_ends_as_the_clean_one(engine, history)["customers"]
    assert customer[:3] == (b'"c1"', b'"a2@example.com"', b"null")


def test_erasing_a_checkout_address_spares_the_account_that_bought_in_any_order(
    engine: Engine,
) -> None:
    # Given c1 at b, an order of c1 giving c at checkout, then the erasure of c
    order = _order("o1", "c1", 10, 10)
    order[1]["customer"] = {"id": "c1", "email": "b@example.com"}
    order[1]["email"] = "c@example.com"
    history = [
        _moves_to("c1", 0, "b@example.com", first_name="Bea"),
        order,
        ("customers/delete", {"email": "c@example.com"}, _minutes(20)),
    ]
    # When they arrive in any order, then c1 keeps its order; the order loses c
    state = _every_order_ends_as_the_clean_one(engine, history)
    [customer] = state["customers"]
    assert customer[:3] == (b'"c1"', b'"b@example.com"', b'"Bea"')
    [(_, buyer, email, *_)] = state["orders"]
    assert (buyer, email) == ("c1", b"null")


def test_an_unsubscribe_taken_back_leaves_the_stores_own_flag_in_any_order(
    engine: Engine,
) -> None:
    # Given c1 opted in at a, c1's move to a2, then an unsubscribe of a (not c1's)
    history = [
        _moves_to("c1", 0, "a@example.com", accepts_marketing=True),
        _moves_to("c1", 10, "a2@example.com"),
        _newsletter("unsubscribe", "a@example.com", 20),
    ]
    # When they arrive in any order, then c1 is still opted in, as the store said
    [customer] = _every_order_ends_as_the_clean_one(engine, history)["customers"]
    assert (customer[1], customer[4]) == (b'"a2@example.com"', b"true")
