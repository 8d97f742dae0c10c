"""Long values: an event is either refused at once (400) or applied; never a 200 that then fails.

A 200 promises the event will be applied. When a value is longer than winback
keeps, the sender must hear it (400 naming the field) rather than have the event
fail later, and SQLite and PostgreSQL must agree.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import StoreClient
from tests.intake.logbook import log_entries, log_entry

LONG = "x" * 300

LONG_VALUES = [
    # (case, event type, body, extra headers, pointer of the long value)
    (
        "customer first_name",
        "customers/create",
        {"id": 1, "email": "ada@example.com", "first_name": LONG},
        {},
        "/first_name",
    ),
    (
        "order name",
        "orders/create",
        {"id": 2, "created_at": "2026-11-01T00:00:00Z", "name": LONG},
        {},
        "/name",
    ),
    (
        "order financial_status code",
        "orders/create",
        {"id": 3, "created_at": "2026-11-01T00:00:00Z", "financial_status": {"code": LONG}},
        {},
        "/financial_status",
    ),
    (
        "line item sku",
        "orders/create",
        {"id": 4, "created_at": "2026-11-01T00:00:00Z", "line_items": [{"sku": LONG}]},
        {},
        "/line_items/0/sku",
    ),
    ("product sku", "products/create", {"id": 5, "sku": LONG}, {}, "/sku"),
    ("product vendor", "products/create", {"id": 6, "vendor": LONG}, {}, "/vendor"),
    ("cart visitor id header", "carts/create", {"id": "c7"}, {"x-visitor-id": LONG}, None),
    # PostgreSQL text cannot hold a NUL character; SQLite can.
    (
        "NUL in a name",
        "customers/create",
        {"id": 8, "email": "ada@example.com", "first_name": "Ada\u0000"},
        {},
        "/first_name",
    ),
    ("NUL in an id", "products/create", {"id": "p\u00009"}, {}, "/id"),
    ("NUL in a custom event", "page_viewed", {"note": {"deep": ["x\u0000"]}}, {}, "/note/deep/0"),
]


@pytest.mark.parametrize(
    ("event_type", "body", "headers", "pointer"),
    [case[1:] for case in LONG_VALUES],
    ids=[case[0] for case in LONG_VALUES],
)
def test_a_long_value_is_refused_at_once_or_applied(
    store: StoreClient,
    event_type: str,
    body: dict[str, Any],
    headers: dict[str, str],
    pointer: str | None,
) -> None:
    response = store.send(event_type, body, headers=headers or None)

    if response.status_code == 400:
        assert response.json()["error"].get("pointer") == pointer
        return
    assert response.status_code == 200
    store.wait_applied()
    assert log_entry(store, response.json()["event_id"])["outcome"] == "applied"


def test_a_long_custom_event_type_is_answered_without_a_server_error(
    store: StoreClient,
) -> None:
    # when a custom event's type is longer than 200 characters
    response = store.send("checkout_step_" + "x" * 250, {"step": 1})

    # then the sender gets a definite answer: stored (200) or refused (400), never a 5xx
    assert response.status_code in {200, 400}


OUT_OF_RANGE_TIMES = [
    # (case, event type, body, pointer of the time)
    (
        "order created before year 1 in UTC",
        "orders/create",
        {"id": "e1", "created_at": "0001-01-01T00:00:00+01:00", "email": "e@example.com"},
        "/created_at",
    ),
    (
        "order created after year 9999 in UTC",
        "orders/create",
        {"id": "e2", "created_at": "9999-12-31T23:59:59-01:00", "email": "e@example.com"},
        "/created_at",
    ),
    (
        "product updated after year 9999 in UTC",
        "products/update",
        {"id": "p3", "updated_at": "9999-12-31T23:59:59-01:00"},
        "/updated_at",
    ),
    (
        "cart line added before year 1 in UTC",
        "carts/create",
        {"id": "c4", "line_items": [{"sku": "MUG", "added_at": "0001-01-01T00:00:00+01:00"}]},
        "/line_items/0/added_at",
    ),
    (
        "customer created after year 9999 in UTC",
        "customers/create",
        {"id": 5, "email": "e@example.com", "created_at": "9999-12-31T23:59:59-01:00"},
        "/created_at",
    ),
]


@pytest.mark.parametrize(
    ("event_type", "body", "pointer"),
    [case[1:] for case in OUT_OF_RANGE_TIMES],
    ids=[case[0] for case in OUT_OF_RANGE_TIMES],
)
def test_a_time_that_leaves_the_calendar_in_utc_is_refused_naming_it(
    store: StoreClient, event_type: str, body: dict[str, Any], pointer: str
) -> None:
    # when a time is a real date where it was written, but not once moved to UTC
    response = store.send(event_type, body)

    # then the sender hears which time and why, instead of a server error
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["pointer"] == pointer
    assert "out of range" in error["reason"]


def test_the_first_and_last_moments_of_the_calendar_in_utc_are_kept(store: StoreClient) -> None:
    # when orders are placed at the very edges of the range winback keeps
    edges = (("first", "0001-01-01T00:00:00Z"), ("last", "9999-12-31T23:59:59Z"))
    for order_id, created_at in edges:
        response = store.send("orders/create", {"id": order_id, "created_at": created_at})
        assert response.status_code == 200, response.text
    store.wait_applied()

    # then both are applied and shown as sent
    assert store.read("/api/v1/orders/first")["created_at"] == "0001-01-01T00:00:00+00:00"
    assert store.read("/api/v1/orders/last")["created_at"] == "9999-12-31T23:59:59+00:00"


@pytest.mark.parametrize("seconds", ["-62135600000", "253402400000", "1e300", "nan"])
def test_an_event_time_header_outside_the_calendar_is_refused(
    store: StoreClient, seconds: str
) -> None:
    # when the back-filled event time is not a moment between years 1 and 9999
    response = store.send(
        "orders/create",
        {"id": "e9", "created_at": "2026-11-01T00:00:00Z"},
        headers={"x-event-time": seconds},
    )

    # then it is a 400 about the header, not a server error
    assert response.status_code == 400
    assert "x-event-time" in response.json()["error"]["reason"]


def test_a_visitor_header_that_cannot_be_a_visitor_is_ignored_not_refused(
    store: StoreClient,
) -> None:
    # (x-visitor-id is a header of winback's own: a sender's header is never a reason
    # to refuse its event)
    custom = {"email": "ada@example.com", "product_id": 55}

    response = store.send("product_viewed", custom, headers={"x-visitor-id": "v" * 65})

    assert response.status_code == 200
    store.wait_applied()
    [activity] = store.get("/api/v1/customers/ada@example.com/activity").json()["items"]
    assert (activity["type"], activity["visitor_id"]) == ("product_viewed", None)
    assert log_entries(store)[0]["headers"]["x-visitor-id"] == "v" * 65


@pytest.mark.parametrize(
    "local_part",
    ["A" * 64, "\u00e9" * 32, "a" * 62 + "\u00e9"],
    ids=["64 ASCII letters", "32 accented letters", "62 letters and an accented one"],
)
def test_an_email_with_64_bytes_before_the_at_sign_is_kept(
    store: StoreClient, local_part: str
) -> None:
    # when a customer's address has as long a part before the @-sign as RFC 5321 allows
    response = store.send("customers/create", {"id": 1, "email": f"{local_part}@example.com"})

    # then it is applied, and kept as every address is (lower-case)
    assert response.status_code == 200, response.text
    store.wait_applied()
    assert store.read("/api/v1/customers/1")["email"] == f"{local_part.lower()}@example.com"
