"""POST /collect/{store_id} over real HTTP: what is kept, what is refused and why, and CORS."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine

from tests.conftest import LiveServer, StoreClient
from tests.tracking.conftest import BROWSER_AGENT, Shopper, log_of, now_ms
from winback.stores.service import create_store

PRODUCT = {"productId": "42", "productName": "Mug", "productCategories": ["Kitchen"]}


def collector_count(server: LiveServer, outcome: str) -> float:
    """The collector's request counter for ``outcome`` on /metrics (0 before the first)."""
    text = httpx.get(f"{server.url}/metrics").text
    found = re.search(
        rf'^winback_collector_requests_total{{outcome="{outcome}"}} (\S+)$', text, re.MULTILINE
    )
    return float(found.group(1)) if found else 0.0


def test_a_batch_sent_as_plain_text_is_stored_with_the_visitor_and_the_page(
    store: StoreClient, shopper: Shopper
) -> None:
    # when the script sends a batch of two events
    response = shopper.send(
        ("productView", PRODUCT),
        ("siteSearch", {"search_keyword": "mug", "products": [{"id": "42"}]}),
        page="/products/mug",
    )

    # then both are stored, and their ids come back
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "accepted"
    assert answer["refused"] == []
    store.wait_applied()
    entries = {entry["event_id"]: entry for entry in log_of(store)}
    assert sorted(entries) == sorted(answer["event_ids"])
    first, second = (entries[event_id] for event_id in answer["event_ids"])
    assert (first["event_type"], second["event_type"]) == ("productView", "siteSearch")
    for entry in (first, second):
        assert entry["source"] == "browser"
        assert entry["topic"] == "custom"
        assert entry["outcome"] == "applied"
        assert entry["headers"]["x-visitor-id"] == shopper.visitor_id
        assert entry["headers"]["x-session-id"] == shopper.session_id
        assert entry["headers"]["x-page-url"] == "https://shop.example/products/mug"
        assert entry["headers"]["user-agent"] == BROWSER_AGENT


def test_a_batch_sent_as_json_is_accepted_too(store: StoreClient, shopper: Shopper) -> None:
    body = orjson.dumps(shopper.batch(("productView", PRODUCT)))

    response = shopper.post(body, content_type="application/json")

    assert response.status_code == 200, response.text
    assert len(response.json()["event_ids"]) == 1


def test_a_body_that_is_not_json_by_content_type_is_refused_with_415_and_logged(
    store: StoreClient, shopper: Shopper
) -> None:
    response = shopper.post(b"v=abc", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    [entry] = log_of(store)
    assert (entry["outcome"], entry["http_status"], entry["source"]) == ("rejected", 415, "browser")


def test_a_preflight_from_any_page_is_allowed_for_a_store_without_a_domain(
    store: StoreClient, shopper: Shopper
) -> None:
    response = shopper.http.options(
        f"/collect/{store.store_id}",
        headers={
            "origin": "https://shop.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"].lower() == "content-type"
    assert int(response.headers["access-control-max-age"]) > 0


def test_answers_and_errors_carry_cors_headers_so_the_page_can_read_them(
    store: StoreClient, shopper: Shopper
) -> None:
    accepted = shopper.send(("productView", PRODUCT))
    refused = shopper.post(b"{not json")

    assert accepted.headers["access-control-allow-origin"] == "*"
    assert refused.status_code == 400
    assert refused.headers["access-control-allow-origin"] == "*"


@pytest.fixture
def store_with_domain(server: LiveServer, engine: Engine) -> StoreClient:
    created, key = create_store(engine, name="Domain store", domain="https://www.shop.example/")
    return StoreClient(server, created.id, key)


@pytest.mark.parametrize(
    "origin", ["https://shop.example", "https://www.shop.example", "http://eu.shop.example:8080"]
)
def test_a_store_with_a_domain_accepts_its_own_pages_and_answers_with_their_origin(
    store_with_domain: StoreClient, origin: str
) -> None:
    shopper = Shopper(store_with_domain, origin=origin)

    response = shopper.send(("productView", PRODUCT))
    preflight = shopper.http.options(
        f"/collect/{store_with_domain.store_id}",
        headers={"origin": origin, "access-control-request-method": "POST"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["vary"] == "Origin"
    assert preflight.headers["access-control-allow-origin"] == origin


def test_a_store_with_a_domain_refuses_other_sites_pages_with_403_and_logs_it(
    store_with_domain: StoreClient,
) -> None:
    shopper = Shopper(store_with_domain, origin="https://notshop.example")

    response = shopper.send(("productView", PRODUCT))
    preflight = shopper.http.options(
        f"/collect/{store_with_domain.store_id}",
        headers={"origin": "https://notshop.example", "access-control-request-method": "POST"},
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in preflight.headers
    [entry] = log_of(store_with_domain)
    assert (entry["outcome"], entry["http_status"]) == ("rejected", 403)
    assert entry["headers"]["origin"] == "https://notshop.example"


@pytest.mark.parametrize(
    "event_type",
    [
        "orders/create",
        "orders/updated",
        "orders/delete",
        "products/create",
        "products/update",
        "products/delete",
        "customers/create",
        "customers/delete",
        "newsletter/unsubscribe",
    ],
)
def test_a_server_only_type_from_a_browser_is_refused_and_logged(
    store: StoreClient, shopper: Shopper, event_type: str
) -> None:
    data = {"id": "1001", "email": "ada@example.com", "created_at": "2026-11-01T10:00:00Z"}

    response = shopper.send((event_type, data))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "server_only_type"
    assert error["pointer"] == "/events/0/type"
    assert event_type in error["reason"]
    [entry] = log_of(store)
    assert (entry["outcome"], entry["http_status"]) == ("rejected", 400)
    assert entry["event_type"] == event_type
    assert entry["pointer"] == "/events/0/type"
    assert entry["body"]["data"] == data
    assert entry["headers"]["x-visitor-id"] == shopper.visitor_id
    # and nothing was created
    assert store.get("/api/v1/orders/1001").status_code == 404
    assert store.get("/api/v1/products/1001").status_code == 404
    assert store.get("/api/v1/customers", email="ada@example.com").json()["items"] == []


def test_a_refused_event_does_not_cost_the_other_events_of_its_batch(
    store: StoreClient, shopper: Shopper
) -> None:
    response = shopper.send(
        ("productView", PRODUCT),
        ("orders/create", {"id": "1"}),
        ("siteSearch", {"search_keyword": "mug"}),
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert len(answer["event_ids"]) == 2
    assert [(r["code"], r["pointer"]) for r in answer["refused"]] == [
        ("server_only_type", "/events/1/type")
    ]
    store.wait_applied()
    logged = sorted((e["event_type"], e["outcome"]) for e in log_of(store))
    assert logged == [
        ("orders/create", "rejected"),
        ("productView", "applied"),
        ("siteSearch", "applied"),
    ]


@pytest.mark.parametrize(
    ("case", "body", "pointer"),
    [
        ("not JSON", b"{v:", ""),
        ("an array", b"[1]", ""),
        ("no visitor", {"events": [{"type": "productView", "data": {}}]}, "/v"),
        ("a bad visitor id", {"v": "x y", "events": [{"type": "a", "data": {}}]}, "/v"),
        ("no events", {"v": "a" * 32, "events": []}, "/events"),
        ("an event without a type", {"v": "a" * 32, "events": [{"data": {}}]}, "/events/0/type"),
        (
            "data not an object",
            {"v": "a" * 32, "events": [{"type": "x", "data": [1]}]},
            "/events/0/data",
        ),
    ],
)
def test_a_malformed_batch_is_refused_whole_with_a_pointer_and_logged(
    store: StoreClient, shopper: Shopper, case: str, body: Any, pointer: str
) -> None:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)

    response = shopper.post(raw)

    assert response.status_code == 400, case
    assert response.json()["error"]["pointer"] == pointer
    [entry] = log_of(store)
    assert (entry["outcome"], entry["pointer"]) == ("rejected", pointer)


def test_an_event_whose_data_breaks_its_topics_contract_is_refused_with_its_pointer(
    store: StoreClient, shopper: Shopper
) -> None:
    response = shopper.send(
        ("carts/update", {"id": "c1", "line_items": [{"product_id": "1", "price": "cheap"}]}),
        ("identify", {"first_name": "Ada"}),
        ("newsletter/subscribe", {"email": "not an address"}),
    )

    assert response.status_code == 400
    assert response.json()["error"]["pointer"] == "/events/0/data/line_items/0/price"
    pointers = sorted(entry["pointer"] for entry in log_of(store))
    assert pointers == [
        "/events/0/data/line_items/0/price",
        "/events/1/data/email",
        "/events/2/data/email",
    ]


def test_a_body_over_the_collectors_limit_is_refused_with_413_and_logged(
    store: StoreClient, shopper: Shopper
) -> None:
    big = shopper.batch(("productView", {"productId": "1", "notes": "x" * 70_000}))

    response = shopper.post(orjson.dumps(big))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    [entry] = log_of(store)
    assert (entry["outcome"], entry["http_status"]) == ("rejected", 413)


def test_more_events_than_one_request_may_carry_are_refused(
    store: StoreClient, shopper: Shopper
) -> None:
    response = shopper.send(*[("productView", {"productId": str(n)}) for n in range(51)])

    assert response.status_code == 400
    assert response.json()["error"]["pointer"] == "/events"


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.1)",
    ],
)
def test_a_crawler_is_answered_204_and_nothing_it_sends_is_kept(
    server: LiveServer, store: StoreClient, shopper: Shopper, agent: str
) -> None:
    before = collector_count(server, "crawler")

    response = shopper.send(("productView", PRODUCT), user_agent=agent)

    assert response.status_code == 204
    assert response.content == b""
    assert log_of(store) == []
    assert collector_count(server, "crawler") == before + 1


def test_an_unknown_store_is_404(shopper: Shopper) -> None:
    response = shopper.http.post(
        "/collect/st_doesnotexist", content=orjson.dumps(shopper.batch(("productView", PRODUCT)))
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_event_times_keep_the_browsers_gaps_but_not_its_clock(
    store: StoreClient, shopper: Shopper
) -> None:
    # given a browser whose clock is a year behind
    year_ago = now_ms() - 365 * 24 * 3600 * 1000
    batch = {
        "v": shopper.visitor_id,
        "events": [
            {"type": "productView", "data": {"productId": "1"}, "at": year_ago},
            {"type": "productView", "data": {"productId": "2"}, "at": year_ago + 5000},
        ],
    }
    sent_at = datetime.now().astimezone()

    response = shopper.post(orjson.dumps(batch))

    # then the newest event is dated on arrival, the other 5 s before it
    assert response.status_code == 200
    store.wait_applied()
    times = {
        entry["event_id"]: datetime.fromisoformat(entry["event_time"]) for entry in log_of(store)
    }
    first, second = (times[event_id] for event_id in response.json()["event_ids"])
    assert second - first == timedelta(seconds=5)
    assert abs(second - sent_at) < timedelta(seconds=5)


def test_stamps_further_apart_than_any_time_span_are_dated_a_day_apart(
    store: StoreClient, shopper: Shopper
) -> None:
    # given two events stamped at the two ends of what a stamp may be
    batch = {
        "v": shopper.visitor_id,
        "events": [
            {"type": "productView", "data": {"productId": "1"}, "at": 0},
            {"type": "productView", "data": {"productId": "2"}, "at": 2**64 - 1},
        ],
    }

    # when the browser sends them
    response = shopper.post(orjson.dumps(batch))

    # then both are kept, the older dated no more than a day back (not a server error)
    assert response.status_code == 200, response.text
    store.wait_applied()
    times = {
        entry["event_id"]: datetime.fromisoformat(entry["event_time"]) for entry in log_of(store)
    }
    first, second = (times[event_id] for event_id in response.json()["event_ids"])
    assert second - first == timedelta(days=1)


def test_the_openapi_schema_lists_the_tracking_routes(store: StoreClient) -> None:
    paths = store.http.get("/openapi.json").json()["paths"]

    collect = paths["/collect/{store_id}"]["post"]["responses"]
    assert {"200", "204", "400", "403", "404", "413", "415", "429"} <= set(collect)
    assert "get" in paths["/track.js"]
    assert "get" in paths["/api/v1/customers/{customer_id}/activity"]


def test_a_price_with_a_huge_exponent_is_refused_with_its_pointer_not_a_server_error(
    store: StoreClient, shopper: Shopper
) -> None:
    line = {"product_id": "1", "quantity": 1, "price": "1e99999999"}

    response = shopper.send(("carts/update", {"id": "c1", "line_items": [line]}))

    assert response.status_code == 400, response.text
    assert response.json()["error"]["pointer"] == "/events/0/data/line_items/0/price"
