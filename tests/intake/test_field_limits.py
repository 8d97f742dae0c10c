"""Long values: an event is either refused at once (400) or applied; never a 200 that then fails.

A 200 promises the event will be applied. When a value is longer than winback
keeps, the sender must hear it (400 naming the field) rather than have the event
fail later, and SQLite and PostgreSQL must agree.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import StoreClient
from tests.intake.logbook import log_entry

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
):
    response = store.send(event_type, body, headers=headers or None)

    if response.status_code == 400:
        assert response.json()["error"].get("pointer") == pointer
        return
    assert response.status_code == 200
    store.wait_applied()
    assert log_entry(store, response.json()["event_id"])["outcome"] == "applied"


def test_a_long_custom_event_type_is_answered_without_a_server_error(
    store: StoreClient,
):
    # when a custom event's type is longer than 200 characters
    response = store.send("checkout_step_" + "x" * 250, {"step": 1})

    # then the sender gets a definite answer: stored (200) or refused (400), never a 5xx
    assert response.status_code in {200, 400}
