"""Payload faults read as our sentences, whatever the validator's wording."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from winback.orders.payloads import OrderPayload
from winback.reasons import validation_reason
from winback.shoppers.payloads import CustomerPayload

ORDER = {"id": 1, "created_at": "2026-11-01T10:00:00Z"}


def reason_for(model: Any, body: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(body)
    return validation_reason(raised.value.errors()[0])


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (ORDER | {"line_items": ["mug"]}, "must be an object, got a string"),
        (ORDER | {"customer": "ada"}, "must be an object, got a string"),
        (ORDER | {"line_items": {"sku": "M"}}, "must be a list, got an object"),
        (ORDER | {"currency": "EURO"}, "must be a three-letter currency code (ISO 4217), like USD"),
        (ORDER | {"line_items": [{"sku": "s" * 256}]}, "must be at most 255 characters"),
        (
            ORDER | {"created_at": "2026-11-01T10:00:00"},
            "this time has no time zone; send a time in ISO 8601 with its time zone, like"
            " 2026-11-01T10:00:00Z or +02:00",
        ),
        (ORDER | {"test": "maybe"}, "must be true or false, got 'maybe'"),
        (
            ORDER | {"created_at": ""},
            "must be a time in ISO 8601 with its time zone, like 2026-11-01T10:00:00Z or"
            " +02:00, got an empty string",
        ),
        (
            ORDER | {"created_at": " "},
            "must be a time in ISO 8601 with its time zone, like 2026-11-01T10:00:00Z or"
            " +02:00, got a blank string",
        ),
        ({"created_at": "2026-11-01T10:00:00Z"}, "this field is required"),
    ],
)
def test_an_order_fault_reads_as_our_sentence(body: dict[str, Any], reason: str) -> None:
    assert reason_for(OrderPayload, body) == reason


def test_a_customer_fault_names_what_was_sent_in_json_words() -> None:
    reason = reason_for(CustomerPayload, {"email": "ada@example.com", "accepts_marketing": [1]})

    assert reason == "must be true or false, got an array"


def test_no_reason_speaks_of_python_types() -> None:
    bodies = [
        ORDER | {"line_items": [None]},
        ORDER | {"line_items": [7]},
        ORDER | {"customer": True},
        ORDER | {"created_at": [2026]},
    ]
    for body in bodies:
        reason = reason_for(OrderPayload, body)
        # (type names as whole words: our "integer" holds "int"; pydantic's phrases anywhere)
        for word in ("NoneType", "int", "bool", "dict"):
            assert word not in reason.split(), (body, reason)
        for phrase in ("instance of", "Input should"):
            assert phrase not in reason, (body, reason)


@pytest.mark.parametrize("blank", ["", "  "])
def test_an_optional_time_sent_empty_is_no_time(blank: str) -> None:
    order = OrderPayload.model_validate(ORDER | {"updated_at": blank})
    customer = CustomerPayload.model_validate(
        {"email": "ada@example.com", "created_at": blank, "updated_at": blank}
    )

    assert order.updated_at is None
    assert (customer.created_at, customer.updated_at) == (None, None)


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        (int, "1.5", "must be a whole number, got '1.5'"),
        (int, 1e20, "must be a whole number no larger than 2**63 - 1, got a number"),
        (float, "cheap", "must be a number, got 'cheap'"),
    ],
)
def test_text_of_the_wrong_form_is_shown_and_a_huge_whole_number_named(
    kind: type, value: object, reason: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(kind).validate_python(value)

    assert validation_reason(raised.value.errors()[0]) == reason
