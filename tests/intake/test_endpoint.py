"""The webhook endpoint over real HTTP: URL forms, headers, keys, what the log keeps."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
import pytest
from sqlalchemy import Engine

from tests.conftest import StoreClient
from tests.intake.logbook import log_entries, log_entry, stored_body, unix_seconds

CUSTOMER = {"id": 7, "email": "ada@example.com", "first_name": "Ada"}


def post(store: StoreClient, path: str, body: object, headers: dict[str, str]) -> httpx.Response:
    return store.http.post(path, content=orjson.dumps(body), headers=headers)


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/store/{store_id}",
        "/webhooks/store/{store_id}/",
        "/webhooks?storeId={store_id}",
        "/webhooks/?storeId={store_id}",
    ],
)
def test_each_url_form_with_and_without_a_trailing_slash_stores_the_event(
    store: StoreClient, path: str
) -> None:
    # given a customer event sent to one of the contract's URL forms
    headers = {
        "content-type": "application/json",
        "x-event-type": "customers/create",
        "x-token": store.api_key,
    }

    # when it is delivered
    response = post(store, path.format(store_id=store.store_id), CUSTOMER, headers)

    # then it is acknowledged, logged under its event id and applied
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "accepted"
    store.wait_applied()
    assert log_entry(store, body["event_id"])["outcome"] == "applied"
    assert store.get("/api/v1/customers/7").json()["email"] == "ada@example.com"


def test_the_query_form_without_a_store_id_is_refused(store: StoreClient) -> None:
    response = store.http.post(
        "/webhooks", json=CUSTOMER, headers={"x-event-type": "customers/create"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "missing_store_id"


def test_a_200_means_the_event_is_already_in_the_log(store: StoreClient) -> None:
    # when an event is acknowledged
    event_id = store.send("customers/create", CUSTOMER).json()["event_id"]

    # then, before anything else happens, the log holds it (pending or applied)
    assert log_entry(store, event_id)["outcome"] in {"pending", "applied"}


def test_header_names_are_case_insensitive(store: StoreClient) -> None:
    headers = {
        "Content-Type": "application/json",
        "X-Event-Type": "customers/create",
        "X-TOKEN": store.api_key,
        "X-Domain": "shop.example",
    }
    response = post(store, f"/webhooks/store/{store.store_id}", CUSTOMER, headers)

    assert response.status_code == 200
    store.wait_applied()
    entry = log_entry(store, response.json()["event_id"])
    assert (entry["event_type"], entry["outcome"]) == ("customers/create", "applied")
    assert entry["headers"]["x-domain"] == "shop.example"


@pytest.mark.parametrize("key_header", ["x-token", "x-api-key"])
def test_the_key_is_accepted_in_x_token_or_x_api_key(store: StoreClient, key_header: str) -> None:
    headers = {
        "content-type": "application/json",
        "x-event-type": "customers/create",
        key_header: store.api_key,
    }
    response = post(store, f"/webhooks/store/{store.store_id}", CUSTOMER, headers)

    assert response.status_code == 200
    store.wait_applied()
    assert store.get("/api/v1/customers/7").status_code == 200


def test_a_charset_in_the_content_type_is_fine(store: StoreClient) -> None:
    response = store.send(
        "customers/create", CUSTOMER, headers={"content-type": "application/json; charset=UTF-8"}
    )
    assert response.status_code == 200


def test_optional_and_unknown_headers_are_kept_in_the_log_but_keys_never_are(
    store: StoreClient,
) -> None:
    # given a sender that adds its own headers and sends the key in both headers
    headers = {
        "x-domain": "shop.example",
        "x-platform": "MAGENTO2",
        "x-plugin-version": "3.1.4",
        "x-shop-number": "12",
        "x-api-key": store.api_key,
    }

    # when the event is delivered
    response = store.send("customers/create", CUSTOMER, headers=headers)

    # then it is accepted and the log shows every header but the secrets
    assert response.status_code == 200
    kept = log_entry(store, response.json()["event_id"])["headers"]
    assert kept["x-domain"] == "shop.example"
    assert kept["x-platform"] == "MAGENTO2"
    assert kept["x-plugin-version"] == "3.1.4"
    assert kept["x-shop-number"] == "12"
    assert kept["x-event-type"] == "customers/create"
    assert "x-token" not in kept
    assert "x-api-key" not in kept
    assert store.api_key not in orjson.dumps(kept).decode()


def test_extra_body_fields_are_accepted_and_the_raw_body_is_kept_byte_for_byte(
    store: StoreClient, engine: Engine
) -> None:
    # given a body with the sender's own debugging fields
    raw = (
        b'{"id": 7, "email": "ada@example.com", "timestamp": 1764201600,'
        b' "event_id": "evt-42", "debug": {"host": "web-3"}}'
    )

    # when it is delivered
    response = store.send("customers/create", None, raw=raw)

    # then it is accepted, applied, and kept exactly as sent
    assert response.status_code == 200
    store.wait_applied()
    event_id = response.json()["event_id"]
    assert log_entry(store, event_id)["outcome"] == "applied"
    assert stored_body(engine, event_id) == raw
    customer = store.get("/api/v1/customers/7").json()
    assert customer["email"] == "ada@example.com"
    assert customer["event_id"] == "evt-42"


def test_a_body_starting_with_a_byte_order_mark_is_accepted_without_it(
    store: StoreClient, engine: Engine
) -> None:
    # given a body as some platforms' encoders write it, after a UTF-8 byte order mark
    raw = b'{"id": 7, "email": "ada@example.com"}'

    # when it is delivered
    response = store.send("customers/create", None, raw=b"\xef\xbb\xbf" + raw)

    # then it is accepted and applied, and kept without the mark
    assert response.status_code == 200, response.text
    store.wait_applied()
    event_id = response.json()["event_id"]
    assert log_entry(store, event_id)["outcome"] == "applied"
    assert stored_body(engine, event_id) == raw
    assert store.get("/api/v1/customers/7").json()["email"] == "ada@example.com"


def test_x_event_time_back_fills_when_the_event_happened(store: StoreClient) -> None:
    # when a sender back-fills an event that happened on 1 January 2026
    response = store.send(
        "customers/create",
        CUSTOMER,
        headers={"x-event-time": unix_seconds("2026-01-01T00:00:00+00:00")},
    )

    # then the log keeps that time as the event time, apart from the arrival time
    entry = log_entry(store, response.json()["event_id"])
    assert entry["event_time"] == "2026-01-01T00:00:00+00:00"
    assert entry["received_at"] > "2026-01-01T00:00:01+00:00"


def test_x_event_time_may_carry_fractions_of_a_second(store: StoreClient) -> None:
    response = store.send("page_viewed", {"url": "/"}, headers={"x-event-time": "1767225600.5"})
    assert log_entry(store, response.json()["event_id"])["event_time"] == (
        "2026-01-01T00:00:00.500000+00:00"
    )


def test_without_x_event_time_the_event_time_is_the_arrival_time(store: StoreClient) -> None:
    response = store.send("customers/create", CUSTOMER)
    entry = log_entry(store, response.json()["event_id"])
    assert entry["event_time"] == entry["received_at"]


def test_a_back_filled_event_older_than_what_is_stored_does_not_overwrite_it(
    store: StoreClient,
) -> None:
    # given a customer last changed now
    store.send("customers/create", CUSTOMER)
    store.wait_applied()

    # when an older change is back-filled with x-event-time (no updated_at in the body)
    old = {**CUSTOMER, "first_name": "Augusta"}
    response = store.send(
        "customers/update", old, headers={"x-event-time": unix_seconds("2026-01-01T00:00:00Z")}
    )
    store.wait_applied()

    # then the newer data stays and the old event is marked stale
    assert store.get("/api/v1/customers/7").json()["first_name"] == "Ada"
    assert log_entry(store, response.json()["event_id"])["outcome"] == "stale"


def test_the_log_of_a_store_starts_empty_and_lists_only_its_own_events(
    store: StoreClient, other_store: StoreClient
) -> None:
    assert log_entries(store) == []
    other_store.send("customers/create", CUSTOMER)
    assert log_entries(store) == []
    assert len(log_entries(other_store)) == 1


def test_concurrent_deliveries_are_all_stored_and_applied(store: StoreClient) -> None:
    # given 24 customers sent at the same time over separate connections
    def deliver(number: int) -> int:
        with httpx.Client(base_url=store.server.url, timeout=20) as client:
            response = client.post(
                f"/webhooks/store/{store.store_id}",
                json={"id": number, "email": f"c{number}@example.com"},
                headers={"x-event-type": "customers/create", "x-token": store.api_key},
            )
        return response.status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(deliver, range(24)))

    # then every one was acknowledged, logged once and applied
    assert statuses == [200] * 24
    store.wait_applied()
    entries = log_entries(store, limit=100)
    assert len(entries) == 24
    assert {entry["outcome"] for entry in entries} == {"applied"}
    customers = store.get("/api/v1/customers", limit=100).json()["items"]
    assert sorted(int(c["id"]) for c in customers) == list(range(24))
