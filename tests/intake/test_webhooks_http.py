"""The webhook contract over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.conftest import StoreClient

ORDER = {
    "id": 1001,
    "created_at": "2026-11-01T10:00:00+02:00",
    "email": "Ada@Example.com",
    "customer": {"id": 7, "email": "ada@example.com", "first_name": "Ada"},
    "line_items": [{"product_id": 55, "sku": "MUG", "quantity": "2", "price": "12.45"}],
    "total_price": "24.90",
}


def test_an_order_is_acknowledged_then_visible_with_its_buyer_and_product(
    store: StoreClient,
) -> None:
    response = store.send("orders/create", ORDER)
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    store.wait_applied()

    order = store.get("/api/v1/orders/1001").json()
    assert order["total_price"] == "24.90"
    assert order["customer_id"] == "7"
    assert order["line_items"][0]["quantity"] == "2"
    customer = store.get("/api/v1/customers/7").json()
    assert (customer["orders_count"], customer["total_spent"]) == (1, "24.90")
    assert store.get("/api/v1/products/55").json()["status"] == "disabled"
