"""Retries, duplicates and order: resends change nothing, older updates never win."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import StoreClient
from tests.conftest import accepted as send
from tests.intake.logbook import log_entries, log_entry, outcomes

CUSTOMER = {"id": 7, "email": "ada@example.com", "first_name": "Ada"}
ORDER = {
    "id": 1001,
    "created_at": "2026-11-01T10:00:00Z",
    "customer": {"id": 7, "email": "ada@example.com"},
    "line_items": [{"product_id": 55, "quantity": 2, "price": "12.45"}],
    "total_price": "24.90",
}


def test_the_same_order_twice_is_stored_and_counted_once(store: StoreClient) -> None:
    # given an order that was applied
    send(store, "orders/create", ORDER)
    store.wait_applied()

    # when the sender delivers it again (it did not see the 200)
    again = send(store, "orders/create", ORDER)
    store.wait_applied()

    # then the second delivery is logged as a duplicate and changes nothing
    entry = log_entry(store, again)
    assert (entry["outcome"], entry["reason"]) == ("duplicate", "the same event was applied before")
    assert len(store.get("/api/v1/orders").json()["items"]) == 1
    customer = store.get("/api/v1/customers/7").json()
    assert (customer["orders_count"], customer["total_spent"]) == (1, "24.90")


def test_duplicates_sent_back_to_back_are_applied_once(store: StoreClient) -> None:
    # when the same order is delivered three times before anything is applied
    for _ in range(3):
        send(store, "orders/create", ORDER)
    store.wait_applied()

    # then one is applied and the others are duplicates
    assert outcomes(store) == ["applied", "duplicate", "duplicate"]
    customer = store.get("/api/v1/customers/7").json()
    assert (customer["orders_count"], customer["total_spent"]) == (1, "24.90")


def test_a_late_duplicate_does_not_undo_a_newer_change(store: StoreClient) -> None:
    # given a customer created, then renamed
    send(store, "customers/create", CUSTOMER)
    store.wait_applied()
    send(store, "customers/update", {**CUSTOMER, "first_name": "Augusta"})
    store.wait_applied()

    # when the first event is delivered again
    again = send(store, "customers/create", CUSTOMER)
    store.wait_applied()

    # then it is a duplicate and the newer name stays
    assert log_entry(store, again)["outcome"] == "duplicate"
    assert store.get("/api/v1/customers/7").json()["first_name"] == "Augusta"


def test_a_resend_under_the_alias_name_is_the_same_event(store: StoreClient) -> None:
    send(store, "orders/create", ORDER)
    store.wait_applied()

    again = send(store, "orders/created", ORDER)
    store.wait_applied()

    assert log_entry(store, again)["outcome"] == "duplicate"
    assert store.get("/api/v1/customers/7").json()["orders_count"] == 1


def test_the_same_custom_event_twice_is_one_activity(store: StoreClient) -> None:
    send(store, "product_viewed", {"product_id": 55, "event_id": "e-1"})
    send(store, "product_viewed", {"product_id": 55, "event_id": "e-1"})
    store.wait_applied()

    assert outcomes(store) == ["applied", "duplicate"]


def test_a_custom_event_resent_with_a_new_timestamp_is_one_activity_by_its_event_id(
    store: StoreClient,
) -> None:
    # given a custom event, and its resend stamped with the time it was resent
    event = {"email": "ada@example.com", "product_id": 901, "event_id": "evt-1"}
    send(store, "wishlist/added", event | {"timestamp": 1})
    send(store, "wishlist/added", event | {"timestamp": 2})
    # and another event of the same shopper with an id of its own
    send(store, "wishlist/added", event | {"event_id": "evt-2", "timestamp": 3})
    store.wait_applied()

    # then the resend is a duplicate, and the shopper's timeline holds two events
    assert outcomes(store) == ["applied", "duplicate", "applied"]
    timeline = store.get("/api/v1/customers/ada@example.com/activity").json()
    assert [entry["data"]["event_id"] for entry in timeline["items"]] == ["evt-2", "evt-1"]


def test_the_same_body_at_two_different_event_times_is_two_events(store: StoreClient) -> None:
    send(store, "product_viewed", {"product_id": 55}, **{"x-event-time": "1767225600"})
    send(store, "product_viewed", {"product_id": 55}, **{"x-event-time": "1767225660"})
    store.wait_applied()

    assert outcomes(store) == ["applied", "applied"]


@pytest.mark.parametrize(
    "written_again",
    ["1767225600.0", "1767225600.000", "+1767225600", "01767225600", "1767225600.", "1.7672256e9"],
)
def test_one_event_time_written_two_ways_is_one_event(
    store: StoreClient, written_again: str
) -> None:
    send(store, "product_viewed", {"product_id": 55}, **{"x-event-time": "1767225600"})
    send(store, "product_viewed", {"product_id": 55}, **{"x-event-time": written_again})
    store.wait_applied()

    assert outcomes(store) == ["applied", "duplicate"]


def test_a_corrected_resend_after_a_rejection_is_applied(store: StoreClient) -> None:
    # given a delivery refused for a malformed field
    assert store.send("orders/create", {**ORDER, "total_price": "24,90"}).status_code == 400

    # when the sender fixes it and sends again
    send(store, "orders/create", ORDER)
    store.wait_applied()

    # then the fixed event is applied
    assert outcomes(store) == ["rejected", "applied"]
    assert store.get("/api/v1/orders/1001").json()["total_price"] == "24.90"


NEWER = "2026-11-02T10:00:00Z"
OLDER = "2026-11-01T10:00:00Z"

STALE_CASES = [
    # (event type, newer body, older body, read path, field, value the newer one set)
    (
        "customers/update",
        {**CUSTOMER, "last_name": "Lovelace", "updated_at": NEWER},
        {**CUSTOMER, "last_name": "Byron", "updated_at": OLDER},
        "/api/v1/customers/7",
        "last_name",
        "Lovelace",
    ),
    (
        "orders/update",
        {**ORDER, "total_price": "20.00", "updated_at": NEWER},
        {**ORDER, "total_price": "24.90", "updated_at": OLDER},
        "/api/v1/orders/1001",
        "total_price",
        "20.00",
    ),
    (
        "products/update",
        {"id": 55, "title": "Blue mug", "price": "14", "updated_at": NEWER},
        {"id": 55, "title": "Mug", "price": "12", "updated_at": OLDER},
        "/api/v1/products/55",
        "title",
        "Blue mug",
    ),
    (
        "carts/update",
        {"id": "c1", "email": "ada@example.com", "total_price": "9", "updated_at": NEWER},
        {"id": "c1", "email": "ada@example.com", "total_price": "5", "updated_at": OLDER},
        "/api/v1/carts/c1",
        "total_price",
        "9.00",
    ),
]


@pytest.mark.parametrize(
    ("event_type", "newer", "older", "path", "field", "value"),
    STALE_CASES,
    ids=[case[0] for case in STALE_CASES],
)
def test_an_update_older_than_what_is_stored_is_kept_in_the_log_as_stale_and_ignored(
    store: StoreClient,
    event_type: str,
    newer: dict[str, Any],
    older: dict[str, Any],
    path: str,
    field: str,
    value: str,
) -> None:
    # given the newer version is stored
    send(store, event_type, newer)
    store.wait_applied()
    before = store.get(path).json()
    assert before[field] == value

    # when an older version arrives late
    late = send(store, event_type, older)
    store.wait_applied()

    # then it is marked stale in the log and the stored data is unchanged
    entry = log_entry(store, late)
    assert entry["outcome"] == "stale"
    assert entry["reason"].startswith("a newer version is already stored")
    assert store.get(path).json() == before


def test_a_stale_order_does_not_change_the_buyers_aggregates(store: StoreClient) -> None:
    send(store, "orders/create", {**ORDER, "total_price": "20.00", "updated_at": NEWER})
    store.wait_applied()

    send(store, "orders/update", {**ORDER, "total_price": "99.00", "updated_at": OLDER})
    store.wait_applied()

    customer = store.get("/api/v1/customers/7").json()
    assert (customer["orders_count"], customer["total_spent"]) == (1, "20.00")


HISTORY: list[tuple[str, dict[str, Any]]] = [
    (
        "customers/create",
        {**CUSTOMER, "accepts_marketing": True, "updated_at": "2026-10-01T00:00:00Z"},
    ),
    (
        "customers/update",
        {**CUSTOMER, "last_name": "Lovelace", "tags": "vip", "updated_at": "2026-10-05T00:00:00Z"},
    ),
    (
        "products/create",
        {"id": 55, "title": "Mug", "price": "12.45", "updated_at": "2026-10-01T00:00:00Z"},
    ),
    (
        "carts/create",
        {
            "id": "c1",
            "customer": {"id": 7, "email": "ada@example.com"},
            "line_items": [{"product_id": 55, "quantity": 1, "price": "12.45"}],
            "updated_at": "2026-10-06T00:00:00Z",
        },
    ),
    (
        "orders/create",
        {**ORDER, "created_at": "2026-10-07T00:00:00Z", "updated_at": "2026-10-07T00:00:00Z"},
    ),
    (
        "orders/update",
        {
            **ORDER,
            "created_at": "2026-10-07T00:00:00Z",
            "updated_at": "2026-10-08T00:00:00Z",
            "total_price": "20.00",
        },
    ),
    (
        "orders/create",
        {
            "id": 1002,
            "email": "ada@example.com",
            "created_at": "2026-10-09T00:00:00Z",
            "updated_at": "2026-10-09T00:00:00Z",
            "line_items": [{"sku": "SPOON", "quantity": 1, "price": 5}],
            "total_price": 5,
        },
    ),
    (
        "products/update",
        {"id": 55, "title": "Blue mug", "price": "14", "updated_at": "2026-10-10T00:00:00Z"},
    ),
]


def state(store: StoreClient) -> dict[str, Any]:
    """Everything the read API tells about the history's entities."""
    return {
        "customers": store.get("/api/v1/customers").json()["items"],
        "orders": store.get("/api/v1/orders").json()["items"],
        "products": [store.get(f"/api/v1/products/{p}").json() for p in ("55", "SPOON")],
        "cart": store.get("/api/v1/carts/c1").json(),
        "suppressions": [
            {k: v for k, v in row.items() if k != "created_at"}
            for row in store.get("/api/v1/suppressions").json()["items"]
        ],
    }


@pytest.fixture
def replay_store(other_store: StoreClient) -> StoreClient:
    """A second store that receives the same history in another order."""
    return other_store


def test_a_history_resent_in_any_order_converges_on_the_same_state(
    store: StoreClient, replay_store: StoreClient
) -> None:
    # given one store that received its history in order
    for event_type, body in HISTORY:
        send(store, event_type, body)
        store.wait_applied()

    # when another store receives the same history backwards, all at once, then again
    for event_type, body in reversed(HISTORY):
        send(replay_store, event_type, body)
    for event_type, body in HISTORY:
        send(replay_store, event_type, body)
    replay_store.wait_applied()

    # then both stores know exactly the same
    expected = state(store)
    assert state(replay_store) == expected
    [customer] = expected["customers"]
    assert customer["last_name"] == "Lovelace"
    assert (customer["orders_count"], customer["total_spent"]) == (2, "25.00")
    assert (customer["accepts_marketing"], customer["marketing_status"]) == (True, "subscribed")
    assert expected["cart"]["status"] == "converted"
    assert [p["title"] for p in expected["products"]] == ["Blue mug", None]
    assert log_entries(store, outcome="stale") == []


def test_an_unsubscribe_and_an_older_customer_event_converge_in_either_order(
    store: StoreClient, replay_store: StoreClient
) -> None:
    created = {**CUSTOMER, "accepts_marketing": True, "updated_at": "2026-10-01T00:00:00Z"}
    unsubscribe = {"email": "ada@example.com"}

    # given one store that got the customer, then the unsubscribe
    send(store, "customers/create", created)
    store.wait_applied()
    send(store, "newsletter/unsubscribe", unsubscribe)
    store.wait_applied()

    # when another store gets the unsubscribe first and the (older) customer event late
    send(replay_store, "newsletter/unsubscribe", unsubscribe)
    replay_store.wait_applied()
    send(replay_store, "customers/create", created)
    replay_store.wait_applied()

    # then both know the same customer
    expected = store.get("/api/v1/customers/7").json()
    assert (expected["accepts_marketing"], expected["marketing_status"]) == (False, "unsubscribed")
    assert replay_store.get("/api/v1/customers/7").json() == expected


def test_an_update_older_than_its_customers_erasure_is_logged_as_stale_saying_so(
    store: StoreClient,
) -> None:
    # given a customer erased
    send(store, "customers/delete", {"id": "gone-1"})
    store.wait_applied()

    # when an update of that customer from before the erasure arrives late
    late = send(
        store,
        "customers/update",
        {"id": "gone-1", "email": "gone@example.com", "updated_at": "2020-01-01T00:00:00Z"},
    )
    store.wait_applied()

    # then the log says it was stale and why, and the customer stays gone
    entry = log_entry(store, late)
    assert entry["outcome"] == "stale"
    assert "erased after it" in entry["reason"]
    assert store.get("/api/v1/customers/gone-1").status_code == 404
