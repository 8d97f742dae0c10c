"""Orders over real HTTP: the order as sent, its buyer, its products, exact money."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import StoreClient
from tests.conftest import applied as send
from tests.intake.logbook import log_entry, unix_seconds

ADA = {"id": 7, "email": "ada@example.com", "first_name": "Ada"}


def order(**fields: Any) -> dict[str, Any]:
    return {"id": 1001, "created_at": "2026-11-01T10:00:00+02:00"} | fields


def test_the_order_is_stored_as_sent(store: StoreClient) -> None:
    send(
        store,
        "orders/create",
        order(
            name="#1001",
            updated_at="2026-11-01T11:00:00+02:00",
            currency="eur",
            email="Ada@Example.com",
            customer=ADA,
            status={"code": "processing", "name": "Processing"},
            financial_status="paid",
            discount_codes=[{"code": "WELCOME", "amount": "5.00", "type": "fixed_amount"}],
            line_items=[
                {
                    "product_id": 55,
                    "variant_id": 551,
                    "sku": "MUG-BLUE",
                    "name": "Mug",
                    "variant_title": "Blue",
                    "quantity": 2,
                    "price": "12.45",
                },
                {"sku": "SPOON", "title": "Spoon", "quantity": "1", "price": 3},
            ],
            subtotal_price="27.90",
            total_discounts="5.00",
            total_tax="4.58",
            total_shipping="4.90",
            total_price="27.80",
            note="leave at the door",
            channel="web",
        ),
    )

    assert store.get("/api/v1/orders/1001").json() == {
        "id": "1001",
        "name": "#1001",
        "customer_id": "7",
        "email": "ada@example.com",
        "status": "processing",
        "financial_status": "paid",
        "currency": "EUR",
        "subtotal_price": "27.90",
        "total_discounts": "5.00",
        "total_tax": "4.58",
        "total_shipping": "4.90",
        "total_price": "27.80",
        "test": False,
        "discount_codes": [{"code": "WELCOME", "amount": "5.00", "type": "fixed_amount"}],
        "line_items": [
            {
                "product_id": "55",
                "variant_id": "551",
                "sku": "MUG-BLUE",
                "name": "Mug",
                "variant_title": "Blue",
                "quantity": "2",
                "price": "12.45",
            },
            {
                "sku": "SPOON",
                "name": "Spoon",
                "title": "Spoon",
                "quantity": "1",
                "price": "3.00",
                "product_id": None,
            },
        ],
        "created_at": "2026-11-01T08:00:00+00:00",
        "updated_at": "2026-11-01T09:00:00+00:00",
        "note": "leave at the door",
        "channel": "web",
    }


def test_without_a_currency_the_order_is_in_the_stores_currency(store: StoreClient) -> None:
    send(store, "orders/create", order(total_price="5"))

    assert store.get("/api/v1/orders/1001").json()["currency"] == "USD"


def test_an_unknown_product_of_a_line_item_is_created_disabled(store: StoreClient) -> None:
    # when an order names a product the catalog does not know
    send(
        store,
        "orders/create",
        order(
            currency="EUR",
            line_items=[
                {
                    "product_id": 55,
                    "sku": "MUG",
                    "name": "Mug",
                    "vendor": "Potter & Co",
                    "url": "https://shop.example/mug",
                    "image": {"src": "https://shop.example/mug.jpg"},
                    "price": "12.45",
                }
            ],
        ),
    )

    # then the product exists, disabled (known, never recommended), from what the line said
    product = store.get("/api/v1/products/55").json()
    assert product["status"] == "disabled"
    assert (product["sku"], product["title"], product["price"], product["currency"]) == (
        "MUG",
        "Mug",
        "12.45",
        "EUR",
    )
    assert (product["vendor"], product["url"]) == ("Potter & Co", "https://shop.example/mug")
    assert product["images"] == ["https://shop.example/mug.jpg"]
    # with one variant repeating its own id, sku and price, as a product sent without variants
    assert product["variants"] == [
        {"id": "55", "product_id": "55", "sku": "MUG", "title": "Mug", "price": "12.45"}
    ]


def test_a_line_names_its_product_by_title_its_variant_by_variant_title_and_all_images(
    store: StoreClient,
) -> None:
    # when a line says its product, its variant and two pictures, as platforms do
    line = {
        "product_id": 56,
        "variant_id": 561,
        "name": "T-shirt - Red / L",
        "title": "T-shirt",
        "variant_title": "Red / L",
        "image": "https://shop.example/tee.jpg",
        "images": [{"src": "https://shop.example/tee-back.jpg"}, "https://shop.example/tee.jpg"],
        "price": "20.00",
    }
    send(store, "orders/create", order(line_items=[line]))

    # then the product is the T-shirt, its variant the red large one, with both pictures
    product = store.get("/api/v1/products/56").json()
    assert product["title"] == "T-shirt"
    assert product["images"] == [
        "https://shop.example/tee.jpg",
        "https://shop.example/tee-back.jpg",
    ]
    assert product["variants"] == [
        {"id": "561", "product_id": "56", "title": "Red / L", "price": "20.00"}
    ]
    # and the order's line keeps the name it was sold under
    assert store.get("/api/v1/orders/1001").json()["line_items"][0]["name"] == "T-shirt - Red / L"


def test_a_product_known_from_a_line_has_the_lines_variant(store: StoreClient) -> None:
    send(
        store,
        "orders/create",
        order(line_items=[{"product_id": 55, "variant_id": 551, "sku": "MUG-BLUE", "price": 3}]),
    )

    assert store.get("/api/v1/products/55").json()["variants"] == [
        {"id": "551", "product_id": "55", "sku": "MUG-BLUE", "price": "3.00"}
    ]


def test_a_line_repeating_a_products_description_still_outdates_older_lines(
    store: StoreClient,
) -> None:
    mug = {"product_id": 55, "sku": "MUG", "name": "Mug", "price": "12.45"}
    # given a product described by a line, then by a newer line that says the same
    send(store, "orders/create", order(id=1, updated_at="2026-11-01T10:00:00Z", line_items=[mug]))
    send(store, "orders/create", order(id=3, updated_at="2026-11-03T10:00:00Z", line_items=[mug]))

    # when a line older than the second, describing it otherwise, arrives last
    older = mug | {"name": "Old mug", "price": "10.00"}
    send(store, "orders/create", order(id=2, updated_at="2026-11-02T10:00:00Z", line_items=[older]))

    # then the newest line still describes the product
    product = store.get("/api/v1/products/55").json()
    assert (product["title"], product["price"]) == ("Mug", "12.45")


def test_a_line_without_product_id_finds_or_creates_its_product_by_sku(store: StoreClient) -> None:
    # given a product known under its own id and sku
    send(store, "products/create", {"id": 55, "sku": "MUG", "title": "Mug"})

    # when orders name products only by sku, one known and one not
    send(
        store,
        "orders/create",
        order(line_items=[{"sku": "MUG", "price": 1}, {"sku": "SPOON", "title": "Spoon"}]),
    )
    send(store, "orders/create", order(id=1002, line_items=[{"sku": "SPOON", "title": "Spoon"}]))

    # then the known one is untouched and the unknown one is created once, disabled
    assert store.get("/api/v1/products/55").json()["status"] == "active"
    assert store.get("/api/v1/products/MUG").status_code == 404
    spoon = store.get("/api/v1/products/SPOON").json()
    assert (spoon["status"], spoon["sku"], spoon["title"]) == ("disabled", "SPOON", "Spoon")


def test_a_line_item_does_not_change_a_product_the_store_sent(store: StoreClient) -> None:
    send(store, "products/create", {"id": 55, "title": "Mug", "price": "12.45"})
    before = store.get("/api/v1/products/55").json()

    send(
        store,
        "orders/create",
        order(line_items=[{"product_id": 55, "name": "Old mug name", "price": "9.99"}]),
    )

    assert store.get("/api/v1/products/55").json() == before


def test_an_unknown_buyer_is_created_from_the_orders_customer_object(store: StoreClient) -> None:
    send(
        store,
        "orders/create",
        order(
            customer={
                "id": 7,
                "email": "Ada@Example.com",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "accepts_marketing": True,
                "tags": "vip",
            },
            total_price="10.00",
        ),
    )

    customer = store.get("/api/v1/customers/7").json()
    assert (customer["email"], customer["first_name"], customer["last_name"]) == (
        "ada@example.com",
        "Ada",
        "Lovelace",
    )
    assert (customer["marketing_status"], customer["tags"]) == ("subscribed", ["vip"])
    assert (customer["orders_count"], customer["total_spent"]) == (1, "10.00")


def test_an_unknown_buyer_is_created_from_the_email_alone(store: StoreClient) -> None:
    send(store, "orders/create", order(email="Ada@Example.com", total_price="10.00"))

    [customer] = store.get("/api/v1/customers").json()["items"]
    assert (customer["id"], customer["email"], customer["first_name"]) == (
        None,
        "ada@example.com",
        None,
    )
    assert (customer["orders_count"], customer["total_spent"]) == (1, "10.00")
    assert customer["marketing_status"] == "unknown"


def test_a_guest_order_creates_the_guest_customer(store: StoreClient) -> None:
    send(
        store,
        "orders/create",
        order(customer={"email": "guest@example.com", "guest": True}, total_price="10.00"),
    )

    [customer] = store.get("/api/v1/customers").json()["items"]
    assert (customer["email"], customer["guest"], customer["orders_count"]) == (
        "guest@example.com",
        True,
        1,
    )


@pytest.mark.parametrize("placeholder", [0, "0", ""])
def test_guests_sent_with_a_placeholder_id_stay_apart(store: StoreClient, placeholder: Any) -> None:
    # given two guests' orders whose customer objects carry the id many carts give guests
    for number, email in ((1, "ann@example.com"), (2, "bob@example.com")):
        guest = {"id": placeholder, "email": email, "guest": True}
        send(store, "orders/create", order(id=number, customer=guest, total_price="10.00"))

    # then each guest is their own customer, known by the email, and none is "0"
    customers = store.get("/api/v1/customers").json()["items"]
    assert sorted((c["id"], c["email"], c["orders_count"]) for c in customers) == [
        (None, "ann@example.com", 1),
        (None, "bob@example.com", 1),
    ]


def test_a_customer_object_without_email_takes_the_orders_email(store: StoreClient) -> None:
    send(store, "orders/create", order(email="ada@example.com", customer={"id": 7}))

    assert store.get("/api/v1/customers/7").json()["email"] == "ada@example.com"


def test_an_order_by_email_goes_to_the_known_customer_with_that_email(store: StoreClient) -> None:
    send(store, "customers/create", ADA)

    send(store, "orders/create", order(email="ada@example.com", total_price="10.00"))

    assert [c["id"] for c in store.get("/api/v1/customers").json()["items"]] == ["7"]
    assert store.get("/api/v1/orders/1001").json()["customer_id"] == "7"
    assert store.get("/api/v1/customers/7").json()["orders_count"] == 1


def test_an_order_does_not_overwrite_what_the_store_said_about_the_customer(
    store: StoreClient,
) -> None:
    send(store, "customers/create", {**ADA, "last_name": "Lovelace"})

    send(store, "orders/create", order(customer={**ADA, "first_name": "A.", "last_name": "L."}))

    customer = store.get("/api/v1/customers/7").json()
    assert (customer["first_name"], customer["last_name"]) == ("Ada", "Lovelace")


def test_an_order_without_an_address_shows_its_buyers_address_as_it_is_now(
    store: StoreClient,
) -> None:
    send(store, "customers/create", ADA)
    send(store, "orders/create", order(customer={"id": 7}))

    send(store, "customers/update", {"id": 7, "email": "ada@new.example"})

    found = store.get("/api/v1/orders/1001").json()
    assert (found["customer_id"], found["email"]) == ("7", "ada@new.example")
    assert (
        store.get("/api/v1/orders", params={"customer_id": "7"}).json()["items"][0]["email"]
        == "ada@new.example"
    )


def _hours_from_now(hours: int) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def test_an_erased_buyers_address_leaves_the_orders_that_only_borrowed_it(
    store: StoreClient,
) -> None:
    send(store, "customers/create", ADA)
    send(
        store,
        "orders/create",
        # (an hour ahead: newer than the erasure, which is dated when it arrives)
        order(updated_at=_hours_from_now(1), customer={"id": 7, "first_name": "Ada"}),
    )

    send(store, "customers/delete", {"id": 7})

    # (the order's version is newer than the erasure: the buyer and the sale stay)
    found = store.get("/api/v1/orders/1001").json()
    assert (found["customer_id"], found["email"]) == ("7", None)


def test_an_order_without_a_buyer_creates_no_customer(store: StoreClient) -> None:
    send(store, "orders/create", order(total_price="10.00"))

    assert store.get("/api/v1/orders/1001").json()["customer_id"] is None
    assert store.get("/api/v1/customers").json()["items"] == []


def test_negative_total_discounts_are_stored_as_the_same_positive_amount(
    store: StoreClient,
) -> None:
    send(store, "orders/create", order(total_discounts="-5.50", total_price="20.00"))
    send(store, "orders/create", order(id=1002, total_discounts=-5.5, total_price="20.00"))

    assert store.get("/api/v1/orders/1001").json()["total_discounts"] == "5.50"
    assert store.get("/api/v1/orders/1002").json()["total_discounts"] == "5.50"


def test_a_negative_discount_code_amount_is_the_same_positive_amount(store: StoreClient) -> None:
    code = {"code": "WELCOME", "amount": "-5.50", "type": "fixed_amount"}
    send(store, "orders/create", order(discount_codes=[code], total_price="20.00"))

    [shown] = store.get("/api/v1/orders/1001").json()["discount_codes"]
    assert (shown["code"], shown["amount"]) == ("WELCOME", "5.50")


def test_numbers_may_be_strings_and_ids_may_be_numbers(store: StoreClient) -> None:
    # given an order whose ids are numbers and whose numbers are strings
    send(
        store,
        "orders/create",
        order(
            id=1001,
            customer={"id": 7, "email": "ada@example.com"},
            line_items=[{"product_id": 55, "variant_id": "551", "quantity": "3", "price": "2.5"}],
            total_price="7.5",
        ),
    )
    # and one whose ids are strings and whose numbers are numbers
    send(
        store,
        "orders/create",
        order(
            id="1002",
            customer={"id": "7"},
            line_items=[{"product_id": "55", "variant_id": 551, "quantity": 3, "price": 2.5}],
            total_price=7.5,
        ),
    )

    # then both read the same, with string ids and exact decimal strings
    first = store.get("/api/v1/orders/1001").json()
    second = store.get("/api/v1/orders/1002").json()
    for stored in (first, second):
        assert stored["customer_id"] == "7"
        assert stored["total_price"] == "7.50"
        assert stored["line_items"] == [
            {
                "product_id": "55",
                "variant_id": "551",
                "quantity": "3",
                "price": "2.50",
                "name": None,
                "sku": None,
            }
        ]
    assert [c["id"] for c in store.get("/api/v1/customers").json()["items"]] == ["7"]


def test_money_sent_as_json_numbers_is_kept_exactly(store: StoreClient) -> None:
    send(
        store,
        "orders/create",
        order(
            customer={"id": 7},
            line_items=[{"product_id": 55, "quantity": 1, "price": 19.99}],
            total_price=19.99,
            total_tax=0.1,
            total_shipping=1234567.89,
        ),
    )

    stored = store.get("/api/v1/orders/1001").json()
    assert stored["line_items"][0]["price"] == "19.99"
    assert (stored["total_price"], stored["total_tax"], stored["total_shipping"]) == (
        "19.99",
        "0.10",
        "1234567.89",
    )
    assert store.get("/api/v1/products/55").json()["price"] == "19.99"
    assert store.get("/api/v1/customers/7").json()["total_spent"] == "19.99"


def test_a_fractional_quantity_is_kept(store: StoreClient) -> None:
    send(store, "orders/create", order(line_items=[{"sku": "CHEESE", "quantity": "0.25"}]))

    assert store.get("/api/v1/orders/1001").json()["line_items"][0]["quantity"] == "0.25"


def test_a_test_order_is_kept_but_not_counted_as_revenue(store: StoreClient) -> None:
    # when a customer's only order is a test order
    send(store, "orders/create", order(customer=ADA, test=True, total_price="50.00"))

    # then the order is kept and marked, and the customer has no revenue
    assert store.get("/api/v1/orders/1001").json()["test"] is True
    customer = store.get("/api/v1/customers/7").json()
    assert (customer["orders_count"], customer["total_spent"]) == (0, "0.00")
    assert (customer["first_order_at"], customer["last_order_at"]) == (None, None)
    assert customer["average_order_value"] is None


def test_an_order_update_replaces_the_line_items(store: StoreClient) -> None:
    send(
        store,
        "orders/create",
        order(
            updated_at="2026-11-01T10:00:00Z",
            line_items=[{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}],
        ),
    )

    send(
        store,
        "orders/update",
        order(updated_at="2026-11-02T10:00:00Z", line_items=[{"sku": "B", "quantity": 1}]),
    )

    lines = store.get("/api/v1/orders/1001").json()["line_items"]
    assert [(line["sku"], line["quantity"]) for line in lines] == [("B", "1")]


def test_orders_delete_removes_the_order_and_nothing_else(store: StoreClient) -> None:
    send(store, "orders/create", order(customer=ADA, line_items=[{"product_id": 55}]))
    send(store, "orders/create", order(id=1002, customer=ADA))

    event_id = send(store, "orders/delete", {"id": 1001})

    assert log_entry(store, event_id)["outcome"] == "applied"
    assert store.get("/api/v1/orders/1001").status_code == 404
    assert [o["id"] for o in store.get("/api/v1/orders").json()["items"]] == ["1002"]
    assert store.get("/api/v1/customers/7").status_code == 200
    assert store.get("/api/v1/products/55").json()["status"] == "disabled"


def test_an_order_older_than_its_deletion_does_not_come_back(store: StoreClient) -> None:
    send(store, "orders/create", order(updated_at="2026-11-01T10:00:00Z", customer=ADA))
    send(store, "orders/delete", {"id": 1001})

    late = send(
        store,
        "orders/update",
        order(updated_at="2026-11-02T10:00:00Z", customer=ADA, total_price="1"),
    )

    assert log_entry(store, late)["outcome"] == "stale"
    assert store.get("/api/v1/orders/1001").status_code == 404
    assert store.get("/api/v1/customers/7").json()["orders_count"] == 0


def test_deleting_an_unknown_order_is_harmless(store: StoreClient) -> None:
    event_id = send(store, "orders/delete", {"id": 404})

    assert log_entry(store, event_id)["outcome"] == "applied"
    assert store.get("/api/v1/orders").json()["items"] == []


def test_money_with_many_digits_is_kept_exactly(store: StoreClient) -> None:
    # given an amount that fits the money columns (16 integer digits, 4 places)
    send(
        store,
        "orders/create",
        order(customer={"id": 7}, total_price="9007199254740.9931"),
    )

    # then it reads back to the last digit, on the order and in the aggregates
    assert store.get("/api/v1/orders/1001").json()["total_price"] == "9007199254740.9931"
    assert store.get("/api/v1/customers/7").json()["total_spent"] == "9007199254740.9931"


def test_an_update_that_arrives_before_its_create_wins_over_the_late_create(
    store: StoreClient,
) -> None:
    # given the update of an order delivered before its create
    send(store, "orders/update", order(updated_at="2026-11-01T12:00:00Z", total_price="8.00"))

    # when the create arrives late
    late = send(store, "orders/create", order(updated_at="2026-11-01T10:00:00Z", total_price="10"))

    # then the order is as the update said and the create is stale
    assert store.get("/api/v1/orders/1001").json()["total_price"] == "8.00"
    assert log_entry(store, late)["outcome"] == "stale"


def test_json_numbers_beyond_double_precision_are_kept_exactly_or_refused(
    store: StoreClient,
) -> None:
    # given an order whose id and total are JSON numbers with more digits than a double holds
    raw = (
        b'{"id": 123456789012345678901, "created_at": "2026-11-01T10:00:00Z",'
        b' "total_price": 9007199254740.9931}'
    )

    # when it is delivered
    response = store.send("orders/create", None, raw=raw)

    # then it is refused, naming the number, or stored digit for digit
    if response.status_code == 400:
        assert response.json()["error"]["pointer"] in {"/id", "/total_price"}
        return
    store.wait_applied()
    stored = store.get("/api/v1/orders/123456789012345678901")
    assert stored.status_code == 200
    assert stored.json()["total_price"] == "9007199254740.9931"


def refused(store: StoreClient, event_type: str, body: Any) -> dict[str, Any]:
    """The error of a delivery that must be refused at once, with nothing applied."""
    response = store.send(event_type, body)
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"total_price": "10.123456"}, "/total_price"),
        ({"total_price": 0.30000000000000004}, "/total_price"),
        ({"total_tax": "0.00001"}, "/total_tax"),
        ({"line_items": [{"sku": "MUG", "price": "0.00001"}]}, "/line_items/0/price"),
        (
            {"discount_codes": [{"code": "WELCOME", "amount": "5.000001"}]},
            "/discount_codes/0/amount",
        ),
    ],
)
def test_money_with_more_than_four_places_is_refused_naming_the_field(
    store: StoreClient, fields: dict[str, Any], pointer: str
) -> None:
    # when an amount has more places than winback keeps (it would be rounded)
    error = refused(store, "orders/create", order(total_price="10") | fields)

    # then the sender hears which amount and why, and nothing is stored
    assert error["pointer"] == pointer
    assert error["reason"].startswith("money has at most 4 decimal places")
    assert store.get("/api/v1/orders/1001").status_code == 404


def test_trailing_zeros_do_not_count_as_places(store: StoreClient) -> None:
    send(store, "orders/create", order(total_price="10.1200000"))

    assert store.get("/api/v1/orders/1001").json()["total_price"] == "10.12"


def test_a_quantity_with_more_than_four_places_is_refused(store: StoreClient) -> None:
    # the line's quantity is stored with 4 places, like money
    error = refused(store, "orders/create", order(line_items=[{"sku": "C", "quantity": "0.00001"}]))

    assert error["pointer"] == "/line_items/0/quantity"
    assert error["reason"].startswith("a quantity has at most 4 decimal places")


def test_lines_whose_sum_reaches_the_money_limit_are_refused_at_once(store: StoreClient) -> None:
    # given a line whose price and quantity are each under the limit, but not their product
    line = {"product_id": "q", "quantity": 99999999999999, "price": 99999999999999}

    # when the order leaves its total to the lines
    error = refused(store, "orders/create", order(line_items=[line]))

    # then it is refused before the 200 (it could never be stored), naming the lines
    assert error["pointer"] == "/line_items"
    assert "100,000,000,000,000" in error["reason"]
    assert store.get("/api/v1/orders/1001").status_code == 404


def test_lines_just_under_the_money_limit_make_the_orders_total(store: StoreClient) -> None:
    line = {"sku": "GOLD", "quantity": 2, "price": "49999999999999.9999"}

    send(store, "orders/create", order(line_items=[line]))

    assert store.get("/api/v1/orders/1001").json()["total_price"] == "99999999999999.9998"


def test_a_total_left_to_lines_with_more_than_four_places_is_refused(store: StoreClient) -> None:
    # given lines whose sum has 5 places (1.2345 times 0.5), and no total_price
    line = {"sku": "CHEESE", "quantity": "0.5", "price": "1.2345"}

    # then winback will not round the total it would have to work out
    error = refused(store, "orders/create", order(line_items=[line]))
    assert error["pointer"] == "/total_price"
    assert "send the total" in error["reason"]

    # and with the total given, the same lines are kept as sent
    send(store, "orders/create", order(line_items=[line], total_price="0.62"))
    stored = store.get("/api/v1/orders/1001").json()
    assert (stored["total_price"], stored["line_items"][0]["price"]) == ("0.62", "1.2345")


def test_the_same_order_sent_again_in_other_words_changes_nothing_and_is_logged_so(
    store: StoreClient,
) -> None:
    sent = order(updated_at="2026-11-01T10:00:00Z", total_price="10.5", customer=ADA)
    send(store, "orders/create", sent)
    # The same order in other words (another key order, the total as a number) is
    # another body, so not a repeat of the same delivery.
    reworded = {name: sent[name] for name in reversed(list(sent))} | {"total_price": 10.50}
    again = send(store, "orders/update", reworded)
    changed = send(store, "orders/update", reworded | {"status": "refunded"})

    assert log_entry(store, again)["outcome"] == "duplicate"
    assert log_entry(store, changed)["outcome"] == "applied"
    stored = store.get("/api/v1/orders/1001").json()
    assert (stored["status"], stored["total_price"]) == ("refunded", "10.50")


def test_a_product_sent_after_a_line_named_it_by_sku_replaces_the_stand_in(
    store: StoreClient,
) -> None:
    # given an order naming a product only by its sku, before the store sends it
    send(store, "orders/create", order(line_items=[{"sku": "MUG", "title": "Mug"}]))
    assert store.get("/api/v1/products/MUG").json()["status"] == "disabled"

    # when the store sends that product, under its own id
    send(store, "products/create", {"id": 55, "sku": "MUG", "title": "Mug"})
    send(store, "orders/create", order(id=1002, line_items=[{"sku": "MUG", "price": 1}]))

    # then there is one product of that sku, as if it had been sent first
    assert store.get("/api/v1/products/MUG").status_code == 404
    assert store.get("/api/v1/products/55").json()["status"] == "active"
    assert store.get("/api/v1/orders/1001").json()["line_items"][0]["sku"] == "MUG"


def test_a_line_naming_a_product_by_id_is_not_replaced_by_one_of_that_sku(
    store: StoreClient,
) -> None:
    send(store, "orders/create", order(line_items=[{"product_id": "MUG", "sku": "MUG"}]))

    send(store, "products/create", {"id": 55, "sku": "MUG", "title": "Mug"})

    assert store.get("/api/v1/products/MUG").json()["status"] == "disabled"
    assert store.get("/api/v1/products/55").json()["status"] == "active"


def test_an_order_deleted_again_after_it_came_back_is_gone(store: StoreClient) -> None:
    # given an order deleted, then sent again (the store restored it) with a new version
    send(store, "orders/create", order(updated_at="2026-11-01T10:00:00Z", customer=ADA))
    send(store, "orders/delete", {"id": 1001})
    restored_at = datetime.now(UTC).isoformat()  # (after the deletion's arrival)
    send(store, "orders/update", order(updated_at=restored_at, customer=ADA))
    assert store.get("/api/v1/orders/1001").status_code == 200

    # when it is deleted again: the same body as the first deletion
    again = send(store, "orders/delete", {"id": 1001})

    # then it is applied, not taken for the first one's resend
    assert log_entry(store, again)["outcome"] == "applied"
    assert store.get("/api/v1/orders/1001").status_code == 404
    assert store.get("/api/v1/customers/7").json()["orders_count"] == 0


def test_a_status_with_a_null_code_is_read_by_its_name(store: StoreClient) -> None:
    send(
        store,
        "orders/create",
        order(
            status={"code": None, "name": "processing"},
            financial_status={"code": "", "name": "paid"},
        ),
    )

    stored = store.get("/api/v1/orders/1001").json()
    assert (stored["status"], stored["financial_status"]) == ("processing", "paid")


@pytest.mark.parametrize(
    ("sent", "kept"), [("1e2", "100"), ("1E+1", "10"), ("-0", "0"), ("2.50", "2.50")]
)
def test_a_quantity_reads_back_as_a_plain_decimal(
    store: StoreClient, sent: str | float, kept: str
) -> None:
    send(store, "orders/create", order(line_items=[{"product_id": 55, "quantity": sent}]))

    [line] = store.get("/api/v1/orders/1001").json()["line_items"]
    assert line["quantity"] == kept


def test_a_late_resend_of_a_deletion_with_its_time_leaves_the_restored_order(
    store: StoreClient,
) -> None:
    # given an order deleted (at a time the sender states), then restored since
    send(store, "orders/create", order(updated_at="2026-11-01T10:00:00Z", customer=ADA))
    deleted_at = {"x-event-time": unix_seconds("2026-11-02T10:00:00Z")}
    assert store.send("orders/delete", {"id": 1001}, headers=deleted_at).status_code == 200
    send(store, "orders/update", order(updated_at="2026-11-03T10:00:00Z", customer=ADA))

    # when the deletion is delivered again, late, with its time
    resent = store.send("orders/delete", {"id": 1001}, headers=deleted_at)
    store.wait_applied()

    # then it is older than the restoration: the order stays
    assert log_entry(store, int(resent.json()["event_id"]))["outcome"] == "stale"
    assert store.get("/api/v1/orders/1001").status_code == 200
    assert store.get("/api/v1/customers/7").json()["orders_count"] == 1


def test_an_order_created_without_updated_at_is_as_of_its_placing_not_its_arrival(
    store: StoreClient,
) -> None:
    # given an order of last month sent today without updated_at (a history sent late)
    send(store, "orders/create", order(total_price="10.00"))

    # when an update made two days after it was placed arrives
    update = send(
        store, "orders/update", order(total_price="8.00", updated_at="2026-11-03T10:00:00Z")
    )

    # then the update is applied, though it was made before the create arrived
    assert log_entry(store, update)["outcome"] == "applied"
    assert store.get("/api/v1/orders/1001").json()["total_price"] == "8.00"


def test_a_create_without_updated_at_resent_after_an_update_is_stale(store: StoreClient) -> None:
    # given an order updated after it was placed
    send(store, "orders/update", order(total_price="8.00", updated_at="2026-11-03T10:00:00Z"))

    # when its create, which carried no updated_at, arrives after the update
    create = send(store, "orders/create", order(total_price="10.00"))

    # then the create is older than the update and changes nothing
    assert log_entry(store, create)["outcome"] == "stale"
    assert store.get("/api/v1/orders/1001").json()["total_price"] == "8.00"


def test_an_update_without_updated_at_is_as_of_its_arrival(store: StoreClient) -> None:
    # given an order sent with its creation only
    send(store, "orders/create", order(total_price="10.00"))

    # when an update without updated_at follows
    update = send(store, "orders/update", order(total_price="9.00"))

    # then it is newer than the creation, as of when it arrived
    assert log_entry(store, update)["outcome"] == "applied"
    assert store.get("/api/v1/orders/1001").json()["total_price"] == "9.00"


def test_a_create_dated_ahead_of_its_arrival_does_not_outlive_the_update_after_it(
    store: StoreClient,
) -> None:
    # given an order whose created_at is hours ahead (its time zone got wrong)
    ahead = (datetime.now(UTC) + timedelta(hours=5)).isoformat()
    send(store, "orders/create", order(created_at=ahead, total_price="10.00"))

    # when an update without updated_at follows it
    update = send(store, "orders/update", order(created_at=ahead, total_price="9.00"))

    # then the update is the newer one, as it arrived after the create
    assert log_entry(store, update)["outcome"] == "applied"
    assert store.get("/api/v1/orders/1001").json()["total_price"] == "9.00"
