"""Ids the store chose, in URL paths, over real HTTP: a `/` in an id is sent as %2F; and
what the router itself answers (no such route, wrong method) in winback's error shape."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.conftest import StoreClient
from tests.conftest import accepted as send


def path_of(collection: str, store_id: str) -> str:
    return f"/api/v1/{collection}/{quote(store_id, safe='')}"


@pytest.fixture
def slashed(store: StoreClient) -> StoreClient:
    """A store whose customer, order, product and cart ids all hold slashes."""
    send(store, "customers/create", {"id": "team/ada", "email": "ada@example.com"})
    send(store, "products/create", {"id": "cat/shirt-1", "title": "Shirt"})
    send(
        store,
        "orders/create",
        {
            "id": "2026/1001",
            "created_at": "2026-11-01T10:00:00Z",
            "customer": {"id": "team/ada"},
            "line_items": [{"product_id": "cat/shirt-1", "price": "20.00"}],
        },
    )
    send(store, "carts/create", {"id": "web/cart/9", "customer": {"id": "team/ada"}})
    store.wait_applied()
    return store


@pytest.mark.parametrize(
    ("collection", "store_id"),
    [
        ("customers", "team/ada"),
        ("orders", "2026/1001"),
        ("products", "cat/shirt-1"),
        ("carts", "web/cart/9"),
    ],
)
def test_an_id_with_a_slash_is_read_back_when_sent_encoded(
    slashed: StoreClient, collection: str, store_id: str
) -> None:
    # when the id is sent with its slash as %2F
    response = slashed.get(path_of(collection, store_id))

    # then it names the one record, whole
    assert response.status_code == 200, response.text
    assert response.json()["id"] == store_id


def test_an_id_with_a_slash_sent_unencoded_is_found_too(slashed: StoreClient) -> None:
    assert slashed.get("/api/v1/products/cat/shirt-1").json()["id"] == "cat/shirt-1"
    assert slashed.get("/api/v1/orders/2026/1001").json()["id"] == "2026/1001"


def test_the_activity_of_a_customer_whose_id_has_a_slash_is_read(slashed: StoreClient) -> None:
    body = slashed.read(path_of("customers", "team/ada") + "/activity")

    assert body["customer_id"] == "team/ada"
    assert sorted((entry["kind"], entry["data"]["id"]) for entry in body["items"]) == [
        ("cart", "web/cart/9"),
        ("order", "2026/1001"),
    ]


def test_an_id_that_ends_in_activity_is_a_customer_not_a_timeline(store: StoreClient) -> None:
    # given customer "x" and customer "x/activity"
    send(store, "customers/create", {"id": "x", "email": "x@example.com"})
    send(store, "customers/create", {"id": "x/activity", "email": "xa@example.com"})
    store.wait_applied()

    # when each is read, the second with its slash encoded
    plain = store.read("/api/v1/customers/x/activity")
    encoded = store.read(path_of("customers", "x/activity"))

    # then the unencoded path is x's timeline and the encoded one the other customer
    assert (plain["customer_id"], plain["items"]) == ("x", [])
    assert (encoded["id"], encoded["email"]) == ("x/activity", "xa@example.com")


@pytest.mark.parametrize(
    "store_id", ["50%", "a%2Fb", "100%25", "café/☕", "a b", "/lead", "line\nbreak", "tab\there"]
)
def test_ids_with_percent_signs_and_other_characters_are_read_back_exactly(
    store: StoreClient, store_id: str
) -> None:
    send(store, "products/create", {"id": store_id, "title": "Odd"})
    store.wait_applied()

    response = store.get(path_of("products", store_id))

    assert response.status_code == 200, response.text
    assert response.json()["id"] == store_id


def test_an_unknown_id_with_a_slash_is_404_naming_it_whole(store: StoreClient) -> None:
    response = store.get(path_of("products", "cat/none"))

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "reason": "no product with id 'cat/none'"}
    }


def test_a_trailing_slash_still_redirects_to_the_record(slashed: StoreClient) -> None:
    response = slashed.get(path_of("products", "cat/shirt-1") + "/")

    assert response.status_code == 307
    assert response.headers["location"].endswith("/api/v1/products/cat%2Fshirt-1")


@pytest.mark.parametrize("path", ["/nothing-here", "/api/v1/nope", "/api/v1/feed/runs/1/x"])
def test_an_unknown_route_is_404_in_winbacks_error_shape(store: StoreClient, path: str) -> None:
    response = store.get(path)

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "reason": f"no such route: GET {path}"}
    }


def test_a_method_a_route_does_not_take_is_405_in_winbacks_error_shape(store: StoreClient) -> None:
    # a one-off connection: the store's client is used after the test
    response = httpx.delete(
        f"{store.server.url}/api/v1/customers/7", headers={"x-api-key": store.api_key}
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json() == {
        "error": {
            "code": "method_not_allowed",
            "reason": "method not allowed: DELETE /api/v1/customers/7 (allowed: GET, HEAD)",
        }
    }


def test_a_webhook_sent_with_the_wrong_method_is_405_in_winbacks_error_shape(
    store: StoreClient,
) -> None:
    response = store.http.get(f"/webhooks/store/{store.store_id}")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("sent_as", [" 42x\t", "\u00a042x\u00a0"])
def test_an_id_sent_with_spaces_around_is_found_by_what_was_sent(
    store: StoreClient, sent_as: str
) -> None:
    # the intake keeps " 42x\t" as "42x": so the store finds it by either
    send(store, "customers/create", {"id": sent_as, "email": "ada@example.com"})
    order = {"id": "o1", "created_at": "2026-11-01T10:00:00Z", "customer": {"id": sent_as}}
    send(store, "orders/create", order)
    store.wait_applied()

    by_path = store.get(path_of("customers", sent_as))
    by_filter = store.get("/api/v1/orders", customer_id=sent_as)

    assert (by_path.status_code, by_path.json()["id"]) == (200, "42x")
    assert [found["customer_id"] for found in by_filter.json()["items"]] == ["42x"]
