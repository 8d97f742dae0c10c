"""The read API's answers as /openapi.json describes them (views.py builds them).

Documentation only: the routes return the views' dicts, and the tests check that
real answers validate against these models. Customers, orders and carts also show
the other fields their sender gave, hence ``extra="allow"``.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

MoneyText = Annotated[
    str | None, Field(description="A decimal string, never a float", examples=["129.90"])
]
Time = Annotated[str | None, Field(description="ISO 8601, with the UTC offset")]
Cursor = Annotated[
    str | None, Field(description="Pass as ?cursor= for the next page; null on the last one")
]
# winback.outcomes.OUTCOMES, spelled out for the type checker (tests/api keep them one).
Outcome = Literal["pending", "applied", "duplicate", "stale", "rejected", "failed"]
_WITH_SENDER_FIELDS = ConfigDict(extra="allow")
_EXACTLY = ConfigDict(extra="forbid")


class CustomerView(BaseModel):
    model_config = _WITH_SENDER_FIELDS

    id: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    accepts_marketing: bool | None = Field(description="null: unknown")
    marketing_status: Literal["subscribed", "unsubscribed", "pending", "unknown"]
    suppressions: list[str] = Field(description="This address's entries on the list")
    tags: list[str]
    orders_count: int
    total_spent: MoneyText
    average_order_value: MoneyText
    first_order_at: Time
    last_order_at: Time
    created_at: Time
    updated_at: Time


class LineItemView(BaseModel):
    model_config = _WITH_SENDER_FIELDS

    product_id: str | None
    sku: str | None
    price: MoneyText
    quantity: str | None = Field(default=None, description="A decimal string", examples=["1"])
    name: str | None = None


class DiscountCodeView(BaseModel):
    model_config = _WITH_SENDER_FIELDS

    code: str
    amount: MoneyText = None
    type: str | None = None


class OrderView(BaseModel):
    """The contract's fields the order carried are shown as well (``fulfillment_status``,
    ``shipping_lines``...), and any the sender added."""

    model_config = _WITH_SENDER_FIELDS

    id: str
    name: str | None
    customer_id: str | None
    email: str | None = Field(description="The order's own, else its buyer's as it is now")
    status: str | None
    financial_status: str | None
    currency: str | None
    subtotal_price: MoneyText
    total_discounts: MoneyText
    total_tax: MoneyText
    total_shipping: MoneyText
    total_price: MoneyText
    test: bool
    discount_codes: list[DiscountCodeView]
    line_items: list[LineItemView]
    created_at: Time
    updated_at: Time
    fulfillment_status: str | None = None
    state: str | None = None
    payment_method: str | None = None
    note: str | None = None
    channel: str | None = None
    shipping_lines: list[Any] | None = None
    tax_lines: list[Any] | None = None
    taxes_included: bool | None = None
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    total_line_items_price: MoneyText = None
    total_weight: str | None = Field(default=None, description="A decimal string")


class ProductView(BaseModel):
    model_config = _EXACTLY

    id: str
    status: Literal["active", "unavailable", "disabled"]
    title: str | None
    sku: str | None
    url: str | None
    price: MoneyText
    sale_price: MoneyText
    currency: str | None
    # ``in stock``, ``out of stock``, ``preorder`` or ``backorder``, as last said
    availability: str | None
    vendor: str | None
    categories: list[Any]
    images: list[Any]
    variants: list[dict[str, Any]]
    tags: list[str]
    created_at: Time
    updated_at: Time


class CartView(BaseModel):
    """Also the cart's other fields (``cart_token``, ``discount_codes``...) when it had them."""

    model_config = _WITH_SENDER_FIELDS

    id: str
    status: Literal["open", "converted"]
    customer_id: str | None
    email: str | None
    currency: str | None
    total_price: MoneyText
    abandoned_checkout_url: str | None
    line_items: list[LineItemView]
    created_at: Time
    updated_at: Time
    cart_token: str | None = None
    accepts_marketing: bool | None = None
    discount_codes: list[DiscountCodeView] | None = None
    total_discounts: MoneyText = None
    subtotal_price: MoneyText = None


class SuppressionView(BaseModel):
    model_config = _EXACTLY

    email: str
    type: str
    created_at: str
    reason: str | None


class EventView(BaseModel):
    model_config = _EXACTLY

    event_id: int
    source: str
    event_type: str = Field(description="As sent")
    topic: str = Field(description="The canonical type; 'custom' for any other")
    received_at: Time
    event_time: Time
    outcome: Outcome
    http_status: int
    reason: str | None
    pointer: str | None
    headers: dict[str, Any]
    body: Any = Field(
        default=None, description="Rejected events only: the body as sent (JSON, else text)"
    )
    redacted_at: Time | None = Field(
        default=None,
        description="Rejected events only: when the erasure of a person it named emptied its body",
    )


class TimelineEntryView(BaseModel):
    model_config = _EXACTLY

    kind: Literal["activity", "cart", "order"]
    occurred_at: Time
    type: str
    visitor_id: str | None = None
    data: dict[str, Any] = Field(description="The activity's properties, or the cart or order")


Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """One page of a list: its items, and the cursor of the next page (None: the last)."""

    model_config = _EXACTLY

    items: list[Item]
    next_cursor: Cursor


# Subclasses rather than aliases: the OpenAPI document names each page after its class.
class CustomerPage(Page[CustomerView]):
    pass


class OrderPage(Page[OrderView]):
    pass


class SuppressionPage(Page[SuppressionView]):
    pass


class EventPage(Page[EventView]):
    pass


class ActivityPage(BaseModel):
    model_config = _EXACTLY

    customer_id: str | None
    email: str | None
    items: list[TimelineEntryView]
    next_cursor: Cursor
