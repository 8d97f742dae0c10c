"""The operator API (/admin/v1): off without WINBACK_ADMIN_TOKEN; stores and key rotation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

import tests.conftest as shared
from tests.conftest import LiveServer, StoreClient
from winback.config import Secret
from winback.errors import Unauthorized
from winback.stores.service import store_for_key

ADMIN_TOKEN = "operator-token-for-tests"


def live_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, **overrides: Any
) -> Iterator[LiveServer]:
    settings = shared.settings_for(
        database_url, tmp_path_factory.mktemp("admin"), admin_token=Secret(ADMIN_TOKEN), **overrides
    )
    server = LiveServer(settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server with the operator API on and the default 24-hour key rotation grace."""
    yield from live_server(database_url, tmp_path_factory)


@pytest.fixture(scope="module")
def no_grace_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server whose rotated keys expire at once."""
    yield from live_server(database_url, tmp_path_factory, key_rotation_grace_hours=0.0)


def operator(server: LiveServer, token: str | None = ADMIN_TOKEN) -> httpx.Client:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=10)


def new_store(server: LiveServer, **fields: Any) -> StoreClient:
    with operator(server) as client:
        response = client.post("/admin/v1/stores", json={"name": "Shop"} | fields)
    assert response.status_code == 201, response.text
    body = response.json()
    return StoreClient(server, body["store_id"], body["api_key"])


def rotate(server: LiveServer, store_id: str, **body: Any) -> httpx.Response:
    with operator(server) as client:
        return client.post(f"/admin/v1/stores/{store_id}/rotate-key", json=body or None)


def webhook_status(store: StoreClient, key: str) -> int:
    response = store.send(
        "customers/create", {"id": 7, "email": "ada@example.com"}, headers={"x-token": key}
    )
    return response.status_code


def read_status(store: StoreClient, key: str) -> int:
    return store.http.get("/api/v1/customers", headers={"x-api-key": key}).status_code


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/v1/stores"),
        ("POST", "/admin/v1/stores"),
        ("POST", "/admin/v1/stores/x/rotate-key"),
    ],
)
def test_without_an_admin_token_configured_the_operator_api_is_off(
    server: LiveServer, method: str, path: str
) -> None:
    with operator(server, token="anything") as client:
        response = client.request(method, path, json={"name": "Shop"})

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "unauthorized",
            "reason": "the operator API is off: set WINBACK_ADMIN_TOKEN to turn it on",
        }
    }


@pytest.mark.parametrize("token", [None, "wrong-token", ADMIN_TOKEN.upper()])
def test_the_operator_api_needs_the_exact_admin_token(
    admin_server: LiveServer, token: str | None
) -> None:
    with operator(admin_server, token=token) as client:
        response = client.get("/admin/v1/stores")

    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "unauthorized",
        "reason": "send the operator token as Authorization: Bearer TOKEN",
    }


def test_a_store_key_is_not_an_admin_token(admin_server: LiveServer) -> None:
    store = new_store(admin_server)

    with operator(admin_server, token=store.api_key) as client:
        assert client.get("/admin/v1/stores").status_code == 401


def test_creating_a_store_shows_its_key_once_and_the_key_works(admin_server: LiveServer) -> None:
    # when the operator creates a store
    with operator(admin_server) as client:
        response = client.post(
            "/admin/v1/stores",
            json={"name": "Ada's shop", "domain": "ada.example", "currency": "eur"},
        )

    # then the answer carries the store and its key
    assert response.status_code == 201
    created = response.json()
    assert (created["name"], created["domain"], created["currency"]) == (
        "Ada's shop",
        "ada.example",
        "EUR",
    )
    assert created["store_id"].startswith("st_")
    assert created["api_key"].startswith("wbk_")
    assert created["settings"] == {}
    # with the tracking snippet to paste into the store's pages, as the CLI prints it
    assert f"_rmData.push(['setStoreKey', '{created['store_id']}'])" in created["snippet"]
    assert f'src="{admin_server.url}/track.js"' in created["snippet"]

    # and the key works for the webhook intake and the read API
    store = StoreClient(admin_server, created["store_id"], created["api_key"])
    assert webhook_status(store, store.api_key) == 200
    store.wait_applied()
    assert store.get("/api/v1/customers/7").json()["email"] == "ada@example.com"


def test_the_store_list_shows_stores_but_never_their_keys(admin_server: LiveServer) -> None:
    store = new_store(admin_server, name="Listed shop")

    with operator(admin_server) as client:
        items = client.get("/admin/v1/stores").json()["items"]

    [listed] = [item for item in items if item["store_id"] == store.store_id]
    assert (listed["name"], listed["currency"]) == ("Listed shop", "USD")
    assert all("api_key" not in item for item in items)
    assert store.api_key not in str(items)


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": "Shop", "currency": "US"}, "/currency"),
        ({"name": "Shop", "currency": "UDS"}, "/currency"),
        ({"name": ""}, "/name"),
        ({}, "/name"),
        ({"name": "Sh\u0000op"}, "/name"),
        ({"name": "Shop", "domain": "shop\u0000.example"}, "/domain"),
        ({"name": "Shop", "domain": "d" * 256}, "/domain"),
        ({"name": "Shop", "domain": "not a domain!!"}, "/domain"),
        ({"name": "Shop", "domain": "https://"}, "/domain"),
        ({"name": "Shop", "currency": "XXX"}, "/currency"),
        ({"name": "Shop", "domain": "javascript:alert(1)"}, "/domain"),
        ({"name": "Shop", "domain": "ftp://shop.example"}, "/domain"),
        ({"name": "Shop", "domain": "https://user:pw@shop.example"}, "/domain"),
        ({"name": "Shop", "domain": "user@shop.example"}, "/domain"),
    ],
    ids=[
        "currency",
        "no such currency",
        "empty name",
        "no name",
        "NUL in name",
        "NUL in domain",
        "long domain",
        "no host name",
        "a URL without a host",
        "no money",
        "a script URL",
        "another scheme",
        "credentials in a URL",
        "a user name before the host",
    ],
)
def test_a_store_with_a_bad_name_domain_or_currency_is_refused_and_not_made(
    admin_server: LiveServer, body: dict[str, Any], pointer: str
) -> None:
    with operator(admin_server) as client:
        before = client.get("/admin/v1/stores").json()["items"]
        response = client.post("/admin/v1/stores", json=body)

        assert response.status_code == 400, response.text
        assert response.json()["error"]["pointer"] == pointer
        assert client.get("/admin/v1/stores").json()["items"] == before


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"name=Shop", "application/x-www-form-urlencoded"), (b'{"name": "Shop"}', "text/plain")],
    ids=["a form", "JSON sent as text"],
)
def test_a_store_body_that_is_not_json_is_refused_saying_so(
    admin_server: LiveServer, content: bytes, content_type: str
) -> None:
    with operator(admin_server) as client:
        response = client.post(
            "/admin/v1/stores", content=content, headers={"content-type": content_type}
        )

    assert response.status_code == 400
    assert response.json()["error"]["reason"] == (
        "must be an object, got a body that is not JSON (send it as application/json)"
    )


@pytest.mark.parametrize(
    ("domain", "reason"),
    [
        ("javascript:alert(1)", "domain must be the shop's host name, like shop.example"),
        ("ftp://shop.example", "domain given as a URL must start with http:// or https://"),
        ("https://a:b@shop.example", "domain must not hold a user name or password"),
    ],
)
def test_a_domain_that_is_no_shops_page_says_why(
    admin_server: LiveServer, domain: str, reason: str
) -> None:
    with operator(admin_server) as client:
        response = client.post("/admin/v1/stores", json={"name": "Shop", "domain": domain})

    assert response.status_code == 400, response.text
    assert response.json()["error"]["reason"] == f"{reason}; got {domain!r}"


@pytest.mark.parametrize(
    "domain",
    ["ACME.Example.", "https://shop.example:8443/", "shop.example/", "http://shop.example"],
)
def test_a_domain_given_as_a_host_or_a_url_of_its_pages_is_kept(
    admin_server: LiveServer, domain: str
) -> None:
    with operator(admin_server) as client:
        response = client.post("/admin/v1/stores", json={"name": "Shop", "domain": domain})

    assert response.status_code == 201, response.text
    assert response.json()["domain"] == domain


def test_a_store_given_an_empty_domain_has_none(admin_server: LiveServer) -> None:
    with operator(admin_server) as client:
        response = client.post("/admin/v1/stores", json={"name": "Open shop", "domain": "  "})

    assert response.status_code == 201
    assert response.json()["domain"] is None


def test_rotating_a_key_keeps_the_old_one_working_for_the_grace_period(
    admin_server: LiveServer,
) -> None:
    # given a store
    store = new_store(admin_server)
    old_key = store.api_key

    # when its key is rotated
    response = rotate(admin_server, store.store_id)

    # then a new key is issued, and both keys work during the grace period
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["store_id"] == store.store_id
    assert rotated["previous_keys_expire_in_hours"] == 24.0
    new_key = rotated["api_key"]
    assert new_key.startswith("wbk_") and new_key != old_key
    for key in (old_key, new_key):
        assert webhook_status(store, key) == 200
        assert read_status(store, key) == 200


def test_a_rotation_may_choose_its_grace_period(admin_server: LiveServer, engine: Engine) -> None:
    store = new_store(admin_server)

    rotated = rotate(admin_server, store.store_id, grace_hours=0)

    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["previous_keys_expire_in_hours"] == 0
    with pytest.raises(Unauthorized):  # (the server itself notices within 5 s)
        store_for_key(engine, store.api_key)


@pytest.mark.parametrize(
    ("grace", "reason"),
    [
        (-5, "the grace period must not be negative; got -5.0"),
        (1e9, "the grace period must be at most 8760 hours (a year); got 1000000000.0"),
        ("a day", "must be a number"),
    ],
)
def test_a_bad_grace_period_is_refused_and_the_key_kept(
    admin_server: LiveServer, engine: Engine, grace: object, reason: str
) -> None:
    store = new_store(admin_server)

    refused = rotate(admin_server, store.store_id, grace_hours=grace)

    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert (error["pointer"], error["reason"].startswith(reason)) == ("/grace_hours", True)
    assert store_for_key(engine, store.api_key).id == store.store_id


def test_a_misspelt_grace_period_is_refused_naming_it_and_the_key_kept(
    admin_server: LiveServer, engine: Engine
) -> None:
    # (taken silently, it gave a key rotated because it leaked another 24 hours)
    store = new_store(admin_server)

    refused = rotate(admin_server, store.store_id, grace_hour=0)

    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert (error["pointer"], error["reason"]) == (
        "/grace_hour",
        "'grace_hour' is not a field of this request",
    )
    assert store_for_key(engine, store.api_key).id == store.store_id


def test_a_store_body_with_a_misspelt_field_is_refused_and_no_store_made(
    admin_server: LiveServer,
) -> None:
    with operator(admin_server) as client:
        before = client.get("/admin/v1/stores").json()["items"]
        response = client.post("/admin/v1/stores", json={"name": "Typo", "curency": "EUR"})

        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["pointer"], error["reason"]) == (
            "/curency",
            "'curency' is not a field of this request",
        )
        assert client.get("/admin/v1/stores").json()["items"] == before


def test_a_rotated_key_works_for_webhooks_at_once(admin_server: LiveServer) -> None:
    # given a store whose webhooks are flowing
    store = new_store(admin_server)
    assert webhook_status(store, store.api_key) == 200

    # when its key is rotated
    new_key = rotate(admin_server, store.store_id).json()["api_key"]

    # then the sender can switch to the new key straight away
    assert webhook_status(store, new_key) == 200


def test_a_key_past_its_expiry_no_longer_works(no_grace_server: LiveServer) -> None:
    # given a store whose key was rotated with no grace period
    store = new_store(no_grace_server)
    old_key = store.api_key
    new_key = rotate(no_grace_server, store.store_id).json()["api_key"]

    # then the old key is refused by the read API and the webhook intake, the new one works
    assert read_status(store, old_key) == 401
    assert webhook_status(store, old_key) == 401
    assert read_status(store, new_key) == 200
    assert webhook_status(store, new_key) == 200


def test_rotating_the_key_of_an_unknown_store_is_404(admin_server: LiveServer) -> None:
    response = rotate(admin_server, "st_0000000000000000")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("name", ["", "   ", "n" * 201])
def test_a_bad_store_name_is_refused_in_one_way_however_it_is_bad(
    admin_server: LiveServer, name: str
) -> None:
    with operator(admin_server) as client:
        response = client.post("/admin/v1/stores", json={"name": name})

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["pointer"]) == ("invalid_payload", "/name")
