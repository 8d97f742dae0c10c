"""Every refusal of the webhook contract: its status, its JSON error, its log entry.

A refused delivery answers with ``{"error": {"code", "reason", "pointer"}}``, is kept
in the store's integration log as ``rejected`` with the reason and the raw body,
and changes nothing else.
"""

from __future__ import annotations

import gzip
import re
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine

from tests.conftest import StoreClient, open_store, serving, settings_for
from tests.intake.logbook import log_entries
from winback.intake.receive import (
    REJECTED_BODY_KEPT,
    UNAUTHENTICATED_LOGGED_BURST,
    UNAUTHENTICATED_LOGGED_PER_SECOND,
)

ORDER = {
    "id": 1001,
    "created_at": "2026-11-01T10:00:00+02:00",
    "customer": {"id": 7, "email": "ada@example.com"},
    "line_items": [{"product_id": 55, "quantity": 1, "price": "12.45"}],
}
CUSTOMER = {"id": 7, "email": "ada@example.com", "first_name": "Ada"}
PRODUCT = {"id": 55, "title": "Mug", "price": "12.45"}
CART = {"id": "c1", "email": "ada@example.com", "line_items": []}
# RFC 5321 allows 64 bytes before the @-sign; mail to a longer address may never arrive.
LONG_LOCAL_PART = "a" * 65 + "@example.com"
LONG_ACCENTED_LOCAL_PART = "\u00e9" * 33 + "@example.com"  # (33 letters, 2 bytes each)


def without(body: dict[str, Any], field: str) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != field}


def deeply_nested(levels: int) -> dict[str, Any]:
    """An object whose own level is 1 and whose innermost object is at ``levels``."""
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"info": value}
    return value


INVALID_BODIES = [
    # (case, event type, body, pointer, reason starts with)
    ("not JSON", "customers/create", b"{email: ada}", "", "the body is not valid JSON"),
    ("form encoded", "customers/create", b"email=ada%40example.com", "", "the body is not valid"),
    ("a JSON array", "customers/create", b"[1, 2]", "", "the body must be a JSON object"),
    ("a JSON number", "page_viewed", b"42", "", "the body must be a JSON object"),
    ("a JSON string", "page_viewed", b'"hello"', "", "the body must be a JSON object"),
    ("JSON null", "page_viewed", b"null", "", "the body must be a JSON object"),
    ("an empty body", "customers/create", b"", "", "the body is empty"),
    ("only spaces", "customers/create", b"   ", "", "the body is empty"),
    ("order without id", "orders/create", without(ORDER, "id"), "/id", "this field is required"),
    (
        "order without created_at",
        "orders/create",
        without(ORDER, "created_at"),
        "/created_at",
        "this field is required",
    ),
    (
        "customer without email",
        "customers/create",
        without(CUSTOMER, "email"),
        "/email",
        "this field is required",
    ),
    (
        "customer update without email",
        "customers/updated",
        {"id": 7, "first_name": "Ada"},
        "/email",
        "this field is required",
    ),
    (
        "subscribe without email",
        "newsletter/subscribe",
        {"first_name": "Ada"},
        "/email",
        "this field is required",
    ),
    ("unsubscribe without email", "newsletter/unsubscribe", {}, "/email", "this field is"),
    ("product without id", "products/create", without(PRODUCT, "id"), "/id", "this field is"),
    ("product delete without id", "products/delete", {}, "/id", "this field is required"),
    ("order delete without id", "orders/delete", {}, "/id", "this field is required"),
    ("cart without id", "carts/create", without(CART, "id"), "/id", "this field is required"),
    (
        "customer delete without id or email",
        "customers/delete",
        {"first_name": "Ada"},
        "",
        "a customer delete needs an id or an email",
    ),
    (
        "invalid email",
        "customers/create",
        {**CUSTOMER, "email": "ada-at-example.com"},
        "/email",
        "'ada-at-example.com' is not a valid email address",
    ),
    (
        "invalid email of an order's customer",
        "orders/create",
        {**ORDER, "customer": {"id": 7, "email": "ada@"}},
        "/customer/email",
        "'ada@' is not a valid email address",
    ),
    (
        "created_at without a time zone",
        "orders/create",
        {**ORDER, "created_at": "2026-11-01T10:00:00"},
        "/created_at",
        "this time has no time zone; send a time in ISO 8601 with its time zone, like"
        " 2026-11-01T10:00:00Z or +02:00",
    ),
    (
        "created_at as a number that no store writes as a time",
        "orders/create",
        {**ORDER, "created_at": "+5"},
        "/created_at",
        "a UNIX time sent as text must be digits, with a fraction if any, like '1795780800';"
        " got '+5'",
    ),
    (
        "created_at as a negative UNIX time",
        "orders/create",
        {**ORDER, "created_at": -5},
        "/created_at",
        "a UNIX time counts seconds since 1970-01-01 and cannot be negative; got -5",
    ),
    (
        "created_at at an hour of 24",
        "orders/create",
        {**ORDER, "created_at": "2026-11-29T24:00:00Z"},
        "/created_at",
        "must be a time in ISO 8601 with its time zone, like 2026-11-01T10:00:00Z or +02:00:"
        " hour must be in 0..23; got '2026-11-29T24:00:00Z'",
    ),
    (
        "price that is not a number",
        "orders/create",
        {**ORDER, "line_items": [{"product_id": 55, "price": "abc"}]},
        "/line_items/0/price",
        "'abc' is not a number",
    ),
    (
        "negative quantity",
        "orders/create",
        {**ORDER, "line_items": [{"product_id": 55}, {"product_id": 56, "quantity": "-1"}]},
        "/line_items/1/quantity",
        "quantity must not be negative",
    ),
    (
        "two-letter currency",
        "orders/create",
        {**ORDER, "currency": "US"},
        "/currency",
        "must be a three-letter currency code (ISO 4217), like USD",
    ),
    (
        "id as an object",
        "orders/create",
        {**ORDER, "id": {"value": 1001}},
        "/id",
        "an id must be a string or a number",
    ),
    (
        "product price that is not a number",
        "products/update",
        {**PRODUCT, "price": "12,45 EUR"},
        "/price",
        "'12,45 EUR' is not a number",
    ),
    (
        "nested deeper than 32 levels",
        "page_viewed",
        {"info": deeply_nested(32)},
        "/info" * 32,  # (the first object past the limit)
        "the body is nested deeper than 32 levels",
    ),
    (
        "nested deeper than the JSON parser goes",
        "page_viewed",
        b'{"a":' * 1100 + b"{}" + b"}" * 1100,
        "",
        "the body is nested deeper than 32 levels",
    ),
    (
        "a product's currency that is not a code",
        "products/create",
        {**PRODUCT, "currency": "EURO"},
        "/currency",
        "must be a three-letter currency code (ISO 4217), like USD",
    ),
    (
        "a variant's currency that is not a code",
        "products/update",
        {**PRODUCT, "variants": [{"id": "v1", "currency": 1e300}]},
        "/variants/0/currency",
        "must be a three-letter currency code (ISO 4217), like USD",
    ),
    (
        "a birthdate that is not YYYY-MM-DD",
        "customers/update",
        {**CUSTOMER, "birthdate": "10/12/1815"},
        "/birthdate",
        "'10/12/1815' is not a date written YYYY-MM-DD",
    ),
    (
        "a birthdate that is no date",
        "customers/update",
        {**CUSTOMER, "birthdate": "1815-02-30"},
        "/birthdate",
        "'1815-02-30' is not a real date",
    ),
    (
        "a phone number without its country code",
        "newsletter/subscribe",
        {"email": "ada@example.com", "sms_phone_number_e164": "07700 900123"},
        "/sms_phone_number_e164",
        "'07700 900123' is not a phone number in E.164 form",
    ),
    (
        "a custom event naming an invalid email",
        "page_viewed",
        {"email": "not an email@", "page": "/"},
        "/email",
        "'not an email@' is not a valid email address",
    ),
    (
        "a custom event naming an over-long customer id",
        "page_viewed",
        {"customer": {"id": "c" * 300}},
        "/customer/id",
        "an id must be at most 255 characters",
    ),
    (
        "a custom event's customer_id as an object",
        "page_viewed",
        {"customer_id": {"id": 7}},
        "/customer_id",
        "an id must be a string or a number",
    ),
    (
        "a customer's tag that is an object",
        "customers/create",
        {**CUSTOMER, "tags": [{"name": "vip"}]},
        "/tags/0",
        "a tag must be a string, got an object",
    ),
    (
        "a customer's second tag that is null",
        "customers/update",
        {**CUSTOMER, "tags": ["vip", None]},
        "/tags/1",
        "a tag must be a string, got null",
    ),
    (
        "tags that are neither a list nor a string",
        "customers/create",
        {**CUSTOMER, "tags": 5},
        "/tags",
        "tags must be a list or a comma-separated string",
    ),
    (
        "a tag of an order's customer that is a list",
        "orders/create",
        {**ORDER, "customer": {"id": 7, "email": "ada@example.com", "tags": ["a", "b", []]}},
        "/customer/tags/2",
        "a tag must be a string, got an array",
    ),
    (
        "a tag of a cart's customer that is a number with a fraction",
        "carts/create",
        {**CART, "customer": {"id": 7, "tags": [1.5]}},
        "/customer/tags/0",
        "a tag must be a string, got a number",
    ),
    (
        "a product's tag that is an object",
        "products/create",
        {**PRODUCT, "tags": ["mugs", {"name": "sale"}]},
        "/tags/1",
        "a tag must be a string, got an object",
    ),
    (
        "a subscriber's tag that is a list",
        "newsletter/subscribe",
        {"email": "ada@example.com", "tags": [["footer"]]},
        "/tags/0",
        "a tag must be a string, got an array",
    ),
    (
        "a product's category that is an array",
        "products/create",
        {**PRODUCT, "categories": ["mugs", ["sale"]]},
        "/categories/1",
        "must be an object, got an array",
    ),
    (
        "an email with 65 bytes before the @-sign",
        "customers/create",
        {**CUSTOMER, "email": LONG_LOCAL_PART},
        "/email",
        f"{LONG_LOCAL_PART!r} is not a valid email address: the part before the @-sign must be"
        " at most 64 bytes long in UTF-8 (RFC 5321), this one is 65",
    ),
    (
        "an email with 33 accented letters (66 bytes) before the @-sign",
        "newsletter/subscribe",
        {"email": LONG_ACCENTED_LOCAL_PART},
        "/email",
        f"{LONG_ACCENTED_LOCAL_PART!r} is not a valid email address: the part before the"
        " @-sign must be at most 64 bytes long in UTF-8 (RFC 5321), this one is 66",
    ),
    (
        "an order's email with 65 bytes before the @-sign",
        "orders/create",
        {**ORDER, "email": LONG_LOCAL_PART},
        "/email",
        f"{LONG_LOCAL_PART!r} is not a valid email address: the part before the @-sign",
    ),
    (
        "a cart customer's email with 65 bytes before the @-sign",
        "carts/update",
        {**CART, "customer": {"id": 7, "email": LONG_LOCAL_PART.upper()}},
        "/customer/email",
        f"{LONG_LOCAL_PART.upper()!r} is not a valid email address: the part before the @-sign",
    ),
    (
        "a custom event naming an email with 65 bytes before the @-sign",
        "page_viewed",
        {"customer": {"email": LONG_LOCAL_PART}},
        "/customer/email",
        f"{LONG_LOCAL_PART!r} is not a valid email address: the part before the @-sign",
    ),
    (
        "an unsubscribe of an email with 65 bytes before the @-sign",
        "newsletter/unsubscribe",
        {"email": LONG_LOCAL_PART},
        "/email",
        f"{LONG_LOCAL_PART!r} is not a valid email address: the part before the @-sign",
    ),
]


def deliver(store: StoreClient, content: Any, headers: dict[str, str]) -> httpx.Response:
    """A webhook to the store with exactly these headers (``StoreClient.send`` adds the
    key and the event type; these tests leave one out or get one wrong)."""
    return store.http.post(f"/webhooks/store/{store.store_id}", content=content, headers=headers)


JSON = {"content-type": "application/json"}


def raw_bytes(body: bytes | dict[str, Any]) -> bytes:
    return body if isinstance(body, bytes) else orjson.dumps(body)


def logged_body(raw: bytes) -> Any:
    """What the log shows as the body of a rejection: an object or array as JSON,
    anything else as the text sent."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode()
    return body if isinstance(body, (dict, list)) else raw.decode()


def assert_rejection_logged(
    store: StoreClient,
    response: httpx.Response,
    raw: bytes,
    headers_kept: dict[str, str],
    *,
    body_shown: Any = None,
) -> dict[str, Any]:
    """The delivery is the only new log entry: rejected, with its status, reason and body."""
    error = response.json()["error"]
    entries = log_entries(store)
    assert len(entries) == 1
    entry = entries[0]
    assert entry["outcome"] == "rejected"
    assert entry["http_status"] == response.status_code
    assert entry["reason"] == error["reason"]
    assert entry["pointer"] == error.get("pointer")
    assert entry["body"] == (logged_body(raw) if body_shown is None else body_shown)
    for name, value in headers_kept.items():
        assert entry["headers"][name] == value
    assert "x-token" not in entry["headers"]
    assert "x-api-key" not in entry["headers"]
    return entry


@pytest.fixture
def existing_customer(store: StoreClient) -> dict[str, Any]:
    """A customer stored before the refused delivery, and the log emptied of it."""
    store.send("customers/create", CUSTOMER)
    store.wait_applied()
    customer: dict[str, Any] = store.get("/api/v1/customers/7").json()
    return customer


def assert_nothing_else_changed(store: StoreClient, before: dict[str, Any]) -> None:
    store.wait_applied()
    assert store.get("/api/v1/customers/7").json() == before
    assert store.get("/api/v1/customers").json()["items"] == [before]
    assert store.get("/api/v1/orders").json()["items"] == []
    assert store.get("/api/v1/products/55").status_code == 404
    assert [e["outcome"] for e in log_entries(store)] == ["rejected", "applied"]


@pytest.mark.parametrize(
    ("event_type", "body", "pointer", "reason"),
    [case[1:] for case in INVALID_BODIES],
    ids=[case[0] for case in INVALID_BODIES],
)
def test_an_invalid_body_is_refused_with_400_naming_the_field_and_logged(
    store: StoreClient, event_type: str, body: Any, pointer: str, reason: str
) -> None:
    # given a body the contract does not allow
    raw = raw_bytes(body)

    # when it is delivered
    response = store.send(event_type, None, raw=raw, headers={"x-domain": "shop.example"})

    # then it is refused with a JSON error that names the field (a JSON pointer) and why
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"code", "reason", "pointer"}
    assert error["code"] == "invalid_payload"
    assert error["pointer"] == pointer
    assert error["reason"].startswith(reason), error["reason"]

    # and it is the only entry in the log: rejected, with the reason and the raw body
    entry = assert_rejection_logged(store, response, raw, {"x-domain": "shop.example"})
    assert entry["event_type"] == event_type


def test_a_refused_update_leaves_the_stored_customer_as_it_was(
    store: StoreClient, existing_customer: dict[str, Any]
) -> None:
    # when an update of the same customer arrives with a malformed email
    response = store.send(
        "customers/update", {"id": 7, "email": "not-an-email", "first_name": "Eve"}
    )

    # then it is refused and nothing else changed
    assert response.status_code == 400
    assert_nothing_else_changed(store, existing_customer)


def test_a_refused_order_creates_no_order_no_product_and_no_aggregates(
    store: StoreClient, existing_customer: dict[str, Any]
) -> None:
    bad = {**ORDER, "total_price": "abc"}
    response = store.send("orders/create", bad)

    assert response.status_code == 400
    assert response.json()["error"]["pointer"] == "/total_price"
    assert_nothing_else_changed(store, existing_customer)


@pytest.mark.parametrize(
    ("event_type", "raw", "pointer"),
    [
        (
            "orders/create",
            b'{"id": -9223372036854775809, "created_at": "2026-11-01T10:00:00Z"}',
            "/id",
        ),
        ("products/create", b'{"id": 55, "title": "Mug", "price": 1e-400}', "/price"),
    ],
    ids=["a whole number below -2^63", "a price too small for a double"],
)
def test_a_number_that_would_change_on_the_way_in_is_refused_and_logged(
    store: StoreClient, event_type: str, raw: bytes, pointer: str
) -> None:
    response = store.send(event_type, None, raw=raw)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["pointer"]) == ("inexact_number", pointer)
    assert error["reason"].startswith("this number cannot be kept exactly")
    # (shown as sent: read as JSON, the number would show changed)
    assert_rejection_logged(store, response, raw, {}, body_shown=raw.decode())


def test_a_refused_body_too_deep_to_show_as_json_is_logged_as_its_text(store: StoreClient) -> None:
    raw = b'{"a":' * 299 + b"{}" + b"}" * 299  # (valid JSON, 300 levels)
    response = store.send("page_viewed", None, raw=raw)

    assert response.status_code == 400
    listing = store.get("/api/v1/events")
    assert listing.status_code == 200, listing.text
    assert listing.json()["items"][0]["body"] == raw.decode()


def test_the_nesting_limit_itself_is_accepted(store: StoreClient) -> None:
    response = store.send("page_viewed", {"info": deeply_nested(31)})
    assert response.status_code == 200


def test_a_missing_event_type_is_refused_and_logged(store: StoreClient) -> None:
    raw = orjson.dumps(CUSTOMER)
    response = deliver(store, raw, JSON | {"x-token": store.api_key})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "missing_event_type"
    assert error["reason"] == "the x-event-type header is required"
    entry = assert_rejection_logged(store, response, raw, {})
    assert entry["event_type"] == ""


def test_an_empty_event_type_counts_as_missing(store: StoreClient) -> None:
    response = store.send("", CUSTOMER)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "missing_event_type"


@pytest.mark.parametrize(
    "event_time", ["yesterday", "2026-01-01T00:00:00Z", "nan", "0x6B0E3A40", "1_795_780_800"]
)
def test_a_malformed_event_time_is_refused_and_logged(store: StoreClient, event_time: str) -> None:
    raw = orjson.dumps(CUSTOMER)
    response = store.send("customers/create", None, raw=raw, headers={"x-event-time": event_time})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_header"
    assert error["reason"] == (
        f"the x-event-time header must be UNIX seconds (like 1795780800), got {event_time!r}"
    )
    assert_rejection_logged(store, response, raw, {"x-event-time": event_time})
    assert store.get("/api/v1/customers/7").status_code == 404


@pytest.mark.parametrize("event_time", ["253402300800", "1795780800000", "1e300"])
def test_an_event_time_past_the_year_9999_is_refused_saying_so(
    store: StoreClient, event_time: str
) -> None:
    response = store.send("customers/create", CUSTOMER, headers={"x-event-time": event_time})

    assert response.status_code == 400
    assert response.json()["error"]["reason"] == (
        "the x-event-time header must be UNIX seconds between the years 1 and 9999"
        f" (milliseconds are too many digits), got {event_time!r}"
    )
    assert store.get("/api/v1/customers/7").status_code == 404


def test_a_long_event_time_is_cut_in_the_reason(store: StoreClient) -> None:
    response = store.send("customers/create", CUSTOMER, headers={"x-event-time": "9" * 5000})

    reason = response.json()["error"]["reason"]
    assert response.status_code == 400
    assert reason.endswith(f"got '{'9' * 40}...'")


def test_an_event_time_in_the_future_is_refused_and_changes_nothing(
    store: StoreClient, existing_customer: dict[str, Any]
) -> None:
    tomorrow = str(int(time.time()) + 86_400)
    raw = orjson.dumps(CUSTOMER | {"first_name": "Tomorrow"})

    # when an update says it happened tomorrow
    response = store.send("customers/update", None, raw=raw, headers={"x-event-time": tomorrow})

    # then it is refused, saying how far ahead it is, and the customer is as before
    assert response.status_code == 400
    reason = response.json()["error"]["reason"]
    assert re.fullmatch(
        r"the x-event-time header is 86[34]\d\d seconds ahead of this server's clock; it must"
        r" say when the event happened \(up to 10 minutes ahead is taken as drift\)",
        reason,
    ), reason
    assert_nothing_else_changed(store, existing_customer)
    assert log_entries(store)[0]["reason"] == reason
    # and a later update is applied as usual
    assert store.send("customers/update", CUSTOMER | {"first_name": "Ada B."}).status_code == 200
    store.wait_applied()
    assert store.get("/api/v1/customers/7").json()["first_name"] == "Ada B."


def test_an_event_time_a_minute_ahead_is_taken_as_clock_drift(store: StoreClient) -> None:
    ahead = str(int(time.time()) + 60)

    response = store.send("customers/create", CUSTOMER, headers={"x-event-time": ahead})

    assert response.status_code == 200
    store.wait_applied()
    assert store.get("/api/v1/customers/7").json()["first_name"] == "Ada"


def test_a_missing_key_is_refused_with_401_and_logged(store: StoreClient) -> None:
    raw = orjson.dumps(CUSTOMER)
    response = deliver(store, raw, JSON | {"x-event-type": "customers/create"})

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "unauthorized",
            "reason": "send the store's API key in x-token (or x-api-key)",
        }
    }
    assert response.headers["www-authenticate"] == 'Bearer realm="winback"'
    assert_rejection_logged(store, response, raw, {"x-event-type": "customers/create"})
    store.wait_applied()
    assert store.get("/api/v1/customers/7").status_code == 404


@pytest.mark.parametrize("key_header", ["x-token", "x-api-key"])
def test_a_wrong_key_is_refused_with_401_and_never_stored(
    store: StoreClient, key_header: str
) -> None:
    raw = orjson.dumps(CUSTOMER)
    wrong = "wbk_" + "x" * 43
    response = deliver(store, raw, JSON | {"x-event-type": "customers/create", key_header: wrong})

    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "unauthorized",
        "reason": "the API key is not valid for this store",
    }
    entry = assert_rejection_logged(store, response, raw, {})
    assert wrong not in orjson.dumps(entry).decode()
    store.wait_applied()
    assert store.get("/api/v1/customers/7").status_code == 404


@pytest.mark.parametrize("stale_in", ["x-token", "x-api-key"])
def test_with_a_key_in_both_headers_either_one_lets_the_delivery_in(
    store: StoreClient, stale_in: str
) -> None:
    # given a sender that sends the key twice, one of them stale after a rotation
    headers = {"x-token": store.api_key, "x-api-key": store.api_key}
    headers[stale_in] = "wbk_" + "s" * 43

    # then the delivery is taken in; with both wrong, it is refused
    assert store.send("customers/create", CUSTOMER, headers=headers).status_code == 200
    both_wrong = {"x-token": "wbk_" + "s" * 43, "x-api-key": "wbk_" + "t" * 43}
    refused = store.send("customers/create", CUSTOMER, headers=both_wrong)
    assert refused.status_code == 401
    assert refused.json()["error"]["reason"] == "the API key is not valid for this store"


def test_another_stores_key_is_refused_and_changes_neither_store(
    store: StoreClient, other_store: StoreClient
) -> None:
    # given the key of another store
    raw = orjson.dumps(CUSTOMER)

    # when it is used to send to this store
    response = store.send(
        "customers/create", None, raw=raw, headers={"x-token": other_store.api_key}
    )

    # then the delivery is refused, and neither store gets a customer
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert_rejection_logged(store, response, raw, {})
    assert log_entries(other_store) == []
    store.wait_applied()
    assert store.get("/api/v1/customers/7").status_code == 404
    assert other_store.get("/api/v1/customers/7").status_code == 404


@pytest.mark.parametrize(
    "path", ["/webhooks/store/st_0000000000000000", "/webhooks?storeId=st_0000000000000000"]
)
def test_an_unknown_store_is_404(store: StoreClient, path: str) -> None:
    response = store.http.post(
        path,
        json=CUSTOMER,
        headers={"x-event-type": "customers/create", "x-token": store.api_key},
    )
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "reason": "unknown store 'st_0000000000000000'"}
    }
    assert log_entries(store) == []


def test_a_long_unknown_store_id_is_cut_in_the_reason(store: StoreClient) -> None:
    response = store.http.post(
        "/webhooks/store/" + "s" * 20_000,
        json=CUSTOMER,
        headers={"x-event-type": "customers/create", "x-token": store.api_key},
    )

    assert response.status_code == 404
    assert response.json()["error"]["reason"] == f"unknown store '{'s' * 64}...'"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "text/plain; charset=utf-8"],
)
def test_a_body_that_is_not_json_by_content_type_is_415_and_logged(
    store: StoreClient, content_type: str
) -> None:
    raw = orjson.dumps(CUSTOMER)
    response = store.send("customers/create", None, raw=raw, headers={"content-type": content_type})

    assert response.status_code == 415
    error = response.json()["error"]
    assert error["code"] == "unsupported_media_type"
    assert content_type.split(";")[0] in error["reason"]
    assert_rejection_logged(store, response, raw, {"content-type": content_type})
    store.wait_applied()
    assert store.get("/api/v1/customers/7").status_code == 404


@pytest.mark.parametrize(
    ("coding", "compress"),
    [("gzip", gzip.compress), ("br", lambda raw: raw), ("identity, gzip", gzip.compress)],
    ids=["gzip", "br (a plain body)", "a list"],
)
def test_a_compressed_body_is_415_naming_the_coding_and_changes_nothing(
    store: StoreClient, coding: str, compress: Any
) -> None:
    raw = compress(orjson.dumps(CUSTOMER))
    response = store.send("customers/create", None, raw=raw, headers={"content-encoding": coding})

    assert response.status_code == 415
    assert response.json()["error"]["reason"] == (
        f"the body must be sent uncompressed, got Content-Encoding {coding.split(', ')[-1]!r}"
    )
    store.wait_applied()
    assert store.get("/api/v1/customers/7").status_code == 404


def test_a_body_marked_identity_is_read_as_it_came(store: StoreClient) -> None:
    response = store.send("customers/create", CUSTOMER, headers={"content-encoding": "identity"})

    assert response.status_code == 200


LIMIT = 64 * 1024  # the test server's max_body_bytes (tests/conftest.py)


def body_of_size(size: int) -> bytes:
    """A valid custom-event body of exactly ``size`` bytes."""
    frame = b'{"padding": ""}'
    return frame[:-2] + b"x" * (size - len(frame)) + frame[-2:]


def test_a_body_exactly_at_the_limit_is_accepted(store: StoreClient) -> None:
    raw = body_of_size(LIMIT)
    assert len(raw) == LIMIT
    assert store.send("page_viewed", None, raw=raw).status_code == 200


def test_a_body_one_byte_over_the_limit_is_413(store: StoreClient) -> None:
    response = store.send("page_viewed", None, raw=body_of_size(LIMIT + 1))

    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "payload_too_large",
        "reason": f"the body is larger than {LIMIT} bytes",
    }


@pytest.mark.parametrize("declared", [True, False], ids=["with a length", "streamed"])
def test_a_body_over_the_limit_is_logged_as_rejected_with_its_start(
    store: StoreClient, declared: bool
) -> None:
    raw = body_of_size(LIMIT + 1)
    content = raw if declared else (raw[start : start + 4096] for start in range(0, len(raw), 4096))

    response = deliver(
        store, content, JSON | {"x-event-type": "page_viewed", "x-token": store.api_key}
    )

    assert response.status_code == 413
    entries = log_entries(store)
    assert len(entries) == 1
    assert (entries[0]["outcome"], entries[0]["http_status"]) == ("rejected", 413)
    assert entries[0]["reason"] == f"the body is larger than {LIMIT} bytes"
    # (what a developer needs to see which event it was: its first 64 KiB)
    assert entries[0]["body"] == raw[:REJECTED_BODY_KEPT].decode()


def _unlogged_refusals(store: StoreClient) -> float:
    text = store.http.get("/metrics").text
    found = re.search(
        r'^winback_events_received_total{outcome="unauthorized_unlogged",source="webhook"} (\S+)$',
        text,
        re.MULTILINE,
    )
    return float(found.group(1)) if found else 0.0


def test_a_flood_of_wrong_keys_is_refused_but_logged_only_at_a_bounded_rate(
    store: StoreClient,
) -> None:
    # given a sender who knows the store's id but not its key
    raw = orjson.dumps(CUSTOMER)
    headers = JSON | {"x-event-type": "customers/create"}
    unlogged_before = _unlogged_refusals(store)
    started = time.monotonic()

    # when it sends many deliveries in a row
    statuses = [
        deliver(store, raw, headers | {"x-token": f"wbk_wrong{n}"}).status_code
        for n in range(UNAUTHENTICATED_LOGGED_BURST + 40)
    ]
    elapsed = time.monotonic() - started

    # then each is refused, the log keeps the burst and about one a second after it,
    # and the rest are counted
    assert set(statuses) == {401}
    logged = len(log_entries(store, outcome="rejected", limit=500))
    refilled = int(elapsed * UNAUTHENTICATED_LOGGED_PER_SECOND) + 1
    assert UNAUTHENTICATED_LOGGED_BURST <= logged <= UNAUTHENTICATED_LOGGED_BURST + refilled
    assert _unlogged_refusals(store) - unlogged_before == len(statuses) - logged
    # and the store's own sender is not held back by them
    assert store.send("customers/create", CUSTOMER).status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        b'{"email": "ada@example.com", "info": {"n": 18446744073709551616}}',
        b'{"email": "ada@example.com", "info": {"n": 1e-400}}',
        b'"ada@example.com"',
        b"ada@example.com",
        b"null",
    ],
    ids=["past 64 bits", "below a double", "a JSON string", "not JSON", "null"],
)
def test_the_log_shows_a_refused_body_as_it_was_sent(store: StoreClient, raw: bytes) -> None:
    response = store.send("customers/create", None, raw=raw)

    assert response.status_code == 400
    assert log_entries(store)[0]["body"] == raw.decode()


@pytest.mark.parametrize("limit", [REJECTED_BODY_KEPT - 1, REJECTED_BODY_KEPT, 1000])
def test_a_body_limit_near_what_the_log_keeps_takes_a_small_body(
    database_url: str, engine: Engine, tmp_path: Path, limit: int
) -> None:
    # (a limit of 65,535 took every body for one over the limit: 65,536 is what the log
    # keeps of a body declared too large)
    with serving(settings_for(database_url, tmp_path, max_body_bytes=limit)) as live:
        store = open_store(StoreClient, live, engine, "Limited store")
        assert store.send("page_viewed", {"n": 1}).status_code == 200
        assert store.send("page_viewed", None, raw=body_of_size(limit)).status_code == 200
        assert store.send("page_viewed", None, raw=body_of_size(limit + 1)).status_code == 413


def _sent_with(store: StoreClient, name: str, values: list[str]) -> httpx.Response:
    headers = [("content-type", "application/json"), ("x-token", store.api_key)]
    if name != "x-event-type":
        headers.append(("x-event-type", "customers/update"))
    headers += [(name, value) for value in values]
    body = orjson.dumps(CUSTOMER | {"first_name": "Twice"})
    return store.http.post(f"/webhooks/store/{store.store_id}", content=body, headers=headers)


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("x-event-type", ["customers/update", "newsletter/unsubscribe"]),
        ("x-event-time", ["1795780800", "1795780900"]),
    ],
)
def test_a_header_that_says_what_the_event_is_sent_twice_differently_is_refused(
    store: StoreClient, existing_customer: dict[str, Any], name: str, values: list[str]
) -> None:
    response = _sent_with(store, name, values)

    assert response.status_code == 400
    first, second = values
    assert response.json()["error"] == {
        "code": "invalid_header",
        "reason": f"the {name} header was sent 2 times with different values"
        f" ('{first}', '{second}'); send it once",
    }
    assert_nothing_else_changed(store, existing_customer)
    assert log_entries(store)[0]["outcome"] == "rejected"


def test_a_header_a_proxy_joined_with_two_values_is_refused(
    store: StoreClient, existing_customer: dict[str, Any]
) -> None:
    # (RFC 9110 lets a proxy send a header given twice as one line, comma-separated)
    response = _sent_with(store, "x-event-type", ["customers/update, newsletter/unsubscribe"])

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_header",
        "reason": "the x-event-type header holds 2 different values ('customers/update',"
        " 'newsletter/unsubscribe'): it was sent more than once, or a proxy joined copies"
        " of it; send it once",
    }
    assert_nothing_else_changed(store, existing_customer)
    assert log_entries(store)[0]["outcome"] == "rejected"


@pytest.mark.parametrize(
    ("name", "joined"),
    [
        ("x-event-type", "customers/update, customers/update"),
        ("x-event-time", "NOW,NOW"),
    ],
)
def test_a_header_a_proxy_joined_with_one_value_is_that_value(
    store: StoreClient, existing_customer: dict[str, Any], name: str, joined: str
) -> None:
    # (a second from now: an earlier time would be older than the customer stored)
    response = _sent_with(store, name, [joined.replace("NOW", str(int(time.time()) + 1))])

    assert response.status_code == 200, response.text
    store.wait_applied()
    [entry] = [e for e in log_entries(store) if e["event_id"] == response.json()["event_id"]]
    assert (entry["event_type"], entry["outcome"]) == ("customers/update", "applied")
    assert store.get("/api/v1/customers/7").json()["first_name"] == "Twice"


def test_a_header_sent_twice_with_one_value_is_that_value(
    store: StoreClient, existing_customer: dict[str, Any]
) -> None:
    # (a proxy that copies a header on its way)
    response = _sent_with(store, "x-event-type", ["customers/update", "customers/update"])

    assert response.status_code == 200, response.text
    store.wait_applied()
    assert store.get("/api/v1/customers/7").json()["first_name"] == "Twice"


def _posted_to(store: StoreClient, path: str, store_ids: list[str]) -> httpx.Response:
    return store.http.post(
        path,
        params=[("storeId", store_id) for store_id in store_ids],
        content=orjson.dumps(CUSTOMER | {"first_name": "Twice"}),
        headers={
            "content-type": "application/json",
            "x-token": store.api_key,
            "x-event-type": "customers/update",
        },
    )


@pytest.mark.parametrize(
    ("path", "store_ids"),
    [
        ("/webhooks", ["st_nope", "OWN"]),
        ("/webhooks/store/OWN", ["st_nope"]),
    ],
)
def test_a_url_naming_two_stores_is_refused(
    store: StoreClient, existing_customer: dict[str, Any], path: str, store_ids: list[str]
) -> None:
    own = store.store_id
    response = _posted_to(
        store, path.replace("OWN", own), [own if s == "OWN" else s for s in store_ids]
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["parameter"]) == ("invalid_request", "storeId")
    assert error["reason"] in (
        f"the URL names more than one store ('st_nope', '{own}'); name one",
        f"the URL names more than one store ('{own}', 'st_nope'); name one",
    )
    # (like a delivery without a storeId, it names no one store whose log would keep it)
    store.wait_applied()
    assert store.get("/api/v1/customers/7").json() == existing_customer
    assert [e["outcome"] for e in log_entries(store)] == ["applied"]


@pytest.mark.parametrize(
    ("path", "store_ids"),
    [("/webhooks", ["OWN", "OWN"]), ("/webhooks/store/OWN", ["OWN"])],
)
def test_a_url_naming_its_store_twice_names_that_store(
    store: StoreClient, existing_customer: dict[str, Any], path: str, store_ids: list[str]
) -> None:
    own = store.store_id
    response = _posted_to(store, path.replace("OWN", own), [own for _ in store_ids])

    assert response.status_code == 200, response.text
    store.wait_applied()
    assert store.get("/api/v1/customers/7").json()["first_name"] == "Twice"
