"""Numbers written with an exponent too large for any amount: refused with their pointer.

``1e99999999`` is a valid JSON number and a valid decimal, but no money or
quantity; the decimal arithmetic would overflow on it, so it is refused before
any arithmetic is done.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import StoreClient
from tests.intake.logbook import log_entries

ORDER = {"id": "o1", "created_at": "2026-11-01T10:00:00Z", "email": "ada@example.com"}
LIMIT = "must be less than 100,000,000,000,000 in absolute value"

CASES = [
    ("orders/create", ORDER | {"total_price": "1e99999999"}, "/total_price"),
    ("orders/create", ORDER | {"total_price": "-1E+99999999"}, "/total_price"),
    ("orders/create", ORDER | {"total_discounts": "1e99999999"}, "/total_discounts"),
    (
        "orders/create",
        ORDER | {"line_items": [{"product_id": "p", "quantity": 1, "price": "1e99999999"}]},
        "/line_items/0/price",
    ),
    (
        "orders/create",
        ORDER | {"line_items": [{"product_id": "p", "quantity": "1e99999999", "price": 1}]},
        "/line_items/0/quantity",
    ),
    ("products/create", {"id": "p1", "price": "1e99999999"}, "/price"),
    (
        "carts/create",
        {"id": "c1", "line_items": [{"product_id": "p", "quantity": "1e99999999"}]},
        "/line_items/0/quantity",
    ),
]


@pytest.mark.parametrize(("event_type", "body", "pointer"), CASES)
def test_an_amount_with_a_huge_exponent_is_refused_with_its_pointer(
    store: StoreClient, event_type: str, body: dict[str, Any], pointer: str
) -> None:
    response = store.send(event_type, body)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["pointer"] == pointer
    assert LIMIT in error["reason"]
    assert [entry["outcome"] for entry in log_entries(store)] == ["rejected"]


def test_a_tiny_exponent_is_refused_for_its_places_not_rounded_to_zero(
    store: StoreClient,
) -> None:
    response = store.send("orders/create", ORDER | {"total_price": "1e-99999999"})

    assert response.status_code == 400, response.text
    assert response.json()["error"]["pointer"] == "/total_price"
    assert "at most 4 decimal places" in response.json()["error"]["reason"]
