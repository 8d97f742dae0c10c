"""Carts over real HTTP: the same id is the same cart, and an order converts it."""

from __future__ import annotations

from typing import Any

from tests.conftest import StoreClient
from tests.conftest import applied as send

ADA = {"id": 7, "email": "ada@example.com"}


def cart(store: StoreClient, cart_id: str = "c1") -> dict[str, Any]:
    response = store.get(f"/api/v1/carts/{cart_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def place_order(
    store: StoreClient,
    created_at: str,
    customer: dict[str, Any] = ADA,
    *,
    test: bool = False,
    updated_at: str | None = None,
) -> None:
    order = {"id": 1001, "created_at": created_at, "customer": customer, "total_price": "12.45"}
    send(store, "orders/create", order | {"test": test, "updated_at": updated_at or created_at})


def test_a_cart_is_stored_as_sent_and_open(store: StoreClient) -> None:
    send(
        store,
        "carts/create",
        {
            "id": "c1",
            "cart_token": "tok-1",
            "created_at": "2026-11-01T10:00:00+02:00",
            "updated_at": "2026-11-01T10:05:00+02:00",
            "currency": "eur",
            "customer": {**ADA, "first_name": "Ada"},
            "abandoned_checkout_url": "https://shop.example/cart/restore/tok-1",
            "line_items": [{"product_id": 55, "name": "Mug", "quantity": 2, "price": "12.45"}],
            "total_price": "24.90",
        },
    )

    assert cart(store) == {
        "id": "c1",
        "status": "open",
        "customer_id": "7",
        "email": "ada@example.com",
        "currency": "EUR",
        "total_price": "24.90",
        "abandoned_checkout_url": "https://shop.example/cart/restore/tok-1",
        "line_items": [
            {"product_id": "55", "name": "Mug", "quantity": "2", "price": "12.45", "sku": None}
        ],
        "created_at": "2026-11-01T08:00:00+00:00",
        "updated_at": "2026-11-01T08:05:00+00:00",
        "cart_token": "tok-1",
        "discount_codes": [],
    }
    assert store.get("/api/v1/customers/7").json()["first_name"] == "Ada"
    assert store.get("/api/v1/products/55").json()["status"] == "disabled"


def test_a_negative_total_discounts_is_kept_as_the_same_positive_amount(store: StoreClient) -> None:
    # as for an order: a sender that sends the discount negative means the same amount
    send(store, "carts/update", {"id": "c1", "total_discounts": "-5.50", "line_items": []})

    assert cart(store)["total_discounts"] == "5.50"


def test_the_same_id_replaces_the_carts_contents(store: StoreClient) -> None:
    send(
        store,
        "carts/create",
        {
            "id": "c1",
            "customer": ADA,
            "updated_at": "2026-11-01T10:00:00Z",
            "line_items": [{"sku": "MUG", "quantity": 1}, {"sku": "SPOON", "quantity": 3}],
            "total_price": "20.00",
        },
    )

    send(
        store,
        "carts/update",
        {
            "id": "c1",
            "customer": ADA,
            "updated_at": "2026-11-01T10:30:00Z",
            "line_items": [{"sku": "PLATE", "quantity": 1, "price": "5"}],
            "total_price": "5.00",
        },
    )

    stored = cart(store)
    assert [(line["sku"], line["quantity"]) for line in stored["line_items"]] == [("PLATE", "1")]
    assert (stored["total_price"], stored["updated_at"]) == ("5.00", "2026-11-01T10:30:00+00:00")


def _cart_version(minute: int, **sent: Any) -> dict[str, Any]:
    line = {"sku": "MUG", "quantity": minute, "price": "5"}
    return {"id": "c1", "updated_at": f"2026-11-01T10:{minute:02}:00Z", "line_items": [line]} | sent


def test_an_update_of_the_contents_alone_keeps_the_restore_link_and_token(
    store: StoreClient,
) -> None:
    # given a cart sent with the link that restores it and its token
    link = {"abandoned_checkout_url": "https://shop.example/cart/c1", "cart_token": "t1"}
    send(store, "carts/create", _cart_version(1, **link))

    # when a later update changes a quantity and sends neither
    send(store, "carts/update", _cart_version(2))

    # then the cart has the new contents and still the link and token
    stored = cart(store)
    assert [line["quantity"] for line in stored["line_items"]] == ["2"]
    assert (stored["abandoned_checkout_url"], stored["cart_token"]) == (
        link["abandoned_checkout_url"],
        "t1",
    )
    assert "_sent_at" not in stored


def test_a_late_older_version_fills_in_a_link_no_newer_one_sent_and_no_more(
    store: StoreClient,
) -> None:
    # given the newest version of a cart, without a link, and one before it with a new link
    send(store, "carts/update", _cart_version(3))
    send(store, "carts/update", _cart_version(2, abandoned_checkout_url="https://shop.example/2"))

    # when a still older version with another link arrives last
    send(store, "carts/update", _cart_version(1, abandoned_checkout_url="https://shop.example/1"))

    # then the cart holds the newest contents and the link of the newest version that sent one,
    # as if the three had arrived in order
    stored = cart(store)
    assert [line["quantity"] for line in stored["line_items"]] == ["3"]
    assert stored["abandoned_checkout_url"] == "https://shop.example/2"


def test_an_emptied_cart_has_no_lines(store: StoreClient) -> None:
    send(store, "carts/create", {"id": "c1", "customer": ADA, "line_items": [{"sku": "MUG"}]})

    send(store, "carts/update", {"id": "c1", "customer": ADA, "line_items": []})

    assert cart(store)["line_items"] == []


def test_an_order_converts_the_buyers_open_cart(store: StoreClient) -> None:
    # given an open cart of customer 7
    send(store, "carts/create", {"id": "c1", "customer": ADA, "updated_at": "2026-11-01T10:00:00Z"})

    # when customer 7 places an order afterwards
    place_order(store, "2026-11-01T10:20:00Z")

    # then the cart is converted (no abandoned-cart mail for it)
    assert cart(store)["status"] == "converted"


def test_an_order_found_by_email_converts_a_guest_cart_with_that_email(store: StoreClient) -> None:
    send(
        store,
        "carts/create",
        {"id": "c1", "email": "guest@example.com", "updated_at": "2026-11-01T10:00:00Z"},
    )

    place_order(store, "2026-11-01T10:20:00Z", customer={"email": "guest@example.com"})

    assert cart(store)["status"] == "converted"


def test_an_order_that_arrives_before_the_cart_still_converts_it(store: StoreClient) -> None:
    # given an order placed at 10:20 that was delivered first
    place_order(store, "2026-11-01T10:20:00Z")

    # when the cart's last update (10:00, before the order) arrives late
    send(store, "carts/update", {"id": "c1", "customer": ADA, "updated_at": "2026-11-01T10:00:00Z"})

    # then the cart is converted all the same
    assert cart(store)["status"] == "converted"


def test_a_test_order_leaves_the_buyers_cart_open_whenever_it_arrives(
    store: StoreClient,
) -> None:
    # a store trying its checkout while signed in as a shopper
    send(store, "carts/create", {"id": "c1", "customer": ADA, "updated_at": "2026-11-01T10:00:00Z"})
    place_order(store, "2026-11-01T10:20:00Z", test=True)
    place_order(store, "2026-11-01T10:25:00Z", customer={"id": 9}, test=True)
    send(
        store,
        "carts/create",
        {"id": "c2", "customer": {"id": 9}, "updated_at": "2026-11-01T10:00:00Z"},
    )

    assert cart(store)["status"] == "open"
    assert cart(store, "c2")["status"] == "open"


def test_an_order_that_was_real_in_one_version_converts_the_cart(store: StoreClient) -> None:
    send(store, "carts/create", {"id": "c1", "customer": ADA, "updated_at": "2026-11-01T10:00:00Z"})
    place_order(store, "2026-11-01T10:20:00Z", test=True, updated_at="2026-11-01T10:30:00Z")
    # an earlier version of the same order, not a test yet, delivered late
    place_order(store, "2026-11-01T10:20:00Z")

    assert cart(store)["status"] == "converted"


def test_a_cart_changed_after_the_order_stays_open(store: StoreClient) -> None:
    place_order(store, "2026-11-01T10:20:00Z")

    send(store, "carts/create", {"id": "c2", "customer": ADA, "updated_at": "2026-11-01T11:00:00Z"})

    assert cart(store, "c2")["status"] == "open"


def test_another_customers_order_does_not_convert_the_cart(store: StoreClient) -> None:
    send(store, "carts/create", {"id": "c1", "customer": ADA, "updated_at": "2026-11-01T10:00:00Z"})

    place_order(store, "2026-11-01T10:20:00Z", customer={"id": 8, "email": "charles@example.com"})

    assert cart(store)["status"] == "open"


def test_an_anonymous_cart_is_kept_without_creating_a_customer(store: StoreClient) -> None:
    send(
        store,
        "carts/create",
        {"id": "c1", "customer": None, "email": None, "line_items": [{"sku": "MUG"}]},
    )

    stored = cart(store)
    assert (stored["status"], stored["customer_id"], stored["email"]) == ("open", None, None)
    assert store.get("/api/v1/customers").json()["items"] == []


def test_a_guest_cart_with_an_email_is_linked_to_that_shopper(store: StoreClient) -> None:
    send(store, "customers/create", {"email": "guest@example.com", "first_name": "Gus"})

    send(store, "carts/create", {"id": "c1", "email": "Guest@Example.com"})

    [customer] = store.get("/api/v1/customers").json()["items"]
    assert customer["first_name"] == "Gus"
    assert cart(store)["email"] == "guest@example.com"


def test_carts_of_one_store_are_invisible_to_another(
    store: StoreClient, other_store: StoreClient
) -> None:
    send(store, "carts/create", {"id": "c1", "customer": ADA})

    assert other_store.get("/api/v1/carts/c1").status_code == 404


def test_cart_lines_whose_sum_reaches_the_money_limit_are_refused_at_once(
    store: StoreClient,
) -> None:
    # when a cart's line is worth more than money can hold (price times quantity)
    line = {"product_id": "q", "quantity": 99999999999999, "price": 99999999999999}
    response = store.send("carts/create", {"id": "c1", "line_items": [line]})

    # then the sender hears it with the lines' pointer, and no cart is stored
    assert response.status_code == 400
    assert response.json()["error"]["pointer"] == "/line_items"
    assert store.get("/api/v1/carts/c1").status_code == 404


def test_a_cart_total_with_more_than_four_places_is_refused(store: StoreClient) -> None:
    response = store.send("carts/create", {"id": "c1", "total_price": "12.45001"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["pointer"] == "/total_price"
    assert error["reason"].startswith("money has at most 4 decimal places")


def test_a_cart_without_a_total_shows_its_lines_sum_as_an_order_does(store: StoreClient) -> None:
    lines = [{"sku": "MUG", "price": "12.45", "quantity": 2}, {"sku": "CUP", "price": "3"}]
    assert store.send("carts/create", {"id": "c1", "line_items": lines}).status_code == 200
    assert store.send("carts/create", {"id": "c2"}).status_code == 200
    store.wait_applied()

    assert store.get("/api/v1/carts/c1").json()["total_price"] == "27.90"
    assert store.get("/api/v1/carts/c2").json()["total_price"] is None  # (no lines: no sum)


def test_a_cart_whose_lines_sum_cannot_be_kept_exactly_needs_its_total(store: StoreClient) -> None:
    line = {"sku": "RIBBON", "price": "0.0001", "quantity": "0.5"}

    response = store.send("carts/create", {"id": "c1", "line_items": [line]})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["pointer"] == "/total_price"
    assert error["reason"].endswith("send the total")
    assert store.get("/api/v1/carts/c1").status_code == 404


def test_a_lines_added_at_reads_in_utc_as_every_other_time(store: StoreClient) -> None:
    line = {
        "product_id": 55,
        "quantity": 1,
        "price": "2.00",
        "added_at": "2026-11-01T12:00:00+02:00",
    }
    send(
        store,
        "carts/create",
        {"id": "c1", "updated_at": "2026-11-01T10:30:00Z", "line_items": [line]},
    )

    shown = cart(store)
    assert shown["line_items"][0]["added_at"] == "2026-11-01T10:00:00+00:00"
    assert shown["updated_at"] == "2026-11-01T10:30:00+00:00"
