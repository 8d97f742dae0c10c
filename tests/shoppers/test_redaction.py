"""An erasure takes the person's details out of the integration log, and replaying the
log still rebuilds the store exactly as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from tests.apply.histories import Delivery, deliver, difference, fresh_store, histories, snapshot
from tests.conftest import StoreClient
from winback.apply.applier import Applier
from winback.intake.topics import Topic
from winback.shoppers.redaction import redacted
from winback.storage.replay import replay_store
from winback.storage.schema import raw_events

SECRET = "SECRET"


def _with_details(history: list[Delivery]) -> list[Delivery]:
    """The history with what a real store sends about people: names, addresses,
    phone numbers, notes and fields of its own, each marked with SECRET."""
    detailed: list[Delivery] = []
    for event_type, body, at in history:
        topic = Topic(event_type) if event_type in set(Topic) else Topic.CUSTOM
        person = {
            "first_name": f"{SECRET} Ann",
            "default_address": {"address1": f"{SECRET} 1 Main St"},
            "sms_phone_number_e164": "+15555550123",
            "loyalty_card": f"{SECRET} 42",
        }
        extra: dict[str, Any] = {}
        if topic in (Topic.CUSTOMER_UPDATE, Topic.SUBSCRIBE):
            extra = {"first_name": f"{SECRET} Ann", "last_name": f"{SECRET} Lee"}
            extra |= person if topic is Topic.CUSTOMER_UPDATE else {}
        elif topic in (Topic.ORDER_UPDATE, Topic.CART_UPDATE):
            extra = {
                "customer": {**body["customer"], **person},
                "note": f"{SECRET} leave at the door",
                "shipping_address": {"address1": f"{SECRET} 1 Main St"},
            }
        elif topic is Topic.CUSTOM:
            extra = {"message": f"{SECRET} happy birthday"}
        detailed.append((event_type, body | extra, at))
    return detailed


def _logged(engine: Engine, store_id: str) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            select(raw_events).where(raw_events.c.store_id == store_id).order_by(raw_events.c.seq)
        ).all()


def _erasures(history: list[Delivery]) -> dict[str, datetime]:
    """Each erased customer id, and the time of their erasure."""
    return {body["id"]: at for event_type, body, at in history if event_type == "customers/delete"}


def _about(body: dict[str, Any], customer: str) -> bool:
    """Whether a body of the generated histories names ``customer`` by id. (An event
    naming only an address names whoever has it when it arrives: a contact the
    erasure of the id may never learn was the same person, and keeps, as the
    stored state does.)"""
    buyer = body.get("customer") or {}
    return customer in (body.get("id"), buyer.get("id"))


def _replayed(engine: Engine, store_id: str) -> dict[str, Any]:
    replay_store(engine, store_id)
    Applier(engine, batch_size=5).drain()
    return snapshot(engine, store_id)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories(), data=st.data())
def test_an_erased_persons_details_leave_the_log_and_a_replay_rebuilds_the_same_state(
    engine: Engine, history: list[Delivery], data: st.DataObject
) -> None:
    # Given a history with people's details, delivered in order and shuffled with resends
    history = _with_details(history)
    clean_store = fresh_store(engine)
    deliver(engine, clean_store, history)
    clean_state = snapshot(engine, clean_store)
    repeats = data.draw(st.lists(st.sampled_from(history), max_size=len(history)))
    messy_store = fresh_store(engine)
    deliver(engine, messy_store, data.draw(st.permutations(history + repeats)))
    # Then no event logged about an erased customer before their erasure holds a detail
    for store_id in (clean_store, messy_store):
        for customer, erased_at in _erasures(history).items():
            for row in _logged(engine, store_id):
                body = orjson.loads(row.body) if row.body else {}
                if row.event_time <= erased_at and _about(body, customer):
                    assert SECRET.encode() not in row.body, (customer, row.topic, body)
    # And replaying either store's log rebuilds exactly the state it had
    for store_id in (clean_store, messy_store):
        replayed = _replayed(engine, store_id)
        for table in clean_state:
            assert replayed[table] == clean_state[table], difference(
                table, replayed[table], clean_state[table]
            )


def test_what_an_order_keeps_is_its_sale_and_who_bought_it() -> None:
    order = {
        "id": "o1",
        "created_at": "2026-01-01T00:00:00Z",
        "email": "ann@example.com",
        "customer": {"id": "c1", "email": "ann@example.com", "first_name": "Ann", "tags": "vip"},
        "line_items": [{"product_id": "p1", "quantity": 1, "price": "9.90", "title": "Mug"}],
        "total_price": "9.90",
        "shipping_address": {"address1": "1 Main St"},
        "note": "ring twice",
        "gift_message": "for Bob",
    }
    assert redacted(Topic.ORDER_CREATE, order) == {
        "id": "o1",
        "created_at": "2026-01-01T00:00:00Z",
        "email": "ann@example.com",
        "customer": {"id": "c1", "email": "ann@example.com"},
        "line_items": [{"product_id": "p1", "quantity": 1, "price": "9.90", "title": "Mug"}],
        "total_price": "9.90",
    }


def test_a_customer_keeps_what_names_it_its_times_and_consent() -> None:
    customer = {
        "id": "c1",
        "email": "ann@example.com",
        "updated_at": "2026-01-01T00:00:00Z",
        "accepts_marketing": False,
        "first_name": "Ann",
        "birthdate": "1990-01-01",
        "pos_id": "7",
        "info": {"shoe_size": 38},
    }
    assert redacted(Topic.CUSTOMER_UPDATE, customer) == {
        "id": "c1",
        "email": "ann@example.com",
        "updated_at": "2026-01-01T00:00:00Z",
        "accepts_marketing": False,
        "pos_id": "7",  # (later events may find the record by it, as by the id)
    }


def test_a_custom_event_keeps_only_who_it_names() -> None:
    event = {"email": "ann@example.com", "event_id": "e1", "product": "mug", "message": "hi"}
    assert redacted(Topic.CUSTOM, event) == {"email": "ann@example.com", "event_id": "e1"}


def test_products_and_removals_hold_nobodys_details_and_are_left_as_they_are() -> None:
    product = {"id": "p1", "title": "Mug", "vendor": "Acme"}
    assert redacted(Topic.PRODUCT_UPDATE, product) is product
    assert redacted(Topic.UNSUBSCRIBE, {"email": "a@example.com"}) == {"email": "a@example.com"}


def _minute(n: int) -> str:
    return (START + timedelta(minutes=n)).isoformat()


def _line(product: str, price: str) -> dict[str, str]:
    return {"product_id": product, "price": price}


# Histories where an event names the erased address or id, but its data went to a
# record the erasure does not erase: rewriting it would change what a replay builds.
_NOT_THE_ERASED_RECORDS = {
    "the address the customer left is erased": [
        ("customers/update", {"id": "c1", "email": "old@x.com", "first_name": "Ann"}, 1),
        ("newsletter/subscribe", {"email": "old@x.com", "first_name": "Ann", "tags": "popup"}, 2),
        ("customers/update", {"id": "c1", "email": "new@x.com"}, 3),
        ("customers/delete", {"email": "old@x.com"}, 4),
    ],
    "an order's own address is not its buyer's": [
        (
            "orders/create",
            {
                "id": "o1",
                "email": "x@x.com",
                "customer": {"id": "c9", "email": "y@x.com", "first_name": "Bob"},
                "note": "ring",
                "line_items": [_line("p1", "1.00")],
            },
            1,
        ),
        ("customers/delete", {"email": "x@x.com"}, 3),
    ],
    "the address passed on before the erased holder took it": [
        ("customers/update", {"id": "c2", "email": "x@x.com"}, 1),
        ("newsletter/subscribe", {"email": "x@x.com", "first_name": "Bob"}, 2),
        ("customers/update", {"id": "c2", "email": "z@x.com"}, 3),
        ("customers/update", {"id": "c1", "email": "x@x.com"}, 4),
        ("customers/delete", {"id": "c1"}, 5),
    ],
    "a custom event of a customer named by id, with another address": [
        ("customers/update", {"id": "c9", "email": "y@x.com"}, 5),
        ("wishlist/added", {"customer_id": "c9", "email": "x@x.com", "sku": "mug"}, 2),
        ("customers/delete", {"email": "x@x.com"}, 3),
    ],
    "a buyer found again by point-of-sale id": [
        ("orders/create", {"id": "o1", "email": "x@x.com", "customer": {"pos_id": "7"}}, 1),
        ("orders/create", {"id": "o2", "customer": {"pos_id": "7"}, "note": "ring"}, 2),
        ("customers/delete", {"email": "x@x.com"}, 3),
    ],
    "a shopper found again by phone": [
        (
            "carts/update",
            {"id": "k1", "email": "x@x.com", "customer": {"sms_phone_number_e164": "+15555550123"}},
            1,
        ),
        ("carts/update", {"id": "k2", "customer": {"sms_phone_number_e164": "+15555550123"}}, 2),
        ("customers/delete", {"email": "x@x.com"}, 3),
    ],
}


def _timed(history: list[tuple[str, dict[str, Any], int]]) -> list[Delivery]:
    """Each event at its minute, with the times its payload carries."""
    timed: list[Delivery] = []
    for event_type, body, minute in history:
        stamp = _minute(minute)
        times = {}
        if event_type.startswith(("customers/update", "carts/", "orders/")):
            times["updated_at"] = stamp
        if event_type.startswith("orders/"):
            times["created_at"] = stamp
        timed.append((event_type, times | body, START + timedelta(minutes=minute)))
    return timed


def _replay_changes_nothing(engine: Engine, history: list[Delivery]) -> str:
    store_id = fresh_store(engine)
    deliver(engine, store_id, history, batch_size=1)
    before = snapshot(engine, store_id)
    after = _replayed(engine, store_id)
    return "\n".join(difference(t, after[t], before[t]) for t in before if after[t] != before[t])


@pytest.mark.parametrize("history", _NOT_THE_ERASED_RECORDS.values(), ids=_NOT_THE_ERASED_RECORDS)
def test_an_event_whose_data_went_to_a_record_the_erasure_keeps_replays_the_same(
    engine: Engine, history: list[tuple[str, dict[str, Any], int]]
) -> None:
    assert _replay_changes_nothing(engine, _timed(history)) == ""


def test_a_guests_orders_found_by_point_of_sale_id_lose_her_details_and_replay_the_same(
    engine: Engine,
) -> None:
    # Given a guest known by her address, then by her point-of-sale id alone
    history = _timed(
        [
            (
                "orders/create",
                {
                    "id": "o1",
                    "email": "x@x.com",
                    "note": SECRET,
                    "customer": {"pos_id": "7", "first_name": SECRET},
                },
                1,
            ),
            ("orders/create", {"id": "o2", "customer": {"pos_id": "7"}, "note": "ring"}, 2),
            ("customers/delete", {"email": "x@x.com"}, 3),
        ]
    )
    store_id = fresh_store(engine)
    deliver(engine, store_id, history, batch_size=1)
    # Then the order that named her address keeps only what names her, and the sale
    first = next(row for row in _logged(engine, store_id) if row.topic == "orders/create")
    assert orjson.loads(first.body)["customer"] == {"pos_id": "7"}
    assert SECRET.encode() not in first.body
    # And a replay builds the same state
    before = snapshot(engine, store_id)
    assert _replayed(engine, store_id) == before


# -- through the real server ------------------------------------------------------------


START = datetime(2026, 1, 1, tzinfo=UTC)


def _at(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


def _happened(minutes: int) -> dict[str, str]:
    return {"x-event-time": str(int((START + timedelta(minutes=minutes)).timestamp()))}


def _events(store: StoreClient) -> list[dict[str, Any]]:
    return list(store.read("/api/v1/events", limit=100)["items"])


def test_an_erasure_over_http_rewrites_the_log_and_keeps_the_sale(
    store: StoreClient, engine: Engine
) -> None:
    # Given a customer, their order and cart, a custom event, and a refused delivery
    ann = {"id": "c1", "email": "ann@example.com"}
    sent = [
        ("customers/create", {**ann, "first_name": "Ann", "updated_at": _at(1)}),
        (
            "orders/create",
            {
                "id": "o1",
                "created_at": _at(2),
                "updated_at": _at(2),
                "customer": {**ann, "last_name": "Lee"},
                "shipping_address": {"address1": "1 Main St"},
                "line_items": [{"product_id": "p1", "quantity": 2, "price": "4.50"}],
                "total_price": "9.00",
            },
        ),
        ("carts/update", {"id": "k1", "updated_at": _at(3), "customer": ann, "note": "Ann"}),
    ]
    for event_type, body in sent:
        assert store.send(event_type, body).status_code == 200
    assert store.send("wishlist/added", {**ann, "wish": "Ann's mug"}).status_code == 200
    refused = store.send(
        "customers/update",
        {"email": "ann@example.com", "first_name": "Ann", "accepts_marketing": "maybe"},
    )
    assert refused.status_code == 400
    store.wait_applied()
    # When the customer is erased
    erase = store.send("customers/delete", {"id": "c1"})
    assert erase.status_code == 200
    store.wait_applied()
    # Then every earlier event about her is rewritten without her details
    log = {row["event_type"]: row for row in _events(store)}
    assert all(log[kind]["redacted_at"] for kind in ("orders/create", "carts/update"))
    assert log["customers/update"]["body"] == ""  # (the refused one, emptied)
    assert log["customers/delete"]["redacted_at"] is None
    assert b"Ann" not in _raw_bodies(engine, store.store_id)
    assert b"Main St" not in _raw_bodies(engine, store.store_id)
    # And the order keeps its sale
    order = store.read("/api/v1/orders/o1")
    assert (order["total_price"], order["customer_id"], order["email"]) == ("9.00", None, None)


def test_an_event_newer_than_the_erasure_is_left_whole(store: StoreClient) -> None:
    assert store.send("customers/delete", {"id": "c1"}, headers=_happened(1)).is_success
    body = {"id": "c1", "email": "ann@example.com", "first_name": "Ann", "updated_at": _at(5)}
    assert store.send("customers/update", body).status_code == 200
    store.wait_applied()
    update = next(e for e in _events(store) if e["event_type"] == "customers/update")
    assert update["redacted_at"] is None
    assert store.read("/api/v1/customers/c1")["first_name"] == "Ann"


def test_an_event_about_the_erased_person_that_arrives_late_is_rewritten_on_arrival(
    store: StoreClient, engine: Engine
) -> None:
    assert store.send("customers/delete", {"id": "c1"}, headers=_happened(9)).is_success
    store.wait_applied()
    late = {"id": "c1", "email": "ann@example.com", "first_name": "Ann", "updated_at": _at(5)}
    assert store.send("customers/update", late).status_code == 200
    store.wait_applied()
    update = next(e for e in _events(store) if e["event_type"] == "customers/update")
    assert (update["outcome"], bool(update["redacted_at"])) == ("stale", True)
    assert b"Ann" not in _raw_bodies(engine, store.store_id)


def _raw_bodies(engine: Engine, store_id: str) -> bytes:
    with engine.connect() as conn:
        rows = conn.execute(select(raw_events.c.body).where(raw_events.c.store_id == store_id))
        return b"\n".join(bytes(row.body) for row in rows)


def test_an_id_sent_json_escaped_and_a_refusal_naming_only_the_id_are_reached(
    store: StoreClient, engine: Engine
) -> None:
    # Given an order whose buyer id is written as PHP's json_encode writes it, and a
    # refused update that names the customer by id alone
    escaped = (
        b'{"id":"o1","created_at":"2026-01-01T00:00:00Z","note":"Ann",'
        b'"customer":{"id":"gid:\\/\\/shop\\/Customer\\/1","first_name":"Ann"}}'
    )
    assert store.send("orders/create", None, raw=escaped).status_code == 200
    refused = {"id": "gid://shop/Customer/1", "first_name": "Ann", "accepts_marketing": "no"}
    assert store.send("customers/update", refused).status_code == 400
    store.wait_applied()
    # When the customer is erased by that id
    assert store.send("customers/delete", {"id": "gid://shop/Customer/1"}).status_code == 200
    store.wait_applied()
    # Then neither keeps her name
    assert b"Ann" not in _raw_bodies(engine, store.store_id)
    order = store.read("/api/v1/orders/o1")
    assert (order["customer_id"], order["total_price"]) == (None, "0.00")
