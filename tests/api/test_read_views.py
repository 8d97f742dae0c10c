"""What the read API shows of an order and a cart, over real HTTP: every field of the
contract they carried, and any the sender added, beside winback's own."""

from __future__ import annotations

from typing import Any

from tests.conftest import StoreClient
from tests.conftest import accepted as send

ADDRESS = {"city": "Lyon", "country_code": "FR", "street": "1 rue de la Paix", "zip": "69001"}


def full_order(**overrides: Any) -> dict[str, Any]:
    return {
        "id": 1001,
        "created_at": "2026-11-01T10:00:00Z",
        "customer": {"id": 7, "email": "ada@example.com"},
        "line_items": [{"product_id": 1, "price": 20, "quantity": 2}],
        "total_price": 47.5,
        "fulfillment_status": {"code": "shipped", "name": "Shipped"},
        "state": "complete",
        "payment_method": "card",
        "note": "leave at the door",
        "channel": "POS",
        "shipping_lines": [{"title": "Colissimo", "price": "5.00"}],
        "tax_lines": [{"title": "TVA", "price": "7.92", "rate": 0.2}],
        "taxes_included": True,
        "shipping_address": ADDRESS,
        "billing_address": ADDRESS | {"city": "Paris"},
        "total_line_items_price": 40,
        "total_weight": "1.5",
        "gift_wrap": {"paper": "red"},
    } | overrides


def test_an_order_shows_every_contract_field_it_carried(store: StoreClient) -> None:
    # given an order with the contract's optional fields and one of the sender's own
    send(store, "orders/create", full_order())
    store.wait_applied()

    # when it is read
    order = store.read("/api/v1/orders/1001")

    # then they are all there, money as decimal strings
    assert {name: order[name] for name in full_order() if name not in SHOWN_AS_BEFORE} == {
        "fulfillment_status": "shipped",
        "state": "complete",
        "payment_method": "card",
        "note": "leave at the door",
        "channel": "POS",
        "shipping_lines": [{"title": "Colissimo", "price": "5.00"}],
        "tax_lines": [{"title": "TVA", "price": "7.92", "rate": 0.2}],
        "taxes_included": True,
        "shipping_address": ADDRESS,
        "billing_address": ADDRESS | {"city": "Paris"},
        "total_line_items_price": "40.00",
        "total_weight": "1.5",
        "gift_wrap": {"paper": "red"},
    }


SHOWN_AS_BEFORE = {"id", "created_at", "customer", "line_items", "total_price"}


def test_the_fields_an_order_showed_before_are_unchanged(store: StoreClient) -> None:
    # given the same order with and without the optional fields
    send(store, "orders/create", full_order())
    send(
        store,
        "orders/create",
        {name: value for name, value in full_order(id=1002).items() if name in SHOWN_AS_BEFORE},
    )
    store.wait_applied()

    # then what the plain one shows, the full one shows the same
    plain = store.read("/api/v1/orders/1002")
    full = store.read("/api/v1/orders/1001")
    assert {name: full[name] for name in plain if name != "id"} == {
        name: value for name, value in plain.items() if name != "id"
    }
    assert (plain["total_price"], plain["customer_id"], plain["email"]) == (
        "47.50",
        "7",
        "ada@example.com",
    )
    # and the buyer the event embedded is shown only as customer_id and email
    assert "customer" not in full


def test_the_senders_fields_never_replace_winbacks_own(store: StoreClient) -> None:
    # given an order whose sender also sent fields winback computes or shows itself
    send(store, "orders/create", full_order(customer_id="999", test="no", updated_at=None))
    store.wait_applied()

    order = store.read("/api/v1/orders/1001")

    assert (order["customer_id"], order["test"], order["updated_at"]) == ("7", False, None)


def test_an_erased_buyers_order_keeps_the_sale_and_loses_the_rest(store: StoreClient) -> None:
    # given an order, then its buyer erased
    send(store, "orders/create", full_order())
    store.wait_applied()
    send(store, "customers/delete", {"id": 7})
    store.wait_applied()

    order = store.read("/api/v1/orders/1001")

    assert (order["total_price"], order["email"], order["customer_id"]) == ("47.50", None, None)
    assert "shipping_address" not in order
    assert "note" not in order


def test_a_cart_shows_the_fields_it_carried(store: StoreClient) -> None:
    # given a cart with a token, codes, money fields and a field of the sender's own
    send(
        store,
        "carts/create",
        {
            "id": "c1",
            "customer": {"id": 7, "email": "ada@example.com"},
            "line_items": [{"product_id": 1, "price": 20}],
            "total_price": 18,
            "subtotal_price": 20,
            "total_discounts": 2,
            "discount_codes": [{"code": "WELCOME", "amount": 2, "type": "fixed_amount"}],
            "cart_token": "tok-1",
            "accepts_marketing": True,
            "abandoned_checkout_url": "https://shop.example/cart/c1",
            "landing_site": "/sale",
        },
    )
    store.wait_applied()

    cart = store.read("/api/v1/carts/c1")

    assert {name: cart[name] for name in EXTRA_CART_FIELDS} == {
        "subtotal_price": "20.00",
        "total_discounts": "2.00",
        "discount_codes": [{"code": "WELCOME", "amount": "2.00", "type": "fixed_amount"}],
        "cart_token": "tok-1",
        "accepts_marketing": True,
        "landing_site": "/sale",
    }
    assert (cart["total_price"], cart["status"], cart["customer_id"]) == ("18.00", "open", "7")
    assert "customer" not in cart


EXTRA_CART_FIELDS = [
    "subtotal_price",
    "total_discounts",
    "discount_codes",
    "cart_token",
    "accepts_marketing",
    "landing_site",
]
