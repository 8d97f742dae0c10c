"""Payload models for the JSON an import's reader process made of payloads it had checked.

The reader validates every order and contact, then hands it over as JSON
(``reader.py``), and this process builds the payload again. With the payload
models themselves, every id, amount, quantity, time and address would go
through its check again, each a Python call: that was a seventh of an orders
import. These subclasses declare those fields with pydantic's own types, read
in its compiled core, and keep each field's serializer, so that a rebuilt
payload is equal to the one the reader checked and dumps the same. They are
subclasses, so the apply functions take them as the payloads they are.

A field added to a payload model later is inherited with its checks: still
right, only slower until it is declared here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from winback.fields import format_money
from winback.orders.payloads import DiscountCode, LineItem, OrderPayload
from winback.shoppers.payloads import ContactPayload, EmbeddedCustomer

# The checked forms as the reader's JSON holds them: an id as text, money as a
# decimal string, a time in UTC, an address normalized.
CheckedMoney = Annotated[Decimal, PlainSerializer(format_money)]


def _utc(value: datetime) -> datetime:
    # pydantic reads the "Z" of a checked time as a zone of its own: the checks gave
    # datetime's, and every time in a payload has it.
    return value.astimezone(UTC)


CheckedTime = Annotated[datetime, AfterValidator(_utc)]


class RebuiltLineItem(LineItem):
    product_id: str | None = None
    variant_id: str | None = None
    quantity: Decimal = Decimal(1)
    price: CheckedMoney | None = None
    tax_amount: CheckedMoney | None = None
    quantity_refunded: Decimal | None = None
    quantity_shipped: Decimal | None = None
    added_at: CheckedTime | None = None

    @field_validator("quantity")
    @classmethod
    def _quantity_not_negative(cls, value: Decimal) -> Decimal:
        return value  # checked by the reader


class RebuiltDiscountCode(DiscountCode):
    amount: CheckedMoney | None = None


class RebuiltCustomer(EmbeddedCustomer):
    email: str | None = None
    id: str | None = None
    created_at: CheckedTime | None = None
    updated_at: CheckedTime | None = None
    tags: list[str] = Field(default_factory=list)
    pos_id: str | None = None


def _total_as_read(value: Decimal | None, info: ValidationInfo) -> Decimal | None:
    return value


class RebuiltOrder(OrderPayload):
    id: str
    created_at: CheckedTime
    updated_at: CheckedTime | None = None
    email: str | None = None
    customer: RebuiltCustomer | None = None
    line_items: list[RebuiltLineItem] = Field(default_factory=list)  # type: ignore[assignment]
    discount_codes: list[RebuiltDiscountCode] = Field(default_factory=list)  # type: ignore[assignment]
    subtotal_price: CheckedMoney | None = None
    total_line_items_price: CheckedMoney | None = None
    total_discounts: CheckedMoney | None = None
    total_shipping: CheckedMoney | None = None
    total_tax: CheckedMoney | None = None
    total_price: CheckedMoney | None = None
    total_weight: Decimal | None = None

    # (checked by the reader: the webhook's check is replaced, not run twice)
    _lines_total_kept_exactly = field_validator("total_price")(_total_as_read)


class RebuiltContact(RebuiltCustomer, ContactPayload):
    """A contact: the customer's checked fields, and the contact's own rule."""

    @model_validator(mode="after")
    def _needs_identity(self) -> RebuiltContact:
        return self  # checked by the reader


def rebuilt_order(data: bytes) -> OrderPayload:
    return RebuiltOrder.model_validate_json(data)


def rebuilt_contact(data: bytes) -> ContactPayload:
    return RebuiltContact.model_validate_json(data)
