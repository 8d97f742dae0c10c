"""Every event type of the contract, under its name and its past-tense alias, and custom events."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import StoreClient
from tests.intake.logbook import log_entries, log_entry


def names(topic: str) -> list[str]:
    """The documented name and its past-tense alias."""
    return [topic, topic + ("d" if topic.endswith("e") else "ed")]


def send_applied(store: StoreClient, event_type: str, body: dict[str, Any]) -> dict[str, Any]:
    """Send, wait for the applier, and return the event's log entry."""
    response = store.send(event_type, body)
    assert response.status_code == 200, response.text
    store.wait_applied()
    return log_entry(store, response.json()["event_id"])


def assert_logged_as(entry: dict[str, Any], event_type: str, topic: str) -> None:
    assert (entry["event_type"], entry["topic"], entry["outcome"]) == (event_type, topic, "applied")


@pytest.mark.parametrize("event_type", names("customers/create"))
def test_customers_create_stores_the_customer(store: StoreClient, event_type: str) -> None:
    entry = send_applied(store, event_type, {"id": 7, "email": "ada@example.com"})

    assert_logged_as(entry, event_type, "customers/create")
    assert store.get("/api/v1/customers/7").json()["email"] == "ada@example.com"


@pytest.mark.parametrize("event_type", names("customers/update"))
def test_customers_update_changes_the_customer(store: StoreClient, event_type: str) -> None:
    send_applied(store, "customers/create", {"id": 7, "email": "ada@example.com"})

    entry = send_applied(store, event_type, {"id": 7, "email": "ada@example.com", "last_name": "L"})

    assert_logged_as(entry, event_type, "customers/update")
    assert store.get("/api/v1/customers/7").json()["last_name"] == "L"


@pytest.mark.parametrize("event_type", names("customers/delete"))
def test_customers_delete_erases_the_customer(store: StoreClient, event_type: str) -> None:
    send_applied(store, "customers/create", {"id": 7, "email": "ada@example.com"})

    entry = send_applied(store, event_type, {"id": 7})

    assert_logged_as(entry, event_type, "customers/delete")
    assert store.get("/api/v1/customers/7").status_code == 404


ORDER = {"id": 1001, "created_at": "2026-11-01T10:00:00Z", "total_price": "10.00"}


@pytest.mark.parametrize("event_type", names("orders/create"))
def test_orders_create_stores_the_order(store: StoreClient, event_type: str) -> None:
    entry = send_applied(store, event_type, ORDER)

    assert_logged_as(entry, event_type, "orders/create")
    assert store.get("/api/v1/orders/1001").json()["total_price"] == "10.00"


@pytest.mark.parametrize("event_type", names("orders/update"))
def test_orders_update_changes_the_order(store: StoreClient, event_type: str) -> None:
    send_applied(store, "orders/create", {**ORDER, "updated_at": "2026-11-01T10:00:00Z"})

    entry = send_applied(
        store, event_type, {**ORDER, "updated_at": "2026-11-02T10:00:00Z", "total_price": "8"}
    )

    assert_logged_as(entry, event_type, "orders/update")
    assert store.get("/api/v1/orders/1001").json()["total_price"] == "8.00"


@pytest.mark.parametrize("event_type", names("orders/delete"))
def test_orders_delete_removes_the_order(store: StoreClient, event_type: str) -> None:
    send_applied(store, "orders/create", ORDER)

    entry = send_applied(store, event_type, {"id": 1001})

    assert_logged_as(entry, event_type, "orders/delete")
    assert store.get("/api/v1/orders/1001").status_code == 404


@pytest.mark.parametrize("event_type", names("products/create"))
def test_products_create_stores_an_active_product(store: StoreClient, event_type: str) -> None:
    entry = send_applied(store, event_type, {"id": 55, "title": "Mug"})

    assert_logged_as(entry, event_type, "products/create")
    assert store.get("/api/v1/products/55").json()["status"] == "active"


@pytest.mark.parametrize("event_type", names("products/update"))
def test_products_update_changes_the_product(store: StoreClient, event_type: str) -> None:
    send_applied(store, "products/create", {"id": 55, "title": "Mug"})

    entry = send_applied(store, event_type, {"id": 55, "title": "Big mug"})

    assert_logged_as(entry, event_type, "products/update")
    assert store.get("/api/v1/products/55").json()["title"] == "Big mug"


@pytest.mark.parametrize("event_type", names("products/delete"))
def test_products_delete_makes_the_product_unavailable(store: StoreClient, event_type: str) -> None:
    send_applied(store, "products/create", {"id": 55, "title": "Mug"})

    entry = send_applied(store, event_type, {"id": 55})

    assert_logged_as(entry, event_type, "products/delete")
    assert store.get("/api/v1/products/55").json()["status"] == "unavailable"


@pytest.mark.parametrize("event_type", names("carts/create"))
def test_carts_create_stores_an_open_cart(store: StoreClient, event_type: str) -> None:
    entry = send_applied(store, event_type, {"id": "c1", "email": "ada@example.com"})

    assert_logged_as(entry, event_type, "carts/create")
    assert store.get("/api/v1/carts/c1").json()["status"] == "open"


@pytest.mark.parametrize("event_type", names("carts/update"))
def test_carts_update_changes_the_cart(store: StoreClient, event_type: str) -> None:
    send_applied(store, "carts/create", {"id": "c1", "email": "ada@example.com"})

    entry = send_applied(
        store, event_type, {"id": "c1", "email": "ada@example.com", "total_price": 3}
    )

    assert_logged_as(entry, event_type, "carts/update")
    assert store.get("/api/v1/carts/c1").json()["total_price"] == "3.00"


@pytest.mark.parametrize("event_type", names("newsletter/subscribe"))
def test_newsletter_subscribe_subscribes_the_address(store: StoreClient, event_type: str) -> None:
    entry = send_applied(store, event_type, {"email": "ada@example.com"})

    assert_logged_as(entry, event_type, "newsletter/subscribe")
    [customer] = store.get("/api/v1/customers", email="ada@example.com").json()["items"]
    assert customer["marketing_status"] == "subscribed"


@pytest.mark.parametrize("event_type", names("newsletter/unsubscribe"))
def test_newsletter_unsubscribe_suppresses_the_address(store: StoreClient, event_type: str) -> None:
    entry = send_applied(store, event_type, {"email": "ada@example.com"})

    assert_logged_as(entry, event_type, "newsletter/unsubscribe")
    [row] = store.get("/api/v1/suppressions", email="ada@example.com").json()["items"]
    assert (row["email"], row["type"]) == ("ada@example.com", "unsubscribed")


@pytest.mark.parametrize(
    ("event_type", "body"),
    [
        ("Signed Up", {"plan": "gold", "seats": 3}),
        ("checkout/started", {}),
        ("wishlist_added", {"items": [{"sku": "MUG"}]}),
    ],
)
def test_any_other_type_is_a_custom_event_kept_as_activity(
    store: StoreClient, event_type: str, body: dict[str, Any]
) -> None:
    # when a custom event that names nobody arrives, whatever its shape
    entry = send_applied(store, event_type, body)

    # then it is logged under its own type as an applied custom event
    assert_logged_as(entry, event_type, "custom")
    # and it creates no customer, order, product or cart on its own
    assert store.get("/api/v1/customers").json()["items"] == []
    assert store.get("/api/v1/orders").json()["items"] == []
    assert store.get("/api/v1/products/55").status_code == 404


@pytest.mark.parametrize(
    ("body", "lookup"),
    [
        ({"product_id": 55, "email": "Ada@Example.com"}, ("email", "ada@example.com")),
        ({"items": [{"sku": "MUG"}], "customer": {"id": 7}}, ("id", "7")),
        # a field sent empty names nobody: the next one that names a shopper counts
        ({"customer_id": "", "customerId": 7}, ("id", "7")),
        ({"customer_id": "  ", "customer": {"id": 7}}, ("id", "7")),
        ({"email": None, "customer": {"email": "ada@example.com"}}, ("email", "ada@example.com")),
    ],
)
def test_a_custom_event_naming_a_shopper_makes_them_a_contact(
    store: StoreClient, body: dict[str, Any], lookup: tuple[str, str]
) -> None:
    # when a custom event names a shopper winback has not heard of
    send_applied(store, "wishlist_added", body)

    # then that shopper is a contact whose marketing consent is still unknown,
    # and the event is on their timeline
    field, value = lookup
    [customer] = [c for c in store.get("/api/v1/customers").json()["items"] if c[field] == value]
    assert customer["marketing_status"] == "unknown"
    assert customer["orders_count"] == 0
    timeline = store.get(f"/api/v1/customers/{value}/activity").json()["items"]
    assert [entry["type"] for entry in timeline] == ["wishlist_added"]
    assert store.get("/api/v1/orders").json()["items"] == []
    assert store.get("/api/v1/products/55").status_code == 404


def test_custom_events_can_be_filtered_by_type_in_the_log(store: StoreClient) -> None:
    send_applied(store, "product_viewed", {"product_id": 1})
    send_applied(store, "Signed Up", {"plan": "gold"})
    send_applied(store, "product_viewed", {"product_id": 2})

    viewed = log_entries(store, type="product_viewed")
    assert [e["event_type"] for e in viewed] == ["product_viewed", "product_viewed"]
    assert len(log_entries(store, type="Signed Up")) == 1


def test_a_custom_event_about_a_known_customer_is_applied(store: StoreClient) -> None:
    send_applied(store, "customers/create", {"id": 7, "email": "ada@example.com"})

    entry = send_applied(store, "product_viewed", {"customer_id": 7, "product_id": 55})

    assert_logged_as(entry, "product_viewed", "custom")
    assert store.get("/api/v1/customers/7").json()["email"] == "ada@example.com"


BODIES_WITH_SENDER_EXTRAS = [
    ("customers/create", {"id": 7, "email": "ada@example.com"}),
    ("customers/delete", {"id": 7}),
    (
        "orders/create",
        {"id": 1, "created_at": "2026-11-01T00:00:00Z", "line_items": [{"sku": "A"}]},
    ),
    ("orders/delete", {"id": 1}),
    ("products/create", {"id": 55, "variants": [{"id": 1, "color_hex": "#00f"}]}),
    ("products/delete", {"id": 55}),
    ("carts/create", {"id": "c1", "line_items": [{"sku": "A", "gift_wrap": True}]}),
    ("newsletter/subscribe", {"email": "ada@example.com"}),
    ("newsletter/unsubscribe", {"email": "ada@example.com"}),
    ("product_viewed", {"product_id": 55}),
]


@pytest.mark.parametrize(
    ("event_type", "body"),
    BODIES_WITH_SENDER_EXTRAS,
    ids=[event_type for event_type, _ in BODIES_WITH_SENDER_EXTRAS],
)
def test_every_event_type_accepts_the_senders_extra_fields(
    store: StoreClient, event_type: str, body: dict[str, Any]
) -> None:
    extras = {"timestamp": 1764201600, "event_id": "evt-1", "debug": {"trace": [1, 2]}}

    entry = send_applied(store, event_type, body | extras)

    assert entry["outcome"] == "applied"


def test_a_custom_event_type_written_in_utf8_is_kept_as_written(store: StoreClient) -> None:
    event_type = "commande/créée"
    response = store.http.post(
        f"/webhooks/store/{store.store_id}",
        content=b'{"email": "ada@example.com"}',
        headers=[
            (b"content-type", b"application/json"),
            (b"x-event-type", event_type.encode()),
            (b"x-domain", "bücher.example".encode()),
            (b"x-token", store.api_key.encode()),
        ],
    )

    assert response.status_code == 200, response.text
    store.wait_applied()
    [entry] = store.get("/api/v1/events", type=event_type).json()["items"]
    assert (entry["event_type"], entry["headers"]["x-domain"]) == (event_type, "bücher.example")
