"""A payload rebuilt from the reader's JSON is the payload the reader checked, field by field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from winback.imports.rebuilt import rebuilt_contact, rebuilt_order
from winback.orders.payloads import DiscountCode, LineItem, OrderPayload
from winback.shoppers.payloads import ContactPayload, EmbeddedCustomer

# Every field of each model, sent the untidy ways the checks accept: numbers for
# ids and amounts, a negative discount, times in other zones, a mixed-case address.
CUSTOMER: dict[str, Any] = {
    "email": " Ann.Lee@Example.COM ",
    "id": 42,
    "first_name": " Ann ",
    "last_name": "Lee",
    "title": "Dr",
    "gender": "f",
    "birthdate": "1990-05-01",
    "created_at": "2024-01-02T03:04:05+02:00",
    "updated_at": "2024-03-02T03:04:05.123456-05:00",
    "accepts_marketing": True,
    "tags": "vip, spring,vip",
    "append_tags": True,
    "groups": [{"id": 1, "name": "wholesale"}],
    "default_address": {"city": "Lyon", "country": "FR"},
    "rewards": {"points": 120},
    "verified_email": True,
    "guest": False,
    "pos_id": 7001,
    "sms_phone_number_e164": "+33612345678",
    "info": {"source": "store"},
}
LINE: dict[str, Any] = {
    "product_id": 1001,
    "variant_id": "1001-b",
    "sku": " SKU-1 ",
    "quantity": "2.50",
    "name": "Pot",
    "title": "Clay pot",
    "variant_title": "Blue",
    "vendor": "Potter",
    "price": 19.9,
    "url": "https://shop.example/p/1001",
    "image": {"src": "https://cdn.example/1001.jpg"},
    "images": ["https://cdn.example/1001-2.jpg"],
    "taxable": True,
    "tax_amount": "1.0000",
    "quantity_refunded": 1,
    "quantity_shipped": "1.5",
    "added_at": "2024-03-01T10:00:00+01:00",
    "gift_wrap": "yes",
}
DISCOUNT: dict[str, Any] = {"code": "SPRING", "amount": -5, "type": "fixed_amount"}
ORDER: dict[str, Any] = {
    "id": 5001,
    "created_at": "2024-03-01T10:00:00+01:00",
    "updated_at": "2024-03-02T10:00:00.5Z",
    "name": "#5001",
    "currency": "eur",
    "email": "Ann.Lee@Example.COM",
    "customer": CUSTOMER,
    "line_items": [LINE, {"sku": "SKU-2", "price": "3"}],
    "discount_codes": [DISCOUNT],
    "status": {"code": "complete", "name": "Complete"},
    "financial_status": "paid",
    "fulfillment_status": {"name": "shipped"},
    "state": "closed",
    "payment_method": "card",
    "note": "leave at the door",
    "test": False,
    "channel": "web",
    "taxes_included": True,
    "subtotal_price": "52.75",
    "total_line_items_price": 52.75,
    "total_discounts": "-5.00",
    "total_shipping": 4,
    "total_tax": "0.10",
    "total_price": "51.85",
    "total_weight": "1.2500",
    "marketplace": {"name": "elsewhere"},
}


def _exactly(value: Any) -> Any:
    """A payload all the way down, with each value's type and form (a time's zone),
    and which fields each model was given. (An amount crosses with at least two
    places, as the API shows it: "3" comes back as 3.00, the same amount.)"""
    if isinstance(value, BaseModel):
        fields = sorted(value.model_fields_set | set(value.model_extra or {}))
        return {name: _exactly(getattr(value, name)) for name in fields}
    if isinstance(value, list):
        return [_exactly(item) for item in value]
    if isinstance(value, dict):
        return {key: _exactly(item) for key, item in value.items()}
    if isinstance(value, Decimal):
        return ("Decimal", value.normalize())
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), value.tzinfo is UTC)
    return (type(value).__name__, repr(value))


def _crossed(payload: BaseModel) -> bytes:
    """What the reader process hands over (reader.py::_crossing)."""
    return payload.model_dump_json(exclude_unset=True).encode()


def test_the_sample_sets_every_field_of_every_model() -> None:
    # (A field added later gets compared below once it is added here.)
    samples: list[tuple[type[BaseModel], dict[str, Any]]] = [
        (OrderPayload, ORDER),
        (LineItem, LINE),
        (DiscountCode, DISCOUNT),
        (EmbeddedCustomer, CUSTOMER),
        (ContactPayload, CUSTOMER),
    ]
    for model, sample in samples:
        assert set(model.model_fields) <= set(sample), model.__name__


def test_a_rebuilt_order_is_the_checked_order_exactly() -> None:
    checked = OrderPayload.model_validate(ORDER)

    rebuilt = rebuilt_order(_crossed(checked))

    assert isinstance(rebuilt, OrderPayload)
    assert isinstance(rebuilt.line_items[0], LineItem)
    assert _exactly(rebuilt) == _exactly(checked)
    assert rebuilt.model_dump_json() == checked.model_dump_json()
    assert rebuilt.model_dump(mode="json") == checked.model_dump(mode="json")
    # The checks ran once, in the reader, and are not undone or run twice here
    assert rebuilt.total_discounts == checked.total_discounts == 5
    assert rebuilt.buyer_email == "ann.lee@example.com"
    assert rebuilt.customer is not None and rebuilt.customer.tags == ["vip", "spring"]


def test_an_order_that_left_fields_out_is_rebuilt_without_them() -> None:
    checked = OrderPayload.model_validate(
        {"id": "7", "created_at": "2024-03-01T10:00:00Z", "line_items": [{"sku": "A"}]}
    )

    rebuilt = rebuilt_order(_crossed(checked))

    assert _exactly(rebuilt) == _exactly(checked)
    assert rebuilt.model_fields_set == {"id", "created_at", "line_items"}
    assert rebuilt.total_price is None and rebuilt.computed_total() == 0


def test_a_rebuilt_contact_is_the_checked_contact_exactly() -> None:
    checked = ContactPayload.model_validate(CUSTOMER | {"loyalty": "gold"})

    rebuilt = rebuilt_contact(_crossed(checked))

    assert isinstance(rebuilt, ContactPayload)
    assert _exactly(rebuilt) == _exactly(checked)
    assert rebuilt.model_dump_json() == checked.model_dump_json()
