"""The read API over real HTTP: keys, store isolation, cursor pagination, the schema."""

from __future__ import annotations

import base64
import http.client
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from tests.conftest import StoreClient
from tests.conftest import accepted as send
from winback.storage.reads import CursorScope, encode_cursor


def get(store: StoreClient, path: str, headers: dict[str, str], **params: Any) -> httpx.Response:
    return store.http.get(path, params=params, headers=headers)


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode()


def all_pages(store: StoreClient, path: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Follow next_cursor from the first page to the last."""
    pages = []
    cursor = None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        response = store.get(path, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50


@pytest.fixture
def ada(store: StoreClient) -> StoreClient:
    """A store that knows customer 7 with one order."""
    send(store, "customers/create", {"id": 7, "email": "ada@example.com"})
    send(
        store,
        "orders/create",
        {"id": 1001, "created_at": "2026-11-01T10:00:00Z", "customer": {"id": 7}},
    )
    store.wait_applied()
    return store


@pytest.mark.parametrize(
    "auth",
    [
        lambda key: {"x-api-key": key},
        lambda key: {"authorization": f"Bearer {key}"},
        lambda key: {"Authorization": f"bearer {key}"},
        lambda key: {"X-API-KEY": key},
    ],
    ids=["x-api-key", "bearer", "lower-case bearer", "upper-case header name"],
)
def test_the_store_key_is_accepted_as_x_api_key_or_a_bearer_token(
    ada: StoreClient, auth: Callable[[str], dict[str, str]]
) -> None:
    response = get(ada, "/api/v1/customers/7", auth(ada.api_key))

    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.com"


@pytest.mark.parametrize(
    "path", ["/api/v1/customers", "/api/v1/customers/7", "/api/v1/orders", "/api/v1/events"]
)
def test_without_a_key_nothing_is_readable(ada: StoreClient, path: str) -> None:
    response = get(ada, path, {})

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "unauthorized",
            "reason": "send the store's API key in x-api-key or Authorization: Bearer",
        }
    }
    assert response.headers["www-authenticate"] == 'Bearer realm="winback"'


@pytest.mark.parametrize(
    "headers",
    [
        {"x-api-key": "wbk_not-a-key"},
        {"authorization": "Bearer wbk_not-a-key"},
        {"authorization": "Basic dXNlcjpwYXNz"},
    ],
)
def test_a_wrong_key_reads_nothing(ada: StoreClient, headers: dict[str, str]) -> None:
    response = get(ada, "/api/v1/customers/7", headers)

    assert response.status_code == 401
    assert "ada@example.com" not in response.text


@pytest.mark.parametrize("stale_in", ["x-api-key", "authorization"])
def test_with_the_key_in_both_headers_either_one_lets_the_reader_in(
    ada: StoreClient, stale_in: str
) -> None:
    stale = "wbk_rotated-away"
    headers = {"x-api-key": ada.api_key, "authorization": f"Bearer {ada.api_key}"}
    headers[stale_in] = stale if stale_in == "x-api-key" else f"Bearer {stale}"

    assert get(ada, "/api/v1/customers/7", headers).status_code == 200
    both_wrong = {"x-api-key": stale, "authorization": "Bearer wbk_other"}
    assert get(ada, "/api/v1/customers/7", both_wrong).status_code == 401


@pytest.mark.parametrize("ada_in", ["x-api-key", "authorization"])
def test_keys_of_two_stores_in_the_two_headers_read_nothing(
    ada: StoreClient, other_store: StoreClient, ada_in: str
) -> None:
    # (which store's data came back would hang on the order the headers are read in)
    keys = {"x-api-key": other_store.api_key, "authorization": other_store.api_key}
    keys[ada_in] = ada.api_key
    headers = {"x-api-key": keys["x-api-key"], "authorization": f"Bearer {keys['authorization']}"}

    response = get(ada, "/api/v1/customers", headers)

    assert response.status_code == 400
    assert response.json()["error"]["reason"] == (
        "x-api-key and Authorization: Bearer hold the keys of two stores; send one store's key"
    )
    assert "ada@example.com" not in response.text


def test_another_stores_key_never_reads_this_stores_data(
    ada: StoreClient, other_store: StoreClient
) -> None:
    # given the key of another store (that knows nothing yet)
    as_other = {"x-api-key": other_store.api_key}

    # then every read with it is scoped to the other store: nothing of this store shows
    assert get(ada, "/api/v1/customers/7", as_other).status_code == 404
    assert get(ada, "/api/v1/orders/1001", as_other).status_code == 404
    assert get(ada, "/api/v1/customers", as_other).json()["items"] == []
    assert get(ada, "/api/v1/customers", as_other, email="ada@example.com").json()["items"] == []
    assert get(ada, "/api/v1/orders", as_other).json()["items"] == []
    assert get(ada, "/api/v1/orders", as_other, customer_id="7").json()["items"] == []
    assert get(ada, "/api/v1/events", as_other).json()["items"] == []
    assert get(ada, "/api/v1/suppressions", as_other).json()["items"] == []


def test_the_same_ids_in_two_stores_are_two_customers(
    ada: StoreClient, other_store: StoreClient
) -> None:
    send(other_store, "customers/create", {"id": 7, "email": "someone@example.com"})
    other_store.wait_applied()

    assert ada.get("/api/v1/customers/7").json()["email"] == "ada@example.com"
    assert other_store.get("/api/v1/customers/7").json()["email"] == "someone@example.com"


def test_customers_can_be_found_by_email_whatever_its_case(ada: StoreClient) -> None:
    [customer] = ada.get("/api/v1/customers", email="ADA@example.com").json()["items"]

    assert customer["id"] == "7"
    assert ada.get("/api/v1/customers", email="eve@example.com").json()["items"] == []


def test_customers_sharing_an_email_come_in_pages(store: StoreClient) -> None:
    # given three customers (three ids) who gave the same address
    for customer_id in (1, 2, 3):
        send(store, "customers/create", {"id": customer_id, "email": "family@example.com"})
    store.wait_applied()

    # when they are read one per page
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        page = store.read(
            "/api/v1/customers",
            email="family@example.com",
            limit=1,
            **({"cursor": cursor} if cursor else {}),
        )
        assert len(page["items"]) <= 1
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    # then each comes once, and the last page says so
    assert sorted(seen) == ["1", "2", "3"]
    assert cursor is None
    bad = store.get("/api/v1/customers", email="family@example.com", cursor="garbage")
    assert bad.status_code == 400


def test_unknown_ids_are_404_with_a_reason(store: StoreClient) -> None:
    for path, reason in [
        ("/api/v1/customers/404", "no customer with id '404'"),
        ("/api/v1/orders/404", "no order with id '404'"),
        ("/api/v1/products/404", "no product with id '404'"),
        ("/api/v1/carts/404", "no cart with id '404'"),
    ]:
        response = store.get(path)
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "not_found", "reason": reason}}


def test_customers_are_paged_with_a_cursor_without_gaps_or_repeats(store: StoreClient) -> None:
    for number in range(5):
        send(store, "customers/create", {"id": number, "email": f"c{number}@example.com"})
    store.wait_applied()

    pages = all_pages(store, "/api/v1/customers", limit=2)

    assert [len(page) for page in pages] == [2, 2, 1]
    ids = [customer["id"] for page in pages for customer in page]
    assert sorted(ids) == ["0", "1", "2", "3", "4"]


def test_a_page_that_holds_everything_has_no_next_cursor(store: StoreClient) -> None:
    send(store, "customers/create", {"id": 1, "email": "c1@example.com"})
    store.wait_applied()

    body = store.get("/api/v1/customers", limit=1).json()
    assert (len(body["items"]), body["next_cursor"]) == (1, None)


def test_orders_of_one_customer_are_paged_with_a_cursor(store: StoreClient) -> None:
    # given customer 7 with three orders and customer 8 with two
    for order_id, customer_id in [(1, 7), (2, 8), (3, 7), (4, 8), (5, 7)]:
        send(
            store,
            "orders/create",
            {
                "id": order_id,
                "created_at": "2026-11-01T10:00:00Z",
                "customer": {"id": customer_id, "email": f"c{customer_id}@example.com"},
            },
        )
    store.wait_applied()

    # when customer 7's orders are read two at a time
    pages = all_pages(store, "/api/v1/orders", customer_id="7", limit=2)

    # then exactly their three orders come back, once each
    assert [len(page) for page in pages] == [2, 1]
    assert sorted(o["id"] for page in pages for o in page) == ["1", "3", "5"]
    assert {o["customer_id"] for page in pages for o in page} == {"7"}
    assert len([o for page in all_pages(store, "/api/v1/orders", limit=2) for o in page]) == 5


def test_orders_of_an_unknown_customer_are_an_empty_page(ada: StoreClient) -> None:
    assert ada.get("/api/v1/orders", customer_id="404").json() == {
        "items": [],
        "next_cursor": None,
    }


def test_the_event_log_is_newest_first_and_paged_with_a_cursor(store: StoreClient) -> None:
    sent = [store.send("product_viewed", {"n": n}).json()["event_id"] for n in range(5)]
    store.wait_applied()

    pages = all_pages(store, "/api/v1/events", limit=2)

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [entry["event_id"] for page in pages for entry in page] == sorted(sent, reverse=True)


def test_the_event_log_can_be_filtered_by_outcome(store: StoreClient) -> None:
    store.send("product_viewed", {"n": 1})
    store.send("product_viewed", {"n": 1})
    store.send("orders/create", {"id": 1})
    store.wait_applied()

    assert [
        e["outcome"] for e in store.get("/api/v1/events", outcome="applied").json()["items"]
    ] == ["applied"]
    assert len(store.get("/api/v1/events", outcome="duplicate").json()["items"]) == 1
    assert len(store.get("/api/v1/events", outcome="rejected").json()["items"]) == 1


def test_an_unknown_outcome_filter_is_400_naming_the_parameter(store: StoreClient) -> None:
    response = store.get("/api/v1/events", outcome="lost")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_request",
        "reason": "outcome must be one of applied, duplicate, failed, pending, rejected, stale",
        "parameter": "outcome",
    }


def test_an_outcome_filter_is_read_in_any_case(store: StoreClient) -> None:
    store.send("orders/create", {"id": 1})  # (rejected: no created_at)

    found = store.get("/api/v1/events", outcome="Rejected").json()["items"]

    assert [entry["outcome"] for entry in found] == ["rejected"]


def test_an_empty_type_filter_is_400_naming_the_parameter(store: StoreClient) -> None:
    response = store.get("/api/v1/events", type="")

    assert response.status_code == 400
    assert response.json()["error"]["parameter"] == "type"


@pytest.mark.parametrize("limit", [0, -1, 501, "ten"])
def test_a_limit_out_of_range_is_400_naming_the_parameter(store: StoreClient, limit: Any) -> None:
    response = store.get("/api/v1/customers", limit=limit)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["parameter"]) == ("invalid_request", "limit")


PAGED = ["/api/v1/customers", "/api/v1/orders", "/api/v1/events", "/api/v1/suppressions"]


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize("cursor", ["not-a-cursor", "%%%", cursor_of({"seq": 1}), cursor_of("x")])
def test_a_cursor_this_api_did_not_give_out_is_400(
    ada: StoreClient, path: str, cursor: str
) -> None:
    response = ada.get(path, cursor=cursor)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_cursor",
        "reason": "the cursor is not one this API gave out",
        "parameter": "cursor",
    }


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize(
    "value",
    [[], [1.5], [True], [1, 2, 3], [None, None], [2**64 - 1], [2**63], ["a\u0000b", 1]],
    ids=repr,
)
def test_a_tampered_cursor_of_the_wrong_shape_is_400(
    ada: StoreClient, path: str, value: Any
) -> None:
    # (made with the list's own mark, so that its values are what is checked)
    cursor = encode_cursor(value, unfiltered_scope(path, ada.store_id))

    # a one-off connection: a 500 may close it, and the store's client is used after the test
    response = httpx.get(
        ada.server.url + path, params={"cursor": cursor}, headers={"x-api-key": ada.api_key}
    )

    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        "code": "invalid_cursor",
        "reason": "the cursor is not one this API gave out",
        "parameter": "cursor",
    }


def unfiltered_scope(path: str, store_id: str) -> CursorScope:
    """The scope of a list read without filters, as storage/reads.py names it."""
    name = path.rsplit("/", 1)[1]
    return (name, store_id, None, None) if name == "events" else (name, store_id, None)


def first_cursor(store: StoreClient, path: str, **params: Any) -> str:
    response = store.get(path, limit=1, **params)
    assert response.status_code == 200, response.text
    return str(response.json()["next_cursor"])


def test_a_cursor_of_another_list_is_400_saying_so(
    store: StoreClient, other_store: StoreClient
) -> None:
    for number in (1, 2):
        for client in (store, other_store):
            send(client, "customers/create", {"id": number, "email": f"c{number}@example.com"})
    store.wait_applied()
    other_store.wait_applied()
    created = first_cursor(store, "/api/v1/events", type="customers/create")

    answers = [
        # another store's key
        other_store.get("/api/v1/customers", cursor=first_cursor(store, "/api/v1/customers")),
        # another filter
        store.get("/api/v1/events", type="orders/create", cursor=created),
        store.get("/api/v1/events", cursor=created),
    ]

    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["reason"].startswith("the cursor pages another list")
    assert store.get("/api/v1/events", type="customers/create", cursor=created).status_code == 200


def test_the_openapi_schema_lists_the_routes(store: StoreClient) -> None:
    response = store.http.get("/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path, method in [
        ("/webhooks/store/{store_id}", "post"),
        ("/webhooks", "post"),
        ("/api/v1/customers", "get"),
        ("/api/v1/customers/{customer_id}", "get"),
        ("/api/v1/orders", "get"),
        ("/api/v1/orders/{order_id}", "get"),
        ("/api/v1/products/{product_id}", "get"),
        ("/api/v1/carts/{cart_id}", "get"),
        ("/api/v1/suppressions", "get"),
        ("/api/v1/events", "get"),
        ("/admin/v1/stores", "get"),
        ("/admin/v1/stores", "post"),
        ("/admin/v1/stores/{store_id}/rotate-key", "post"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path} is not in the schema"
    webhook = paths["/webhooks/store/{store_id}"]["post"]["responses"]
    assert {"200", "400", "401", "404", "413", "415", "429"} <= set(webhook)


def event_types(store: StoreClient, **params: Any) -> list[str]:
    return [entry["event_type"] for entry in store.read("/api/v1/events", **params)["items"]]


@pytest.mark.parametrize(
    "asked", ["orders/create", "orders/created", "ORDERS/CREATE", " Orders/Created "]
)
def test_the_event_log_filtered_by_type_finds_every_name_of_that_type(
    store: StoreClient, asked: str
) -> None:
    # given one order sent under each name of orders/create, and an order update
    for number, sent_as in enumerate(["orders/create", "orders/created", "Orders/Create"]):
        send(store, sent_as, {"id": number, "created_at": "2026-11-01T10:00:00Z"})
    send(store, "orders/update", {"id": 9, "created_at": "2026-11-01T10:00:00Z"})
    store.wait_applied()

    # when the log is filtered by any name or case of the type
    found = event_types(store, type=asked)

    # then all three come back, as they were sent, and nothing else
    assert found == ["Orders/Create", "orders/created", "orders/create"]


def test_a_rejected_event_is_found_under_its_types_other_names(store: StoreClient) -> None:
    store.send("orders/created", {"id": 1})
    store.wait_applied()

    [entry] = store.read("/api/v1/events", type="orders/create", outcome="rejected")["items"]

    assert (entry["event_type"], entry["body"]) == ("orders/created", {"id": 1})


def test_a_custom_event_type_is_found_whatever_its_case(store: StoreClient) -> None:
    # given a custom type sent in two cases, and another custom type
    send(store, "Wishlist_Added", {"n": 1})
    send(store, "wishlist_added", {"n": 2})
    send(store, "wishlist_removed", {"n": 3})
    store.wait_applied()

    # then either case finds both, and only them
    assert event_types(store, type="WISHLIST_ADDED") == ["wishlist_added", "Wishlist_Added"]
    assert event_types(store, type="wishlist_added") == ["wishlist_added", "Wishlist_Added"]
    assert event_types(store, type="wishlist") == []


def test_a_custom_event_type_beyond_ascii_is_found_whatever_its_case(store: StoreClient) -> None:
    # given a custom type with letters beyond ASCII, in capitals (a header in UTF-8)
    headers = [
        (b"content-type", b"application/json"),
        (b"x-event-type", "ÉVÉNEMENT_Ü".encode()),
        (b"x-token", store.api_key.encode()),
    ]
    sent = store.http.post(f"/webhooks/store/{store.store_id}", content=b"{}", headers=headers)
    assert sent.status_code == 200, sent.text
    store.wait_applied()

    # then its name in lower case, or in mixed case, finds it on either database
    assert event_types(store, type="événement_ü") == ["ÉVÉNEMENT_Ü"]
    assert event_types(store, type="évéNEMENT_ü") == ["ÉVÉNEMENT_Ü"]


def unsubscribe(store: StoreClient, *emails: str) -> None:
    for email in emails:
        send(store, "newsletter/unsubscribe", {"email": email})
    store.wait_applied()


def test_the_suppression_list_is_paged_with_a_cursor_without_gaps_or_repeats(
    store: StoreClient,
) -> None:
    # given five addresses on the list
    unsubscribe(store, *(f"s{n}@example.com" for n in range(5)))

    # when it is read two entries at a time
    pages = all_pages(store, "/api/v1/suppressions", limit=2)

    # then every entry comes once, in address order
    assert [len(page) for page in pages] == [2, 2, 1]
    emails = [entry["email"] for page in pages for entry in page]
    assert emails == [f"s{n}@example.com" for n in range(5)]


def test_one_addresss_suppressions_are_a_single_page(store: StoreClient) -> None:
    unsubscribe(store, "ada@example.com", "eve@example.com")

    body = store.read("/api/v1/suppressions", email="ADA@example.com")

    assert [entry["email"] for entry in body["items"]] == ["ada@example.com"]
    assert body["next_cursor"] is None


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/customers", "email"),
        ("/api/v1/suppressions", "email"),
        ("/api/v1/orders", "customer_id"),
    ],
)
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_filter_is_400_naming_the_parameter(
    ada: StoreClient, path: str, parameter: str, value: str
) -> None:
    response = ada.get(path, **{parameter: value})

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["parameter"]) == ("invalid_request", parameter)
    assert "must not be empty" in error["reason"]


def test_a_guests_orders_are_listed_by_their_email(store: StoreClient) -> None:
    # given a guest who ordered twice, with no customer id, and a customer who ordered once
    for order_id in (1, 2):
        order = {"id": order_id, "created_at": "2026-11-01T10:00:00Z", "email": "guest@example.com"}
        send(store, "orders/create", order)
    send(
        store,
        "orders/create",
        {
            "id": 3,
            "created_at": "2026-11-01T10:00:00Z",
            "customer": {"id": 9, "email": "known@example.com"},
        },
    )
    store.wait_applied()

    # then the guest's orders are found by the address, in any case, and only theirs
    orders = store.read("/api/v1/orders", customer_id="Guest@Example.com")["items"]
    assert [order["id"] for order in orders] == ["1", "2"]
    # and an address nobody has finds no orders, as an unknown id does
    assert store.read("/api/v1/orders", customer_id="nobody@example.com")["items"] == []
    assert store.read("/api/v1/orders", customer_id="404")["items"] == []


def _raw_get(ada: StoreClient, path: str, headers: dict[str, str]) -> int:
    """A request through http.client, which sends a header value as it is given (httpx
    refuses one with a space at its end; curl and some HTTP libraries send it)."""
    address = urlsplit(ada.server.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"x-api-key": "{key} "}, 200),
        ({"x-api-key": "\t{key}"}, 200),
        ({"authorization": "Bearer {key} "}, 200),
        ({"x-api-key": " "}, 401),
    ],
    ids=["a space after it", "a tab before it", "a space after the token", "only a space"],
)
def test_a_key_with_blanks_around_it_is_the_key(
    ada: StoreClient, headers: dict[str, str], status: int
) -> None:
    sent = {name: value.format(key=ada.api_key) for name, value in headers.items()}

    assert _raw_get(ada, "/api/v1/customers/7", sent) == status


def test_a_guest_known_only_by_email_is_read_by_that_email(store: StoreClient) -> None:
    # given a guest's order: the shopper has an email and no id of the store's
    guest_order = {"id": 2001, "created_at": "2026-11-01T10:00:00Z", "email": "Bo@example.com"}
    send(store, "orders/create", guest_order | {"total_price": "5.00"})
    store.wait_applied()

    guest = store.get("/api/v1/customers/bo@example.com").json()

    assert (guest["id"], guest["email"], guest["orders_count"]) == (None, "bo@example.com", 1)
    assert store.get("/api/v1/customers/nobody@example.com").status_code == 404


def test_an_email_several_customers_have_names_none_of_them(store: StoreClient) -> None:
    for customer_id in (7, 8):
        send(store, "customers/create", {"id": customer_id, "email": "home@example.com"})
    store.wait_applied()

    response = store.get("/api/v1/customers/home@example.com")

    assert response.status_code == 409
    assert response.json()["error"]["reason"] == (
        "several customers have the email 'home@example.com'; name one by its id"
    )


@pytest.mark.parametrize(
    "path", ["/api/v1/customers", "/api/v1/suppressions", "/api/v1/imports", "/api/v1/coupons"]
)
def test_a_query_parameter_given_twice_is_refused(ada: StoreClient, path: str) -> None:
    response = ada.http.get(
        path,
        params=[("email", "ada@example.com"), ("email", "bo@example.com")],
        headers={"x-api-key": ada.api_key},
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_request",
        "reason": "the email query parameter was given 2 times; give it once",
        "parameter": "email",
    }
