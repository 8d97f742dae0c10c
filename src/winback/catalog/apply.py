"""Apply product events, and create the products that orders and carts mention."""

from __future__ import annotations

from winback.apply.context import APPLIED, IMPLIED_VERSION, STALE, EventContext, new_uid
from winback.catalog.model import (
    ACTIVE,
    DISABLED,
    SOURCE_LINE_ITEM,
    SOURCE_WEBHOOK,
    UNAVAILABLE,
    Product,
)
from winback.catalog.payloads import ProductDeletePayload, ProductPayload
from winback.orders.payloads import LineItem
from winback.storage.workspace import Workspace

_DATA_FIELDS = {"body_html", "options", "published_at"}


def _new_product(
    ws: Workspace, store_id: str, external_id: str, status: str, source: str, version: object
) -> Product:
    product = Product(
        uid=new_uid(),
        store_id=store_id,
        external_id=external_id,
        status=status,
        source=source,
        version_at=version,
    )  # type: ignore[arg-type]
    ws.add(product)
    return product


def write_product(product: Product, payload: ProductPayload, *, source: str) -> None:
    """Copy a full product record onto the stored product."""
    product.sku = payload.sku
    product.title = payload.title
    product.url = payload.url
    product.price = payload.price
    product.sale_price = payload.effective_sale_price
    product.currency = payload.currency.upper() if payload.currency else product.currency
    product.vendor = payload.vendor or payload.manufacturer
    product.categories = [c.model_dump(mode="json") for c in payload.categories]
    product.images = payload.image_urls
    product.variants = [
        v.model_dump(mode="json", exclude_none=True) for v in payload.variant_list()
    ]
    product.tags = list(payload.tags)
    data = payload.model_dump(mode="json", include=_DATA_FIELDS, exclude_none=True)
    data.update(payload.model_extra or {})
    product.data = data
    product.status = ACTIVE if payload.for_sale else UNAVAILABLE
    product.source = source
    product.created_at = payload.created_at or product.created_at
    product.updated_at = payload.updated_at


def apply_product(
    ws: Workspace, ctx: EventContext, payload: ProductPayload, source: str = SOURCE_WEBHOOK
) -> str:
    version = payload.updated_at or ctx.event_time
    product = ws.product(ctx.store_id, payload.id)
    if product is None:
        product = _new_product(ws, ctx.store_id, payload.id, ACTIVE, source, version)
    elif product.version_at > version:
        return STALE
    else:
        ws.touch(product)
    write_product(product, payload, source=source)
    product.version_at = version
    return APPLIED


def apply_product_delete(ws: Workspace, ctx: EventContext, payload: ProductDeletePayload) -> str:
    """Products are never removed: a deleted product stays known and becomes unavailable."""
    version = ctx.event_time
    product = ws.product(ctx.store_id, payload.id)
    if product is None:
        product = _new_product(ws, ctx.store_id, payload.id, UNAVAILABLE, SOURCE_WEBHOOK, version)
    elif product.version_at > version:
        return STALE
    else:
        ws.touch(product)
    product.status = UNAVAILABLE
    product.version_at = version
    product.data = {**product.data, "deleted_at": version.isoformat()}
    return APPLIED


def ensure_line_product(
    ws: Workspace, ctx: EventContext, line: LineItem, currency: str | None
) -> None:
    """A line whose product (by id, else sku) is unknown creates it, disabled."""
    if line.product_id:
        if ws.product(ctx.store_id, line.product_id) is not None:
            return
        external_id = line.product_id
    elif line.sku:
        if ws.product_by_sku(ctx.store_id, line.sku) is not None:
            return
        if ws.product(ctx.store_id, line.sku) is not None:
            return
        external_id = line.sku
    else:
        return
    product = _new_product(
        ws, ctx.store_id, external_id, DISABLED, SOURCE_LINE_ITEM, IMPLIED_VERSION
    )
    product.sku = line.sku
    product.title = line.display_name
    product.url = line.url
    product.price = line.price
    product.currency = currency
    product.vendor = line.vendor
    product.images = [line.image_url] if line.image_url else []
