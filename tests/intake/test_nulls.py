"""``null`` for an optional list or flag means none: accepted, and applied as empty.

Senders serialize an empty collection or an unset flag as ``null`` as often as
they leave it out; refusing those events lost them for nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import StoreClient

CASES = [
    (
        "orders/create",
        {
            "id": "o-null",
            "created_at": "2026-11-01T10:00:00Z",
            "total_price": "5.00",
            "email": "nul@example.com",
            "line_items": None,
            "discount_codes": None,
            "test": None,
        },
    ),
    (
        "products/create",
        {
            "id": "p-null",
            "title": "Mug",
            "categories": None,
            "images": None,
            "options": None,
            "variants": None,
            "tags": None,
        },
    ),
    ("carts/create", {"id": "k-null", "email": "nul@example.com", "line_items": None}),
    ("carts/update", {"id": "k-null2", "email": "nul@example.com", "discount_codes": None}),
    ("customers/update", {"id": "c-null", "email": "nul2@example.com", "append_tags": None}),
]


@pytest.mark.parametrize(("event_type", "body"), CASES, ids=[case[0] for case in CASES])
def test_null_for_an_optional_list_or_flag_is_accepted_and_applied(
    store: StoreClient, event_type: str, body: dict[str, Any]
) -> None:
    response = store.send(event_type, body)

    assert response.status_code == 200, response.text
    store.wait_applied()
    [entry] = store.read("/api/v1/events", limit=1)["items"]
    assert entry["outcome"] == "applied"


def test_an_order_with_null_lists_reads_back_with_empty_ones(store: StoreClient) -> None:
    event_type, body = CASES[0]
    assert store.send(event_type, body).status_code == 200
    store.wait_applied()

    order = store.read("/api/v1/orders/o-null")

    assert (order["line_items"], order["test"], order["total_price"]) == ([], False, "5.00")


def test_a_product_with_null_lists_reads_as_one_sent_without_them(store: StoreClient) -> None:
    event_type, body = CASES[1]
    left_out = {"id": "p-none", "title": "Mug"}
    assert store.send(event_type, body).status_code == 200
    assert store.send(event_type, left_out).status_code == 200
    store.wait_applied()

    with_nulls = store.read("/api/v1/products/p-null")
    without = store.read("/api/v1/products/p-none")

    assert with_nulls["categories"] == []
    assert with_nulls["variants"] == [
        {**without["variants"][0], "id": "p-null", "product_id": "p-null"}
    ]
