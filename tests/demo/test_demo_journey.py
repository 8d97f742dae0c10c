"""The demo end to end: a shopper in a real browser on the demo shop, and what winback sees.

winback and the shop run as separate processes, connected only through the
store kit (webhooks, feed, `/discounts`) and the tracking snippet.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.demo.conftest import Demo, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PASSWORD = "correct-horse-battery"


def sign_up(demo: Demo, first_name: str) -> tuple[str, str]:
    """An account made on an earlier visit; returns its email and the shop's customer id."""
    email = f"{first_name.lower()}.{secrets.token_hex(3)}@example.com"
    with httpx.Client(base_url=demo.shop_url, follow_redirects=True) as client:
        answer = client.post(
            "/signup",
            data={
                "first_name": first_name,
                "last_name": "Tester",
                "email": email,
                "password": PASSWORD,
                "accepts_marketing": "on",
            },
        )
        assert answer.status_code == 200, answer.text
    [row] = demo.shop_rows("SELECT id FROM users WHERE email = ?", email)
    return email, str(row["id"])


def log_in(page: Page, demo: Demo, email: str) -> None:
    page.goto(demo.shop_url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login")
    page.wait_for_selector("#greeting")


def buy(page: Page, demo: Demo, slug: str, code: str = "") -> str:
    """Add one product to the cart and check out; returns the order number."""
    page.goto(f"{demo.shop_url}/products/{slug}")
    page.click("#add-to-cart")
    page.wait_for_url("**/cart")
    page.click("#checkout-link")
    page.wait_for_url("**/checkout")
    if code:
        page.fill("input[name=discount_code]", code)
    page.click("#place-order")
    page.wait_for_url("**/orders/*")
    return (page.text_content("#order-number") or "").lstrip("#")


def shop_order(demo: Demo, order_id: str) -> Any:
    [row] = demo.shop_rows("SELECT * FROM orders WHERE id = ?", int(order_id))
    return row


def timeline(demo: Demo, customer_id: str) -> list[dict[str, Any]]:
    return demo.get(f"/api/v1/customers/{customer_id}/activity")["items"]  # type: ignore[no-any-return]


def test_a_shopper_browses_logs_in_and_buys_and_winback_sees_all_of_it(
    demo: Demo, browser: Browser
) -> None:
    feed = wait_for(
        lambda: (
            (runs := demo.get("/api/v1/feed")["runs"])
            and runs[0]["status"] != "running"
            and runs[0]["status"] != "queued"
            and runs[0]
        ),
        what="the feed sync",
    )
    assert (feed["status"], feed["rows_read"], feed["rejected"]) == ("succeeded", 12, 0)
    email, customer_id = sign_up(demo, "Ada")
    page = browser.new_page()

    page.goto(demo.shop_url)
    page.click("text=Trail Runner Shoe")
    page.wait_for_url("**/products/trail-runner")
    log_in(page, demo, email)
    order_id = buy(page, demo, "daypack")
    demo.wait_delivered_and_applied()

    product = demo.get("/api/v1/products/107")
    assert (product["title"], product["price"], product["status"]) == (
        "22L Daypack",
        "79.00",
        "active",
    )
    customer = demo.get(f"/api/v1/customers/{customer_id}")
    assert (customer["email"], customer["first_name"], customer["accepts_marketing"]) == (
        email,
        "Ada",
        True,
    )
    sold = shop_order(demo, order_id)
    [order] = demo.get("/api/v1/orders", customer_id=customer_id)["items"]
    assert order["id"] == order_id
    assert Decimal(order["total_price"]) == Decimal(sold["total"]) == Decimal("79.00")
    assert [line["product_id"] for line in order["line_items"]] == ["107"]
    assert (customer := demo.get(f"/api/v1/customers/{customer_id}"))["orders_count"] == 1
    assert Decimal(customer["total_spent"]) == Decimal("79.00")
    cart = demo.get(f"/api/v1/carts/{sold['cart_token']}")
    assert (cart["status"], cart["customer_id"]) == ("converted", customer_id)
    assert cart["abandoned_checkout_url"].endswith(f"/cart/restore/{sold['cart_token']}")

    # The product viewed before logging in joins the shopper once the snippet identifies them.
    def both_views() -> list[dict[str, Any]] | None:
        found = timeline(demo, customer_id)
        return found if len(_viewed(found)) >= 2 else None

    events = wait_for(both_views, what="the product views in the timeline")
    assert _viewed(events)[-2:] == ["101", "107"]
    assert ("order", order_id) in [(e["kind"], e["data"].get("id")) for e in events]
    page.close()


def _viewed(events: list[dict[str, Any]]) -> list[str]:
    """Products viewed, oldest first (the timeline is newest first)."""
    views = [e["data"].get("productId") for e in events if e.get("type") == "productView"]
    return [str(view) for view in reversed(views)]


def test_a_coupon_issued_by_winback_exists_in_the_shop_and_is_marked_used_once_redeemed(
    demo: Demo, browser: Browser
) -> None:
    email, customer_id = sign_up(demo, "Bo")

    issued = demo.api(
        "POST",
        "/api/v1/coupons",
        json={"rule_id": "TEN_PERCENT", "email": email, "expires_in": "7d"},
    )

    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]
    assert code.startswith("TH-")
    held = httpx.get(f"{demo.shop_url}/admin/discounts.json", params={"key": "e2e-coupons-key"})
    [in_shop] = [item for item in held.json()["items"] if item["code"] == code]
    assert (in_shop["rule_id"], in_shop["email"], in_shop["used_order_id"]) == (
        "TEN_PERCENT",
        email,
        None,
    )

    page = browser.new_page()
    log_in(page, demo, email)
    order_id = buy(page, demo, "hiking-boot", code=code)
    demo.wait_delivered_and_applied()

    assert Decimal(shop_order(demo, order_id)["total"]) == Decimal("134.10")  # 149.00 - 10%
    [coupon] = demo.get("/api/v1/coupons", email=email)["items"]
    assert (coupon["code"], coupon["status"], coupon["used_order_id"]) == (code, "used", order_id)
    [order] = demo.get("/api/v1/orders", customer_id=customer_id)["items"]
    assert order["discount_codes"][0]["code"] == code
    assert Decimal(order["total_discounts"]) == Decimal("14.90")
    page.close()


def test_orders_placed_while_winback_is_down_arrive_when_it_is_back_as_if_it_never_was(
    demo: Demo,
) -> None:
    regular, regular_id = sign_up(demo, "Cleo")
    with httpx.Client(base_url=demo.shop_url, follow_redirects=True) as shopper:
        shopper.post("/login", data={"email": regular, "password": PASSWORD})
        first = place(shopper, "101")
        demo.wait_delivered_and_applied()

        demo.winback.stop()
        # The shop keeps selling: a second order, a new customer, an abandoned cart.
        second = place(shopper, "104", quantity=2)
    newcomer, newcomer_id = sign_up(demo, "Dan")
    with httpx.Client(base_url=demo.shop_url, follow_redirects=True) as shopper:
        shopper.post("/login", data={"email": newcomer, "password": PASSWORD})
        third = place(shopper, "110")
        shopper.post("/cart/add", data={"product_id": "112", "quantity": "1"})
    held = demo.outbox()
    assert held["pending"] >= 4 and held["failed"] == 0

    demo.winback.start()
    demo.wait_delivered_and_applied(timeout=90)

    assert demo.outbox()["failed"] == 0
    for customer_id, order_ids in ((regular_id, [first, second]), (newcomer_id, [third])):
        orders = demo.get("/api/v1/orders", customer_id=customer_id)["items"]
        assert sorted(order["id"] for order in orders) == sorted(order_ids)
        for order in orders:
            sold = shop_order(demo, order["id"])
            assert Decimal(order["total_price"]) == Decimal(sold["total"])
            assert order["created_at"] == sold["created_at"]
        customer = demo.get(f"/api/v1/customers/{customer_id}")
        expected_total = sum(Decimal(shop_order(demo, oid)["total"]) for oid in order_ids)
        assert (customer["orders_count"], Decimal(customer["total_spent"])) == (
            len(order_ids),
            expected_total,
        )
        assert customer["last_order_at"] == max(
            shop_order(demo, oid)["created_at"] for oid in order_ids
        )
    [open_cart] = demo.shop_rows(
        "SELECT token FROM carts WHERE user_id = ? AND status = 'open'", int(newcomer_id)
    )
    cart = demo.get(f"/api/v1/carts/{open_cart['token']}")
    assert (cart["status"], cart["customer_id"]) == ("open", newcomer_id)
    assert demo.get("/api/v1/events", outcome="failed")["items"] == []
    assert demo.get("/api/v1/events", outcome="rejected")["items"] == []


def place(shopper: httpx.Client, product_id: str, quantity: int = 1) -> str:
    shopper.post("/cart/add", data={"product_id": product_id, "quantity": str(quantity)})
    answer = shopper.post("/checkout", data={"discount_code": ""})
    assert "/orders/" in str(answer.url), answer.text
    return str(answer.url).rsplit("/", 1)[1]
