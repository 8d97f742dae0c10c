"""Forms of a field the contract's senders use, read as the one form winback keeps."""

from __future__ import annotations

import pytest

from tests.conftest import StoreClient


@pytest.mark.parametrize(
    "created_at",
    [
        "2026-11-01T10:00:00+02:00",
        "2026-11-01T10:00:00+02",
        "2026-11-01T10:00:00+0200",
        "2026-11-01 10:00:00 +0200",
    ],
    ids=["+02:00", "+02", "+0200", "Ruby's to_s"],
)
def test_a_time_zone_offset_in_any_iso_8601_form_is_read_alike(
    store: StoreClient, created_at: str
) -> None:
    order = {"id": "o1", "created_at": created_at, "total_price": "5.00", "email": "a@b.example"}
    response = store.send("orders/create", order)

    assert response.status_code == 200, response.text
    store.wait_applied()
    customer = store.read("/api/v1/customers", email="a@b.example")["items"][0]
    assert customer["first_order_at"].startswith("2026-11-01T08:00:00")


def test_a_phone_number_written_with_separators_is_kept_in_e164_form(store: StoreClient) -> None:
    body = {"id": 7, "email": "ada@example.com", "sms_phone_number_e164": "+44 (7700) 900-123"}
    assert store.send("customers/create", body).status_code == 200
    store.wait_applied()

    assert store.read("/api/v1/customers/7")["sms_phone_number_e164"] == "+447700900123"


def test_an_empty_birthdate_is_no_birthdate(store: StoreClient) -> None:
    body = {"id": 7, "email": "ada@example.com", "birthdate": ""}
    assert store.send("customers/create", body).status_code == 200
    store.wait_applied()

    assert store.read("/api/v1/customers/7").get("birthdate") is None
