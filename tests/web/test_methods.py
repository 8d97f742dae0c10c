"""Which methods a path takes, over real HTTP: HEAD wherever GET is, and a 405 that
names every method some route takes at its path."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import StoreClient
from tests.web.test_trailing_slashes import documented_routes, filled


@pytest.mark.parametrize(
    "path", ["/api/v1/customers", "/api/v1/customers/7", "/api/v1/events", "/healthz", "/metrics"]
)
def test_a_head_is_answered_as_the_get_is_without_a_body(store: StoreClient, path: str) -> None:
    store.send("customers/create", {"id": 7, "email": "ada@example.com"})
    store.wait_applied()

    got = store.http.get(path)
    head = store.http.head(path)

    assert (head.status_code, head.content) == (got.status_code, b"")
    assert head.headers["content-type"] == got.headers["content-type"]


def test_every_documented_get_takes_head(store: StoreClient) -> None:
    reads = [path for method, path in documented_routes(store.server) if method == "GET"]

    refused = [
        path
        for path in reads
        if store.http.head(filled(path, store)).status_code in (404, 405)
        and store.http.get(filled(path, store)).status_code not in (404, 405)
    ]

    assert reads and refused == []


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/feed", "GET, HEAD, PUT"),
        ("/admin/v1/stores", "GET, HEAD, POST"),
        ("/api/v1/customers/7", "GET, HEAD"),
        ("/webhooks/store/{store_id}", "POST"),
    ],
)
def test_a_405_names_every_method_taken_at_the_path(
    store: StoreClient, path: str, allowed: str
) -> None:
    # (a one-off connection, as the method is one no route takes)
    response = httpx.request("PATCH", store.server.url + filled(path, store))

    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.json()["error"]["reason"].endswith(f"(allowed: {allowed})")


def test_a_head_where_only_post_is_taken_is_405_naming_head(store: StoreClient) -> None:
    response = store.http.head(filled("/webhooks/store/{store_id}", store))

    assert (response.status_code, response.headers["allow"]) == (405, "POST")
