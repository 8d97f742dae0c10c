"""The cart payload: the order's fields, plus the cart's own (integration.md 1, "Cart")."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from winback.fields import (
    PAYLOAD_CONFIG,
    Currency,
    Discount,
    Email,
    ExternalId,
    Money,
    OptionalTime,
    none_as_empty,
)
from winback.orders.payloads import (
    DiscountCode,
    LineItems,
    lines_sum_kept_exactly,
    lines_total,
)
from winback.shoppers.payloads import EmbeddedCustomer


class CartPayload(BaseModel):
    model_config = PAYLOAD_CONFIG

    id: ExternalId
    created_at: OptionalTime = None
    updated_at: OptionalTime = None
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
    # Checked even when left out: the total is then the lines' sum (see orders').
    total_price: Money | None = Field(default=None, validate_default=True)
    subtotal_price: Money | None = None

    _lines_total_kept_exactly = field_validator("total_price")(lines_sum_kept_exactly)

    @property
    def buyer_email(self) -> str | None:
        if self.email:
            return self.email
        return self.customer.email if self.customer else None

    def computed_total(self) -> Decimal | None:
        """``total_price``, or the sum of the lines when a sender leaves it out (none
        for a cart without lines)."""
        if self.total_price is not None or not self.line_items:
            return self.total_price
        return lines_total(self.line_items)
