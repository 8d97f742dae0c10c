"""A NUL character in a URL: nothing has one, so a clear 404 or 400, never a 500.

(PostgreSQL's driver refuses a NUL in a parameter: looked up, such an id failed
the request there.)
"""

from __future__ import annotations

import pytest

from tests.conftest import StoreClient
from winback.web.nul import nul_error

WEBHOOK_HEADERS = {"content-type": "application/json", "x-event-type": "customers/create"}


@pytest.mark.parametrize("path", ["/webhooks/store/st_%00", "/webhooks?storeId=st_%00"])
def test_a_store_id_with_a_nul_is_an_unknown_store(store: StoreClient, path: str) -> None:
    response = store.http.post(
        path,
        content=b'{"email": "ada@example.com"}',
        headers=WEBHOOK_HEADERS | {"x-token": store.api_key},
    )

    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("collection", ["customers", "orders", "products", "carts"])
def test_an_id_with_a_nul_is_not_found(store: StoreClient, collection: str) -> None:
    response = store.get(f"/api/v1/{collection}/a%00b")

    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"


def test_a_filter_with_a_nul_is_refused_naming_the_parameter(store: StoreClient) -> None:
    response = store.get("/api/v1/customers", email="ada\x00@example.com")

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "nul_character"
    assert "'email'" in error["reason"]


def test_the_same_requests_without_a_nul_reach_the_routes(store: StoreClient) -> None:
    assert store.get("/api/v1/customers/ab").status_code == 404  # (an unknown customer)
    assert store.get("/api/v1/customers", email="ada@example.com").status_code == 200


def test_requests_without_a_nul_are_let_through_untouched() -> None:
    assert nul_error("/api/v1/customers/ab", b"email=ada%40example.com&limit=10") is None
    assert nul_error("/webhooks", b"storeId=st_1%2500") is None  # (an escaped "%00" is text)


@pytest.mark.parametrize(
    "path", ["/webhooks/store/{store}?utm=a%00b", "/webhooks?storeId={store}&x=%00"]
)
def test_a_nul_in_a_parameter_a_webhook_does_not_read_is_no_fault(
    store: StoreClient, path: str
) -> None:
    response = store.http.post(
        path.format(store=store.store_id),
        content=b'{"email": "ada@example.com"}',
        headers=WEBHOOK_HEADERS | {"x-token": store.api_key},
    )

    assert response.status_code == 200, response.text
    store.wait_applied()
    assert store.get("/api/v1/customers", email="ada@example.com").json()["items"] != []
