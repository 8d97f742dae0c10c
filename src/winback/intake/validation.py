"""Parse a decoded body into the payload model of its topic, or say exactly what is wrong."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from winback.activity.apply import activity_identity
from winback.carts.payloads import CartPayload
from winback.catalog.payloads import ProductDeletePayload, ProductPayload
from winback.errors import InvalidPayload, json_pointer
from winback.fields import version_ahead
from winback.intake.topics import Topic
from winback.orders.payloads import OrderDeletePayload, OrderPayload
from winback.reasons import validation_reason
from winback.shoppers.payloads import (
    CustomerDeletePayload,
    CustomerPayload,
    SubscribePayload,
    UnsubscribePayload,
)

PAYLOAD_MODELS: dict[Topic, type[BaseModel]] = {
    Topic.CUSTOMER_CREATE: CustomerPayload,
    Topic.CUSTOMER_UPDATE: CustomerPayload,
    Topic.CUSTOMER_DELETE: CustomerDeletePayload,
    Topic.ORDER_CREATE: OrderPayload,
    Topic.ORDER_UPDATE: OrderPayload,
    Topic.ORDER_DELETE: OrderDeletePayload,
    Topic.PRODUCT_CREATE: ProductPayload,
    Topic.PRODUCT_UPDATE: ProductPayload,
    Topic.PRODUCT_DELETE: ProductDeletePayload,
    Topic.CART_CREATE: CartPayload,
    Topic.CART_UPDATE: CartPayload,
    Topic.SUBSCRIBE: SubscribePayload,
    Topic.UNSUBSCRIBE: UnsubscribePayload,
}


def _first_error(error: ValidationError) -> InvalidPayload:
    detail = error.errors(include_url=False)[0]
    location = tuple(part for part in detail["loc"] if not str(part).startswith("function-"))
    message = validation_reason(detail)
    return InvalidPayload(message, pointer=json_pointer(location) if location else "")


def parse_payload(topic: Topic, body: dict[str, Any]) -> BaseModel | None:
    """The typed payload of ``body``; ``None`` for a custom event (any object is fine)."""
    model = PAYLOAD_MODELS.get(topic)
    if model is None:
        activity_identity(body)  # (a custom event: only what names its shopper is checked)
        return None
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise _first_error(error) from None


def check_version_time(payload: BaseModel | None, received_at: datetime) -> None:
    """Refuse a payload whose ``updated_at`` is more than a day ahead of ``received_at``."""
    updated_at = getattr(payload, "updated_at", None)
    problem = version_ahead(updated_at, received_at) if isinstance(updated_at, datetime) else None
    if problem is not None:
        raise InvalidPayload(f"updated_at {problem}", pointer="/updated_at")
