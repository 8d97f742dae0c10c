"""GET /api/v1/customers/{id}/activity: the shopper's timeline, newest first, page by page."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest

from tests.conftest import StoreClient
from tests.intake.logbook import unix_seconds
from tests.tracking.conftest import Shopper, kinds_and_types, timeline


def ok(response: Any) -> None:
    assert response.status_code == 200, response.text


def pages(store: StoreClient, customer_id: str, limit: int) -> list[list[dict[str, Any]]]:
    found, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = store.get(f"/api/v1/customers/{customer_id}/activity", **params)
        ok(response)
        found.append(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return found


def test_the_timeline_has_views_searches_custom_events_carts_and_orders_newest_first(
    store: StoreClient, shopper: Shopper
) -> None:
    # given what a store's server sent about a customer at known times
    ok(store.send("customers/create", {"id": 7, "email": "ada@example.com"}))
    ok(
        store.send(
            "orders/create",
            {
                "id": "o-1",
                "created_at": "2026-01-01T10:00:00Z",
                "customer": {"id": 7, "email": "ada@example.com"},
                "line_items": [{"product_id": "1", "quantity": 1, "price": "10.00"}],
                "total_price": "10.00",
            },
        )
    )
    ok(
        store.send(
            "carts/update",
            {"id": "cart-1", "customer": {"id": 7}, "updated_at": "2026-01-02T10:00:00Z"},
        )
    )
    ok(
        store.send(
            "review/created",
            {"customer_id": 7, "rating": 5},
            headers={"x-event-time": unix_seconds("2026-01-03T10:00:00+00:00")},
        )
    )
    # and what the shopper then did in the browser
    shopper.accepted(("identify", {"customer_id": "7"}))
    shopper.accepted(("siteSearch", {"search_keyword": "mug"}), ("productView", {"productId": "1"}))

    items = timeline(store, "7")

    assert kinds_and_types(items) == [
        ("activity", "productView"),
        ("activity", "siteSearch"),
        ("activity", "identify"),
        ("activity", "review/created"),
        ("cart", "cart"),
        ("order", "order"),
    ]
    assert items[3]["data"] == {"customer_id": 7, "rating": 5}
    assert items[4]["data"]["id"] == "cart-1"
    assert (items[5]["data"]["id"], items[5]["data"]["total_price"]) == ("o-1", "10.00")
    assert items[5]["occurred_at"] == "2026-01-01T10:00:00+00:00"
    times = [item["occurred_at"] for item in items]
    assert times == sorted(times, reverse=True)


def test_pages_follow_the_cursor_without_gaps_or_repeats_when_times_tie(
    store: StoreClient,
) -> None:
    # given entries of every kind at the very same moment
    moment = unix_seconds("2026-02-01T08:00:00+00:00")
    ok(store.send("customers/create", {"id": 7, "email": "ada@example.com"}))
    for number in range(5):
        ok(
            store.send(
                "loyalty/points",
                {"customer_id": 7, "points": number},
                headers={"x-event-time": moment},
            )
        )
    for number in range(3):
        ok(
            store.send(
                "orders/create",
                {"id": f"o-{number}", "created_at": "2026-02-01T08:00:00Z", "customer": {"id": 7}},
            )
        )
        ok(
            store.send(
                "carts/update",
                {"id": f"c-{number}", "customer": {"id": 7}, "updated_at": "2026-02-01T08:00:00Z"},
            )
        )

    everything = timeline(store, "7", limit=500)
    for limit in (1, 2, 4):
        found = pages(store, "7", limit)
        # then every page but the last is full, and together they are the whole list
        assert all(len(page) == limit for page in found[:-1])
        assert [item for page in found for item in page] == everything
    assert len(everything) == 11


def test_an_unknown_customer_is_404_and_a_cursor_not_given_out_is_400(
    store: StoreClient,
) -> None:
    ok(store.send("customers/create", {"id": 7, "email": "ada@example.com"}))
    store.wait_applied()

    unknown = store.get("/api/v1/customers/8/activity")
    bad_cursor = store.get("/api/v1/customers/7/activity", cursor="bm90IGEgY3Vyc29y")

    assert unknown.status_code == 404
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["error"]["code"] == "invalid_cursor"


def test_several_customers_with_one_email_must_be_named_by_their_id(store: StoreClient) -> None:
    ok(store.send("customers/create", {"id": 1, "email": "shared@example.com"}))
    ok(store.send("customers/create", {"id": 2, "email": "shared@example.com"}))
    store.wait_applied()

    response = store.get("/api/v1/customers/shared@example.com/activity")

    assert response.status_code == 409
    assert store.get("/api/v1/customers/2/activity").status_code == 200


@pytest.mark.usefixtures("no_event_failed_to_apply")
def test_another_stores_key_cannot_read_the_timeline(
    store: StoreClient, other_store: StoreClient, shopper: Shopper
) -> None:
    shopper.accepted(("identify", {"customer_id": "7"}), ("productView", {"productId": "1"}))
    assert len(timeline(store, "7")) == 2

    response = other_store.get("/api/v1/customers/7/activity")
    without_key = store.http.get("/api/v1/customers/7/activity")

    assert response.status_code == 404
    assert without_key.status_code == 401


@pytest.mark.parametrize(
    "values",
    [
        ["2026-11-01T10:00:00+00:00", "cart", 7],
        ["2026-11-01T10:00:00+00:00", "order", 7],
        ["2026-11-01T10:00:00+00:00", "activity", "x"],
        ["2026-11-01T10:00:00+00:00", "wish", "x"],
        ["yesterday", "order", "x"],
        ["2026-01-01T00:00:00", "order", "x"],
        ["2026-01-01", "order", "x"],
        ["9999-12-31T23:59:59-12:00", "order", "x"],
        ["0001-01-01T00:00:00+14:00", "order", "x"],
    ],
    ids=[
        "cart by number",
        "order by number",
        "activity by text",
        "no such kind",
        "no time",
        "no zone",
        "a date",
        "after 9999 in UTC",
        "before year 1 in UTC",
    ],
)
def test_a_timeline_cursor_winback_never_gave_is_400_naming_it(
    store: StoreClient, values: list[Any]
) -> None:
    ok(store.send("customers/create", {"id": 7, "email": "ada@example.com"}))
    store.wait_applied()
    cursor = base64.urlsafe_b64encode(orjson.dumps(values)).decode()

    response = store.get("/api/v1/customers/7/activity", cursor=cursor)

    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        "code": "invalid_cursor",
        "reason": "the cursor is not one this API gave out",
        "parameter": "cursor",
    }
