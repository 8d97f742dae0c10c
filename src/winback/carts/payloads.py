"""The cart payload: the order's fields, plus the cart's own (integration.md 1, "Cart")."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from winback.fields import (
    PAYLOAD_CONFIG,
    Currency,
    Discount,
    Email,
    ExternalId,
    Money,
    UTCTime,
    none_as_empty,
)
from winback.orders.payloads import DiscountCode, LineItems
from winback.shoppers.payloads import EmbeddedCustomer


class CartPayload(BaseModel):
    model_config = PAYLOAD_CONFIG

    id: ExternalId
    created_at: UTCTime | None = None
    updated_at: UTCTime | None = None
    currency: Currency | None = None
    email: Email | None = None
    customer: EmbeddedCustomer | None = None
    accepts_marketing: bool | None = None
    abandoned_checkout_url: str | None = None
    cart_token: str | None = None
    line_items: LineItems = Field(default_factory=list)
    discount_codes: Annotated[list[DiscountCode], BeforeValidator(none_as_empty)] = Field(
        default_factory=list
    )
    total_discounts: Discount | None = None
    total_price: Money | None = None
    subtotal_price: Money | None = None

    @property
    def buyer_email(self) -> str | None:
        if self.email:
            return self.email
        return self.customer.email if self.customer else None
