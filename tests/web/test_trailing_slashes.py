"""Paths with a slash too many at the end, over real HTTP.

The webhook takes its path with one trailing slash or none (the contract). Any
other path that ends in a slash is no route: a read (GET, HEAD) is redirected to
the route without the slash, harmless for a read; any other method is never
redirected (a redirected POST loses its body with many clients) but answered 404
naming the route it missed.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, StoreClient
from tests.intake.logbook import log_entries

WEBHOOK_HEADERS = {"content-type": "application/json", "x-event-type": "customers/create"}
CUSTOMER = b'{"id": 7, "email": "ada@example.com"}'


def documented_routes(server: LiveServer) -> list[tuple[str, str]]:
    """Every (method, path template) /openapi.json documents."""
    document: dict[str, Any] = httpx.get(f"{server.url}/openapi.json").json()
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    ]


def filled(template: str, store: StoreClient) -> str:
    """A path of the template: the test store's id for a store id, "1" for any other."""
    return template.replace("{store_id}", store.store_id).format_map(_Ones())


class _Ones(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "1"


def unrouted(response: httpx.Response) -> bool:
    """Whether the router answered: no route there, or not for this method."""
    if response.status_code not in (404, 405):
        return False
    reason = str(response.json()["error"]["reason"])
    return reason.startswith(("no such route", "method not allowed"))


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/store/{store_id}//",
        "/webhooks/store/{store_id}///",
        "/webhooks//?storeId={store_id}",
    ],
)
def test_a_webhook_to_a_path_with_a_slash_too_many_is_404_naming_the_route(
    store: StoreClient, path: str
) -> None:
    # when a store sends its event to its URL with a doubled trailing slash
    sent_to = path.format(store_id=store.store_id)
    response = store.http.post(
        sent_to, content=CUSTOMER, headers=WEBHOOK_HEADERS | {"x-token": store.api_key}
    )

    # then it is not redirected (its POST would lose its body) but refused, naming
    # the route without the slashes
    assert response.status_code == 404, response.text
    assert "location" not in response.headers
    route, _, _ = sent_to.partition("?")
    assert response.json() == {
        "error": {
            "code": "not_found",
            "reason": f"no such route: POST {route} (without the trailing slash,"
            f" {route.rstrip('/')} is one)",
        }
    }

    # and nothing was stored or applied
    assert log_entries(store) == []
    assert store.get("/api/v1/customers/7").status_code == 404


def test_every_documented_route_is_answered_by_its_route(
    store: StoreClient, server: LiveServer
) -> None:
    # when each documented route is asked at its path (without a key: nothing changes)
    routes = documented_routes(server)
    answers = {
        (method, template): httpx.request(method, server.url + filled(template, store))
        for method, template in routes
    }

    # then each answers itself: no redirect, no "no such route"
    assert len(answers) > 20
    assert {
        route: response.status_code
        for route, response in answers.items()
        if response.is_redirect or unrouted(response)
    } == {}


def test_a_read_with_a_slash_too_many_is_redirected_to_its_route(
    store: StoreClient, server: LiveServer
) -> None:
    reads = [template for method, template in documented_routes(server) if method == "GET"]
    assert len(reads) >= 15

    for template in reads:
        path = filled(template, store)
        for slashes in ("/", "//"):
            response = httpx.get(server.url + path + slashes)

            assert response.status_code == 307, path + slashes
            assert response.headers["location"] == server.url + path


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
def test_a_head_request_with_a_slash_too_many_is_redirected_where_head_is_taken(
    server: LiveServer, path: str
) -> None:
    response = httpx.head(f"{server.url}{path}/")

    assert response.status_code == 307
    assert response.headers["location"] == server.url + path


def test_any_other_method_with_a_slash_too_many_is_404_naming_its_route(
    store: StoreClient, server: LiveServer
) -> None:
    # (the webhook's own forms take one trailing slash: see the test above)
    writes = [
        (method, template)
        for method, template in documented_routes(server)
        if method != "GET" and not template.startswith("/webhooks")
    ]
    assert len(writes) >= 8

    for method, template in writes:
        path = filled(template, store)
        response = httpx.request(method, f"{server.url}{path}/", content=b"{}")

        assert response.status_code == 404, (method, path)
        assert "location" not in response.headers
        assert response.json()["error"] == {
            "code": "not_found",
            "reason": f"no such route: {method} {path}/ (without the trailing slash,"
            f" {path} is one)",
        }


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nothing-here/"), ("POST", "/api/v1/imports/"), ("POST", "/healthz/")],
)
def test_a_slash_too_many_where_no_route_takes_the_method_is_a_plain_404(
    server: LiveServer, method: str, path: str
) -> None:
    # (POST /api/v1/imports and POST /healthz: those routes read, they take no POST)
    response = httpx.request(method, server.url + path)

    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.json() == {
        "error": {"code": "not_found", "reason": f"no such route: {method} {path}"}
    }
