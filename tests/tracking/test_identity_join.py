"""A visitor's anonymous events become the shopper's once the visitor is identified.

setCustomer, setCustomerEmail and setCustomerId (an ``identify`` event) and a
cart that names its buyer all identify the visitor; whatever the visitor did
before is then the shopper's, and whatever it does after goes to them directly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from tests.conftest import StoreClient
from tests.tracking.conftest import Shopper, kinds_and_types, timeline
from winback.storage.replay import replay_store
from winback.storage.schema import activities, visitors

ADA = {"email": "ada@example.com", "id": "c-ada", "first_name": "Ada"}


def view(product_id: str) -> tuple[str, dict[str, Any]]:
    return ("productView", {"productId": product_id, "productName": f"Product {product_id}"})


def visitor_activities(engine: Engine, store: StoreClient, visitor_id: str) -> list[Any]:
    store.wait_applied()
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(activities.c.type, activities.c.customer_uid)
                .where(activities.c.store_id == store.store_id)
                .where(activities.c.visitor_id == visitor_id)
                .order_by(activities.c.id)
            )
        )


def test_events_of_an_anonymous_visitor_are_kept_against_its_visitor_id(
    engine: Engine, store: StoreClient, shopper: Shopper
) -> None:
    shopper.accepted(view("1"), ("categoryView", {"category_id": "7", "category_name": "Mugs"}))

    rows = visitor_activities(engine, store, shopper.visitor_id)

    assert [(row.type, row.customer_uid) for row in rows] == [
        ("productView", None),
        ("categoryView", None),
    ]
    with engine.connect() as conn:
        visitor = conn.execute(
            select(visitors).where(visitors.c.visitor_id == shopper.visitor_id)
        ).one()
    assert visitor.store_id == store.store_id
    assert visitor.customer_uid is None
    assert visitor.first_seen_at <= visitor.last_seen_at


def test_product_views_before_login_belong_to_the_shopper_afterwards(
    store: StoreClient, shopper: Shopper
) -> None:
    # given an anonymous visitor who viewed two products
    shopper.accepted(view("1"))
    shopper.accepted(view("2"), ("siteSearch", {"search_keyword": "mug"}))

    # when the visitor logs in (setCustomer with a customer object)
    shopper.accepted(("identify", ADA))

    # then the shopper's timeline has what the visitor did before, newest first
    items = timeline(store, "c-ada")
    assert kinds_and_types(items) == [
        ("activity", "identify"),
        ("activity", "siteSearch"),
        ("activity", "productView"),
        ("activity", "productView"),
    ]
    assert [item["data"].get("productId") for item in items[2:]] == ["2", "1"]
    assert {item["visitor_id"] for item in items} == {shopper.visitor_id}
    # and the contact was created from the object
    customer = store.get("/api/v1/customers/c-ada").json()
    assert (customer["email"], customer["first_name"]) == ("ada@example.com", "Ada")


def test_set_customer_email_creates_the_contact_and_its_timeline_is_read_by_email(
    store: StoreClient, shopper: Shopper
) -> None:
    shopper.accepted(view("1"))
    shopper.accepted(("identify", {"email": "Grace@Example.com"}))
    store.wait_applied()

    found = store.get("/api/v1/customers", email="grace@example.com").json()["items"]
    items = timeline(store, "grace@example.com")

    assert [(c["id"], c["email"]) for c in found] == [(None, "grace@example.com")]
    assert kinds_and_types(items) == [("activity", "identify"), ("activity", "productView")]


def test_set_customer_id_joins_the_customer_the_store_already_sent(
    store: StoreClient, shopper: Shopper
) -> None:
    store.send("customers/create", {"id": 7, "email": "linus@example.com", "first_name": "Linus"})
    shopper.accepted(view("1"))

    shopper.accepted(("identify", {"customer_id": "7"}))

    assert kinds_and_types(timeline(store, "7")) == [
        ("activity", "identify"),
        ("activity", "productView"),
    ]
    assert len(store.get("/api/v1/customers").json()["items"]) == 1


def test_a_customer_object_fills_the_profile_but_the_stores_own_data_wins(
    store: StoreClient, shopper: Shopper
) -> None:
    store.send("customers/create", {"id": 7, "email": "ada@example.com", "first_name": "Ada"})

    shopper.accepted(
        ("identify", {"id": 7, "email": "ada@example.com", "first_name": "A.", "last_name": "L"})
    )
    store.wait_applied()

    customer = store.get("/api/v1/customers/7").json()
    assert (customer["first_name"], customer["last_name"]) == ("Ada", "L")


def test_later_events_of_an_identified_visitor_go_to_the_shopper_directly(
    engine: Engine, store: StoreClient, shopper: Shopper
) -> None:
    shopper.accepted(("identify", ADA))
    store.wait_applied()

    shopper.accepted(view("9"), ("wishlist/added", {"productId": "9"}))

    assert kinds_and_types(timeline(store, "c-ada"))[:2] == [
        ("activity", "wishlist/added"),
        ("activity", "productView"),
    ]
    rows = visitor_activities(engine, store, shopper.visitor_id)
    assert all(row.customer_uid is not None for row in rows)


def test_identifying_on_every_page_adds_one_identify_to_the_timeline(
    store: StoreClient, shopper: Shopper
) -> None:
    for page in ("/a", "/b", "/c"):
        shopper.accepted(("identify", {"email": "ada@example.com"}), view(page), page=page)

    types = [item["type"] for item in timeline(store, "ada@example.com")]

    assert types.count("identify") == 1
    assert types.count("productView") == 3


def test_a_cart_that_names_its_buyer_identifies_the_visitor(
    store: StoreClient, shopper: Shopper
) -> None:
    shopper.accepted(view("1"))
    cart = {
        "id": "cart-1",
        "customer": {"id": "c-ada", "email": "ada@example.com"},
        "line_items": [{"product_id": "1", "quantity": 1, "price": "12.50"}],
        "total_price": "12.50",
    }

    shopper.accepted(("carts/update", cart))

    assert kinds_and_types(timeline(store, "c-ada")) == [
        ("cart", "cart"),
        ("activity", "productView"),
    ]
    assert store.get("/api/v1/carts/cart-1").json()["customer_id"] == "c-ada"


def test_an_anonymous_browser_cart_becomes_the_shoppers_once_they_are_known(
    store: StoreClient, shopper: Shopper
) -> None:
    # given an anonymous visitor's cart, sent without an id
    lines = [{"product_id": "1", "quantity": 2, "price": "3.00"}]
    shopper.accepted(("carts/update", {"line_items": lines, "total_price": "6.00"}))
    cart_id = f"visitor-{shopper.visitor_id}"
    store.wait_applied()
    assert store.get(f"/api/v1/carts/{cart_id}").json()["customer_id"] is None

    # when the visitor logs in
    shopper.accepted(("identify", ADA))
    store.wait_applied()

    # then the cart is the shopper's, with their email for the reminder
    cart = store.get(f"/api/v1/carts/{cart_id}").json()
    assert (cart["customer_id"], cart["email"], cart["total_price"]) == (
        "c-ada",
        "ada@example.com",
        "6.00",
    )
    # and a later update of it from the browser stays theirs
    shopper.accepted(("carts/update", {"line_items": lines[:1], "total_price": "3.00"}))
    store.wait_applied()
    cart = store.get(f"/api/v1/carts/{cart_id}").json()
    assert (cart["customer_id"], cart["total_price"]) == ("c-ada", "3.00")


def test_a_browser_cart_and_a_server_cart_with_the_same_id_are_one_cart(
    store: StoreClient, shopper: Shopper
) -> None:
    store.send(
        "carts/update",
        {
            "id": "cart-9",
            "email": "ada@example.com",
            "updated_at": "2026-01-01T10:00:00Z",
            "abandoned_checkout_url": "https://shop.example/cart/restore/9",
            "line_items": [{"product_id": "1", "quantity": 1, "price": "5.00"}],
        },
    )
    store.wait_applied()

    shopper.accepted(
        ("carts/update", {"id": "cart-9", "line_items": [{"product_id": "2", "quantity": 1}]})
    )
    store.wait_applied()

    cart = store.get("/api/v1/carts/cart-9").json()
    assert [line["product_id"] for line in cart["line_items"]] == ["2"]
    assert cart["email"] == "ada@example.com"
    # and the shopper's later browsing is theirs, through the cart
    shopper.accepted(view("3"))
    assert kinds_and_types(timeline(store, "ada@example.com"))[0] == ("activity", "productView")


def test_a_later_login_as_someone_else_takes_only_what_follows(
    store: StoreClient, shopper: Shopper
) -> None:
    shopper.accepted(("identify", {"email": "ada@example.com"}), view("1"))
    shopper.accepted(("identify", {"email": "grace@example.com"}), view("2"))

    ada = timeline(store, "ada@example.com")
    grace = timeline(store, "grace@example.com")

    assert [item["data"].get("productId") for item in ada] == ["1", None]
    assert [item["data"].get("productId") for item in grace] == ["2", None]


def test_replaying_the_log_rebuilds_the_same_join(
    engine: Engine, store: StoreClient, shopper: Shopper
) -> None:
    shopper.accepted(view("1"), ("carts/update", {"line_items": [], "total_price": "0"}))
    shopper.accepted(("identify", ADA), view("2"))
    shopper.accepted(view("3"))
    before = timeline(store, "c-ada")

    replay_store(engine, store.store_id)

    assert timeline(store, "c-ada") == before
    assert len(before) == 5


def test_an_erased_shopper_leaves_their_browser_anonymous(
    engine: Engine, store: StoreClient, shopper: Shopper
) -> None:
    shopper.accepted(("identify", ADA), view("1"))
    store.wait_applied()

    store.send("customers/delete", {"id": "c-ada"})
    store.wait_applied()
    shopper.accepted(view("2"))

    assert store.get("/api/v1/customers/c-ada").status_code == 404
    rows = visitor_activities(engine, store, shopper.visitor_id)
    assert [(row.type, row.customer_uid) for row in rows] == [("productView", None)]
