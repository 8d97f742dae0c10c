"""The order payload of the contract, and what a cart's shares with it (``Purchase``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
)

from winback.fields import (
    MAX_AMOUNT,
    MAX_PLACES,
    PAYLOAD_CONFIG,
    Currency,
    Discount,
    Email,
    ExternalId,
    FlagOrNull,
    Money,
    OptionalFlag,
    OptionalTime,
    Sku,
    UTCTime,
    check_places,
    decimal_places,
    image_urls,
    none_as_empty,
    to_decimal,
)
from winback.shoppers.payloads import EmbeddedCustomer


def _code_name(value: Any) -> Any:
    """``status`` and ``financial_status`` come as ``{code, name}`` or as a string."""
    if isinstance(value, dict):
        code = value.get("code")
        if code is None or (isinstance(code, str) and not code.strip()):
            code = value.get("name")  # (a code sent empty says nothing; the name does)
        return None if code is None else str(code)
    return value


def _quantity(value: Any) -> Decimal:
    # A line's quantity is stored with 4 places (order_lines.quantity), like money.
    quantity = check_places(to_decimal(value), "a quantity")
    # Kept in the line as text: "1e2" as 100, as a person writes it ("-0" as 0).
    return Decimal(format(quantity, "f")) + 0


CodeOrName = Annotated[str | None, BeforeValidator(_code_name)]
Quantity = Annotated[Decimal, BeforeValidator(_quantity)]
# Kept whole in the order's data, never in a column of fixed places.
Weight = Annotated[Decimal, BeforeValidator(to_decimal)]


class LineItem(BaseModel):
    model_config = PAYLOAD_CONFIG

    product_id: ExternalId | None = None
    variant_id: ExternalId | None = None
    sku: Sku | None = None
    quantity: Quantity = Decimal(1)
    name: str | None = None
    title: str | None = None
    variant_title: str | None = None
    vendor: str | None = None
    price: Money | None = None
    url: str | None = None
    image: Any = None
    images: list[Any] | None = None
    taxable: OptionalFlag = None
    tax_amount: Money | None = None
    quantity_refunded: Quantity | None = None
    quantity_shipped: Quantity | None = None
    added_at: OptionalTime = None

    @field_validator("quantity")
    @classmethod
    def _quantity_not_negative(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("quantity must not be negative")
        return value

    @property
    def display_name(self) -> str | None:
        return self.name or self.title

    @property
    def product_title(self) -> str | None:
        """The product's title: ``name`` is often the title and the variant together
        ("T-shirt - Red / L"), so ``title`` comes first here."""
        return self.title or self.name

    @property
    def variant_name(self) -> str | None:
        return self.variant_title or self.name or self.title

    @property
    def image_urls(self) -> list[str]:
        """Every image the line names (``image``, then ``images``), each once."""
        return image_urls(self.image, *(self.images or []))


def lines_total(lines: list[LineItem]) -> Decimal:
    """What the lines add up to: each price times its quantity."""
    return sum(((line.price or Decimal(0)) * line.quantity for line in lines), Decimal(0))


def lines_sum_kept_exactly(value: Decimal | None, info: ValidationInfo) -> Decimal | None:
    """An order's or a cart's ``total_price``, checked: without one the lines' sum is
    stored as the total, and 4-place prices times 4-place quantities can have 8
    places, which storage would round."""
    if value is not None or "line_items" not in info.data:
        return value
    places = decimal_places(lines_total(info.data["line_items"]))
    if places > MAX_PLACES:
        raise ValueError(
            "without a total the total is the sum of the lines (price times quantity), "
            f"which here has {places} decimal places; money has at most {MAX_PLACES}: "
            "send the total"
        )
    return value


def _lines_within_limit(lines: list[LineItem]) -> list[LineItem]:
    # Each price and quantity is under the limit, their products need not be: an
    # order's total falls back on this sum, and money storage holds less than MAX_AMOUNT.
    if abs(lines_total(lines)) >= MAX_AMOUNT:
        raise ValueError(
            f"the line items add up to {MAX_AMOUNT:,} or more (price times quantity); "
            f"money must be less than {MAX_AMOUNT:,}"
        )
    return lines


# The line items of an order or a cart.
LineItems = Annotated[
    list[LineItem], BeforeValidator(none_as_empty), AfterValidator(_lines_within_limit)
]


class DiscountCode(BaseModel):
    model_config = PAYLOAD_CONFIG

    code: str
    amount: Discount | None = None  # (negative from some senders: the same amount)
    type: str | None = None


class Purchase(BaseModel):
    """What an order and a cart both are: a buyer, lines, discounts and a total."""

    model_config = PAYLOAD_CONFIG

    id: ExternalId
    created_at: OptionalTime = None
    updated_at: OptionalTime = None
    currency: Currency | None = None
    email: Email | None = None
    customer: EmbeddedCustomer | None = None
    line_items: LineItems = Field(default_factory=list)
    discount_codes: Annotated[list[DiscountCode], BeforeValidator(none_as_empty)] = Field(
        default_factory=list
    )
    subtotal_price: Money | None = None
    total_discounts: Discount | None = None
    # Checked even when left out: the total is then the lines' sum, which must be
    # exact too (after line_items, whose sum it checks).
    total_price: Money | None = Field(default=None, validate_default=True)

    _lines_total_kept_exactly = field_validator("total_price")(lines_sum_kept_exactly)

    @property
    def buyer_email(self) -> str | None:
        if self.email:
            return self.email
        return self.customer.email if self.customer else None

    @property
    def buyers_own_email(self) -> str | None:
        """The buyer's own address: their customer object's, else the one the purchase
        gives. (A checkout address beside an account's own is the order's, not a
        name of the buyer: erasing it erases no one.)"""
        own = self.customer.email if self.customer else None
        return own or self.email

    @property
    def buyer_id(self) -> str | None:
        return self.customer.id if self.customer else None

    def currency_in(self, store_currency: str) -> str:
        """The purchase's currency; the store's when it says none."""
        return (self.currency or store_currency).upper()


class OrderPayload(Purchase):
    created_at: UTCTime
    name: str | None = None
    status: CodeOrName = None
    financial_status: CodeOrName = None
    fulfillment_status: CodeOrName = None
    state: str | None = None
    payment_method: str | None = None
    note: str | None = None
    test: FlagOrNull = False
    channel: str | None = None
    taxes_included: OptionalFlag = None
    total_line_items_price: Money | None = None
    total_shipping: Money | None = None
    total_tax: Money | None = None
    total_weight: Weight | None = None

    def computed_total(self) -> Decimal:
        """``total_price``, or the sum of the lines when a sender leaves it out."""
        if self.total_price is not None:
            return self.total_price
        return lines_total(self.line_items)


class OrderDeletePayload(BaseModel):
    model_config = PAYLOAD_CONFIG

    id: ExternalId
