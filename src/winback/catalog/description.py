"""A product's description: what a full product payload writes onto the stored product.

Building it is the costly part of applying a product (model validation and
dumping the variants and categories to JSON), and it depends on the payload
alone. So it is a value of its own: the apply function builds it from a
webhook's payload, and a feed's reader process builds the same thing ahead of
the applying process, which then only copies it (see ``feeds.describe``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from winback.catalog.payloads import ProductPayload
from winback.fields import sender_fields

# Payload fields kept in the product's free-form data, beside any unknown ones.
DATA_FIELDS = {"body_html", "options", "published_at"}


@dataclass(slots=True)
class ProductDescription:
    id: str
    for_sale: bool
    updated_at: datetime | None
    created_at: datetime | None
    sku: str | None
    title: str | None
    url: str | None
    price: Decimal | None
    sale_price: Decimal | None
    currency: str | None  # upper case; None keeps the stored one
    vendor: str | None
    categories: list[dict[str, Any]]
    images: list[str]
    variants: list[dict[str, Any]]
    tags: list[str]
    data: dict[str, Any]
    content_digest: str | None

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses a pipe by the hundred thousand: a plain tuple pickles fastest.
        return (ProductDescription, tuple(getattr(self, name) for name in _FIELDS))


_FIELDS = tuple(field.name for field in fields(ProductDescription))


def describe_product(payload: ProductPayload) -> ProductDescription:
    """What ``payload`` writes onto the product (its status aside)."""
    data = payload.model_dump(mode="json", include=DATA_FIELDS, exclude_none=True)
    data.update(sender_fields(payload.model_extra))
    return ProductDescription(
        id=payload.id,
        for_sale=payload.for_sale,
        updated_at=payload.updated_at,
        created_at=payload.created_at,
        sku=payload.sku,
        title=payload.title,
        url=payload.url,
        price=payload.price,
        sale_price=payload.effective_sale_price,
        currency=payload.currency.upper() if payload.currency else None,
        vendor=payload.vendor or payload.manufacturer,
        categories=payload.model_dump(mode="json", include={"categories"})["categories"],
        images=payload.image_urls,
        variants=_variants(payload),
        tags=list(payload.tags),
        data=data,
        content_digest=payload.content_digest,
    )


def _variants(payload: ProductPayload) -> list[dict[str, Any]]:
    # One dump for the whole list: a pydantic call per variant costs more than the variant.
    if payload.variants:
        dumped = payload.model_dump(mode="json", include={"variants"}, exclude_none=True)
        return list(dumped["variants"])
    return [payload.variant_list()[0].model_dump(mode="json", exclude_none=True)]
