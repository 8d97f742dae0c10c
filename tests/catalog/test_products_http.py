"""Products over real HTTP: availability, variants, deletion that never removes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import StoreClient
from tests.conftest import applied as send
from tests.intake.logbook import log_entry


def product(store: StoreClient, product_id: str = "55") -> dict[str, Any]:
    response = store.get(f"/api/v1/products/{product_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_product_is_stored_as_sent_and_is_for_sale(store: StoreClient) -> None:
    send(
        store,
        "products/create",
        {
            "id": 55,
            "sku": "MUG",
            "title": "Mug",
            "body_html": "<p>A mug</p>",
            "url": "https://shop.example/mug",
            "manufacturer": "Potter & Co",
            "created_at": "2026-01-01T00:00:00+01:00",
            "updated_at": "2026-02-01T00:00:00Z",
            "price": "12.45",
            "salePrice": 9.99,
            "currency": "eur",
            "categories": ["Kitchen", {"code": "cups", "name": "Cups"}],
            "tags": "gift, kitchen",
            "image": "https://shop.example/mug.jpg",
            "images": [{"src": "https://shop.example/mug-2.jpg"}, "https://shop.example/mug.jpg"],
            "variants": [
                {"id": 551, "sku": "MUG-BLUE", "title": "Blue", "price": "12.45"},
                {"id": "552", "sku": "MUG-RED", "title": "Red", "price": 13, "salePrice": "10"},
            ],
        },
    )

    assert product(store) == {
        "id": "55",
        "status": "active",
        "title": "Mug",
        "sku": "MUG",
        "url": "https://shop.example/mug",
        "price": "12.45",
        "sale_price": "9.99",
        "currency": "EUR",
        "availability": None,
        "vendor": "Potter & Co",
        "categories": [{"code": None, "name": "Kitchen"}, {"code": "cups", "name": "Cups"}],
        "images": ["https://shop.example/mug.jpg", "https://shop.example/mug-2.jpg"],
        "variants": [
            {"id": "551", "sku": "MUG-BLUE", "title": "Blue", "price": "12.45"},
            {"id": "552", "sku": "MUG-RED", "title": "Red", "price": "13.00", "salePrice": "10.00"},
        ],
        "tags": ["gift", "kitchen"],
        "created_at": "2025-12-31T23:00:00+00:00",
        "updated_at": "2026-02-01T00:00:00+00:00",
    }


def test_a_product_without_variants_has_one_that_repeats_its_id_sku_and_price(
    store: StoreClient,
) -> None:
    send(store, "products/create", {"id": 55, "sku": "MUG", "title": "Mug", "price": 19.99})

    assert product(store)["variants"] == [
        {"id": "55", "product_id": "55", "sku": "MUG", "title": "Mug", "price": "19.99"}
    ]


def test_a_price_sent_as_a_json_number_stays_exact(store: StoreClient) -> None:
    send(store, "products/create", {"id": 55, "price": 19.99, "sale_price": 0.1})

    assert (product(store)["price"], product(store)["sale_price"]) == ("19.99", "0.10")


@pytest.mark.parametrize(
    ("flags", "status"),
    [
        ({"product_exists": False}, "unavailable"),
        ({"enabled": False}, "unavailable"),
        ({"product_exists": True}, "active"),
        ({"enabled": True}, "active"),
        ({}, "active"),
        ({"product_exists": False, "enabled": True}, "unavailable"),
    ],
)
def test_product_exists_or_enabled_false_means_unavailable(
    store: StoreClient, flags: dict[str, bool], status: str
) -> None:
    send(store, "products/create", {"id": 55, "title": "Mug"} | flags)

    assert product(store)["status"] == status


def test_a_product_back_in_the_shop_is_available_again(store: StoreClient) -> None:
    send(
        store,
        "products/create",
        {"id": 55, "product_exists": False, "updated_at": "2026-10-01T00:00:00Z"},
    )

    send(
        store,
        "products/update",
        {"id": 55, "product_exists": True, "updated_at": "2026-10-02T00:00:00Z"},
    )

    assert product(store)["status"] == "active"


def test_a_deleted_product_is_never_removed_only_unavailable(store: StoreClient) -> None:
    # given a product for sale
    send(store, "products/create", {"id": 55, "sku": "MUG", "title": "Mug", "price": "12.45"})
    before = product(store)

    # when the store deletes it
    event_id = send(store, "products/delete", {"id": 55})

    # then it is still known, with everything it had, but unavailable
    assert log_entry(store, event_id)["outcome"] == "applied"
    after = product(store)
    assert after["status"] == "unavailable"
    assert {k: v for k, v in after.items() if k != "status"} == {
        k: v for k, v in before.items() if k != "status"
    }


def test_deleting_an_unknown_product_keeps_it_known_as_unavailable(store: StoreClient) -> None:
    send(store, "products/delete", {"id": 55})

    assert product(store)["status"] == "unavailable"


def test_an_order_for_a_deleted_product_does_not_make_it_available(store: StoreClient) -> None:
    send(store, "products/create", {"id": 55, "title": "Mug"})
    send(store, "products/delete", {"id": 55})

    send(
        store,
        "orders/create",
        {"id": 1, "created_at": "2026-11-01T00:00:00Z", "line_items": [{"product_id": 55}]},
    )

    assert product(store)["status"] == "unavailable"


def test_a_product_known_from_an_order_is_replaced_when_the_store_sends_it(
    store: StoreClient,
) -> None:
    # given a product known only from an order line (disabled)
    send(
        store,
        "orders/create",
        {
            "id": 1,
            "created_at": "2026-11-01T00:00:00Z",
            "line_items": [{"product_id": 55, "name": "mug", "price": "1"}],
        },
    )
    assert product(store)["status"] == "disabled"

    # when the store sends the product itself, even with an old updated_at
    send(
        store,
        "products/create",
        {"id": 55, "title": "Mug", "price": "12.45", "updated_at": "2020-01-01T00:00:00Z"},
    )

    # then the store's description wins and the product is for sale
    stored = product(store)
    assert (stored["status"], stored["title"], stored["price"]) == ("active", "Mug", "12.45")


def test_a_product_sent_without_a_currency_is_in_the_stores_not_an_orders(
    store: StoreClient,
) -> None:
    # given a product first known from a line of an order paid in another currency
    send(
        store,
        "orders/create",
        {
            "id": 2,
            "created_at": "2026-11-01T00:00:00Z",
            "currency": "EUR",
            "line_items": [{"product_id": 56, "name": "mug", "price": "5"}],
        },
    )
    assert product(store, "56")["currency"] == "EUR"

    # when the store sends the product, its price without a currency
    send(store, "products/update", {"id": 56, "title": "Mug", "price": "7"})

    # then the price is in the store's currency, as if the order had come after
    assert (product(store, "56")["price"], product(store, "56")["currency"]) == ("7.00", "USD")


def test_an_update_older_than_a_delete_does_not_bring_the_product_back(store: StoreClient) -> None:
    send(store, "products/create", {"id": 55, "title": "Mug", "updated_at": "2026-10-01T00:00:00Z"})
    send(store, "products/delete", {"id": 55})

    late = send(
        store, "products/update", {"id": 55, "title": "Mug", "updated_at": "2026-10-02T00:00:00Z"}
    )

    assert log_entry(store, late)["outcome"] == "stale"
    assert product(store)["status"] == "unavailable"


def test_an_update_replaces_the_variants(store: StoreClient) -> None:
    send(
        store,
        "products/create",
        {
            "id": 55,
            "updated_at": "2026-10-01T00:00:00Z",
            "variants": [{"id": 1, "price": 1}, {"id": 2, "price": 2}],
        },
    )

    send(
        store,
        "products/update",
        {"id": 55, "updated_at": "2026-10-02T00:00:00Z", "variants": [{"id": 2, "price": 3}]},
    )

    assert product(store)["variants"] == [{"id": "2", "price": "3.00"}]


def test_products_of_one_store_are_invisible_to_another(
    store: StoreClient, other_store: StoreClient
) -> None:
    send(store, "products/create", {"id": 55, "title": "Mug"})

    assert other_store.get("/api/v1/products/55").status_code == 404


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"id": 55, "price": "0.00001"}, "/price"),
        ({"id": 55, "price": 0.30000000000000004}, "/price"),
        ({"id": 55, "variants": [{"id": 551, "price": "1.23456"}]}, "/variants/0/price"),
    ],
)
def test_a_price_with_more_than_four_places_is_refused_not_rounded(
    store: StoreClient, body: dict[str, Any], pointer: str
) -> None:
    # when a price has more places than winback keeps
    response = store.send("products/create", body)

    # then it is refused naming the price, and no product is stored as "0.00" or rounded
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["pointer"] == pointer
    assert error["reason"].startswith("money has at most 4 decimal places")
    assert store.get("/api/v1/products/55").status_code == 404
