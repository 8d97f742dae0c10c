"""A body's updated_at far ahead of the server's clock: refused, since the record would
take every later update of it for stale; a zone's error (hours) is still taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import StoreClient
from tests.intake.logbook import log_entries


def _stamp(ahead: timedelta) -> str:
    return (datetime.now(UTC) + ahead).isoformat()


@pytest.mark.parametrize(
    ("event_type", "body"),
    [
        ("orders/update", {"id": "o1", "created_at": "2026-11-01T10:00:00Z"}),
        ("customers/update", {"id": "c1", "email": "ada@example.com"}),
        ("products/update", {"id": "p1", "title": "Mug"}),
        ("carts/update", {"id": "k1"}),
    ],
)
def test_an_updated_at_days_ahead_is_refused_and_the_record_left_as_it_was(
    store: StoreClient, event_type: str, body: dict[str, Any]
) -> None:
    now = {"updated_at": _stamp(timedelta(0))}
    assert store.send(event_type, body | now).status_code == 200
    store.wait_applied()
    kind = {"orders": "orders", "customers": "customers", "products": "products"}
    path = f"/api/v1/{kind.get(event_type.split('/')[0], 'carts')}/{body['id']}"
    before = store.get(path).json()

    response = store.send(event_type, body | {"updated_at": "9999-12-31T00:00:00Z"})

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["pointer"] == "/updated_at"
    assert "hours ahead of this server's clock" in error["reason"]
    assert log_entries(store)[0]["outcome"] == "rejected"
    # and a later, honest update still goes in
    later = store.send(event_type, body | {"updated_at": _stamp(timedelta(minutes=1))})
    assert later.status_code == 200
    store.wait_applied()
    assert store.get(path).json()["updated_at"] != before["updated_at"]


def test_an_updated_at_hours_ahead_a_zone_error_is_taken(store: StoreClient) -> None:
    # a store that writes its local time (UTC+14) with a Z
    body = {"id": "c1", "email": "ada@example.com", "updated_at": _stamp(timedelta(hours=14))}

    assert store.send("customers/update", body).status_code == 200
