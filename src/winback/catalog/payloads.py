"""The product payload of the contract (integration.md 1, "Product")."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, PrivateAttr, field_validator

from winback.fields import (
    PAYLOAD_CONFIG,
    Currency,
    ExternalId,
    Money,
    OptionalFlag,
    OptionalTime,
    Sku,
    Tags,
    image_urls,
    none_as_empty,
)


class Category(BaseModel):
    model_config = PAYLOAD_CONFIG

    code: str | None = None
    name: str


def _category(value: Any) -> Any:
    if isinstance(value, (str, int)):
        return {"code": None, "name": str(value)}
    if isinstance(value, dict) and "name" not in value and "code" in value:
        return {**value, "name": str(value["code"])}
    return value


class Variant(BaseModel):
    model_config = PAYLOAD_CONFIG

    id: ExternalId
    product_id: ExternalId | None = None
    sku: Sku | None = None
    title: str | None = None
    price: Money | None = None
    salePrice: Money | None = None  # noqa: N815 - the contract's spelling
    inventory_quantity: int | None = None
    image: Any = None
    barcode: str | None = None
    currency: Currency | None = None
    created_at: OptionalTime = None
    updated_at: OptionalTime = None


class ProductPayload(BaseModel):
    model_config = PAYLOAD_CONFIG

    id: ExternalId
    sku: Sku | None = None
    title: str | None = None
    body_html: str | None = None
    url: str | None = None
    vendor: str | None = None
    manufacturer: str | None = None
    created_at: OptionalTime = None
    updated_at: OptionalTime = None
    published_at: OptionalTime = None
    product_exists: OptionalFlag = None
    enabled: OptionalFlag = None
    price: Money | None = None
    sale_price: Money | None = None
    salePrice: Money | None = None  # noqa: N815 - the contract's spelling
    currency: Currency | None = None
    categories: Annotated[list[Category], BeforeValidator(none_as_empty)] = Field(
        default_factory=list
    )
    tags: Tags = Field(default_factory=list)
    image: Any = None
    images: Annotated[list[Any], BeforeValidator(none_as_empty)] = Field(default_factory=list)
    options: Annotated[list[dict[str, Any]], BeforeValidator(none_as_empty)] = Field(
        default_factory=list
    )
    variants: Annotated[list[Variant], BeforeValidator(none_as_empty)] = Field(default_factory=list)

    # Not part of the contract (no sender can set it): the feed sync's digest of the
    # feed content this payload was made from, stored with the product it describes.
    _content_digest: str | None = PrivateAttr(default=None)

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, list):
            return [_category(item) for item in value]
        return value

    @property
    def content_digest(self) -> str | None:
        return self._content_digest

    def with_content_digest(self, digest: str) -> ProductPayload:
        """Mark this payload as made from feed content with ``digest`` (returns it)."""
        self._content_digest = digest
        return self

    @property
    def for_sale(self) -> bool:
        """``product_exists`` (or ``enabled``, some senders' name) false means not for sale."""
        if self.product_exists is not None:
            return self.product_exists
        return self.enabled is not False

    @property
    def image_urls(self) -> list[str]:
        return image_urls(self.image, *self.images)

    @property
    def effective_sale_price(self) -> Any:
        return self.sale_price if self.sale_price is not None else self.salePrice

    def variant_list(self) -> list[Variant]:
        """The variants, or one that repeats the product's own id, sku and price."""
        if self.variants:
            return self.variants
        return [
            Variant(
                id=self.id,
                product_id=self.id,
                sku=self.sku,
                title=self.title,
                price=self.price,
                salePrice=self.effective_sale_price,
            )
        ]


class ProductDeletePayload(BaseModel):
    model_config = PAYLOAD_CONFIG

    id: ExternalId
