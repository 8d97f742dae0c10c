"""What the tracking script posts, and the identify event's payload.

The request body (``{v, s, page, events}``) is checked here, at the edge; each
event's own data is checked by its topic's payload model, as a server's would be.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from winback.errors import InvalidPayload, json_pointer
from winback.reasons import validation_reason
from winback.shoppers.payloads import EmbeddedCustomer

# The script makes 32 hex digits; other clients may use any short token.
BrowserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
MAX_TYPE_LENGTH = 200
MAX_URL_LENGTH = 4096


class PageInfo(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: Annotated[str, StringConstraints(max_length=MAX_URL_LENGTH)] | None = None
    referrer: Annotated[str, StringConstraints(max_length=MAX_URL_LENGTH)] | None = None
    title: Annotated[str, StringConstraints(max_length=1000)] | None = None


class BrowserEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TYPE_LENGTH)
    ]
    data: dict[str, Any] | None = None
    # When the page pushed it, in milliseconds since the epoch, by the browser's clock.
    at: int | None = Field(default=None, ge=0)


class BrowserBatch(BaseModel):
    """One request of the tracking script: a visitor, its session, the page and its events."""

    model_config = ConfigDict(extra="ignore")

    v: BrowserId
    s: BrowserId | None = None
    page: PageInfo | None = None
    events: list[BrowserEvent] = Field(min_length=1)


def invalid(error: ValidationError, prefix: str = "") -> InvalidPayload:
    """The first problem pydantic found, as an InvalidPayload with its JSON pointer."""
    detail = error.errors(include_url=False)[0]
    location = tuple(part for part in detail["loc"] if not str(part).startswith("function-"))
    return InvalidPayload(validation_reason(detail), pointer=prefix + json_pointer(location))


def parse_batch(body: dict[str, Any]) -> BrowserBatch:
    try:
        return BrowserBatch.model_validate(body)
    except ValidationError as error:
        raise invalid(error) from None


def identify_payload(data: dict[str, Any]) -> EmbeddedCustomer:
    """Who an ``identify`` names: ``{email}``, a customer object, or ``{customer_id}``.

    setCustomerId sends ``customer_id``; it means the customer's ``id``.
    """
    fields = dict(data)
    if "customer_id" in fields and "id" not in fields:
        fields["id"] = fields.pop("customer_id")
    try:
        customer = EmbeddedCustomer.model_validate(fields)
    except ValidationError as error:
        raise invalid(error) from None
    if customer.id is None and customer.email is None:
        raise InvalidPayload("identify needs an email or a customer id", pointer="/email")
    return customer
