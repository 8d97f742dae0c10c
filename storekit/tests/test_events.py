"""Event bodies and entity keys: pure rules, no I/O."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest

from winback_storekit.events import encode_body, entity_key


def test_events_of_one_family_and_id_share_a_key_whatever_the_tense_or_id_type() -> None:
    assert entity_key("orders/create", {"id": 12}) == "orders:id:12"
    assert entity_key("orders/updated", {"id": "12"}) == "orders:id:12"
    assert entity_key("customers/update", {"id": 12}) == "customers:id:12"


def test_an_event_without_an_id_is_keyed_by_its_lowercased_email() -> None:
    key = entity_key("newsletter/unsubscribe", {"email": " Ann@Example.com "})

    assert key == "newsletter:email:ann@example.com"


def test_an_event_naming_no_entity_gets_a_key_of_its_own() -> None:
    first = entity_key("wishlist_shared", {"list": [1, 2]})
    second = entity_key("wishlist_shared", {"list": [1, 2]})

    assert first.startswith("wishlist_shared:event:")
    assert first != second


def test_a_body_carries_money_as_exact_strings_and_times_as_iso_8601() -> None:
    body = encode_body(
        {
            "total_price": Decimal("19.90"),
            "created_at": dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC),
            "birthdate": dt.date(1990, 2, 3),
            "token": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "name": "Zoë",
        }
    )

    assert json.loads(body) == {
        "total_price": "19.90",
        "created_at": "2024-05-01T10:00:00+00:00",
        "birthdate": "1990-02-03",
        "token": "12345678-1234-5678-1234-567812345678",
        "name": "Zoë",
    }


@pytest.mark.parametrize(
    "payload",
    [{"total": Decimal("NaN")}, {"total": float("inf")}, {"items": {1, 2}}],
)
def test_a_body_that_is_not_valid_json_is_refused(payload: dict[str, object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        encode_body(payload)


def test_a_payload_must_be_an_object() -> None:
    with pytest.raises(TypeError):
        encode_body([1, 2])  # type: ignore[arg-type]
