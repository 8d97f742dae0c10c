"""Apply product events, and create the products that orders and carts mention."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from winback.apply.context import IMPLIED_VERSION, EventContext, new_uid
from winback.catalog.description import ProductDescription, describe_product
from winback.catalog.model import (
    ACTIVE,
    DISABLED,
    SOURCE_FEED,
    SOURCE_LINE_ITEM,
    SOURCE_WEBHOOK,
    UNAVAILABLE,
    Product,
)
from winback.catalog.payloads import ProductDeletePayload, ProductPayload
from winback.fields import format_money
from winback.orders.payloads import LineItem
from winback.outcomes import APPLIED, STALE
from winback.shoppers.profile import make_stamp
from winback.storage.workspace import Workspace

LINE_STAMP_KEY = "_line_stamp"
DESCRIBED_KEY = "_described_at"
# Set on a product created by a line that named it only by its sku: it stands in for
# the store's product of that sku until that product is sent.
NAMED_BY_SKU_KEY = "_named_by_sku"


def _new_product(
    ws: Workspace, store_id: str, external_id: str, status: str, source: str, version: datetime
) -> Product:
    product = Product(
        uid=new_uid(),
        store_id=store_id,
        external_id=external_id,
        status=status,
        source=source,
        version_at=version,
    )
    ws.add(product)
    return product


def write_product(
    product: Product, description: ProductDescription, *, source: str, store_currency: str
) -> None:
    """Copy a full product description onto the stored product (not its status).

    A price given without its currency (a feed's bare ``129.90``) is in the one the
    product was last described in, else the store's: as an order's is. (Not in the
    currency of an order line that made it known: that says what one order was
    paid in, not what the store prices the product in.)"""
    described_in = product.currency if product.source != SOURCE_LINE_ITEM else None
    product.sku = description.sku
    product.title = description.title
    product.url = description.url
    product.price = description.price
    product.sale_price = description.sale_price
    product.currency = description.currency or described_in or store_currency
    product.vendor = description.vendor
    product.categories = description.categories
    product.images = description.images
    product.variants = description.variants
    product.tags = description.tags
    product.data = dict(description.data)
    product.source = source
    # A feed sync skips a product whose stored digest matches its feed content; any
    # other description (a webhook's) clears it, so the next feed rewrites it.
    product.content_digest = description.content_digest
    product.created_at = description.created_at or product.created_at
    product.updated_at = description.updated_at


def _described_at(product: Product) -> datetime | None:
    if product.source == SOURCE_LINE_ITEM:
        return None
    value = product.data.get(DESCRIBED_KEY)
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def apply_product(
    ws: Workspace,
    ctx: EventContext,
    payload: ProductPayload | ProductDescription,
    source: str | None = None,
) -> str:
    """Create or update a product. Its description and its status are versioned apart,
    so that an older update delivered after a deletion still describes the product
    without making it available again. (A feed hands over the description built from
    its payload ahead of time, see ``catalog.description``.)"""
    description = payload if isinstance(payload, ProductDescription) else describe_product(payload)
    # Feed rows arrive through the same dispatch as webhooks; the context says which it is.
    source = source or (SOURCE_FEED if ctx.source == SOURCE_FEED else SOURCE_WEBHOOK)
    version = description.updated_at or ctx.event_time
    product = ws.product(ctx.store_id, description.id)
    if product is None:
        product = _new_product(ws, ctx.store_id, description.id, ACTIVE, source, IMPLIED_VERSION)
    else:
        ws.touch(product)
    described_at = _described_at(product)
    if described_at is None or version >= described_at:
        write_product(product, description, source=source, store_currency=ctx.store_currency)
        product.data[DESCRIBED_KEY] = version.isoformat()
        _replace_sku_stand_in(ws, product)
    if product.version_at > version:
        return STALE
    product.status = ACTIVE if description.for_sale else UNAVAILABLE
    product.version_at = version
    return APPLIED


def _replace_sku_stand_in(ws: Workspace, product: Product) -> None:
    """The store's product takes the place of the one a line created under its sku.

    Sent first, the product would have been found by that line's sku and nothing
    created: removing the stand-in makes the outcome independent of the order.
    """
    if product.sku and product.sku != product.external_id:
        stand_in = ws.product(product.store_id, product.sku)
        if (
            stand_in is not None
            and stand_in.source == SOURCE_LINE_ITEM
            and stand_in.data.get(NAMED_BY_SKU_KEY)
            and stand_in.sku == product.sku
        ):
            ws.remove_product(stand_in)
    ws.index_product_sku(product)


def apply_product_delete(ws: Workspace, ctx: EventContext, payload: ProductDeletePayload) -> str:
    """Products are never removed: a deleted product stays known and becomes unavailable."""
    version = ctx.event_time
    product = ws.product(ctx.store_id, payload.id)
    if product is None:
        # Known only by its deletion: lines may still describe it, as for any
        # product known only from lines.
        product = _new_product(
            ws, ctx.store_id, payload.id, UNAVAILABLE, SOURCE_LINE_ITEM, IMPLIED_VERSION
        )
    elif product.version_at > version:
        return STALE
    else:
        ws.touch(product)
    product.status = UNAVAILABLE
    product.version_at = version
    return APPLIED


def ensure_line_product(
    ws: Workspace, ctx: EventContext, line: LineItem, currency: str | None, version: datetime
) -> None:
    """A line whose product (by id, else sku) is unknown creates it, disabled.

    While a product is known only from lines, the newest line describes it
    (whatever order the lines arrive in); a real product event replaces it all.
    """
    product = None
    if line.product_id:
        product = ws.product(ctx.store_id, line.product_id)
        external_id = line.product_id
    elif line.sku:
        product = ws.product_by_sku(ctx.store_id, line.sku) or ws.product(ctx.store_id, line.sku)
        external_id = line.sku
    else:
        return
    if product is None:
        product = _new_product(
            ws, ctx.store_id, external_id, DISABLED, SOURCE_LINE_ITEM, IMPLIED_VERSION
        )
        if not line.product_id:
            product.data[NAMED_BY_SKU_KEY] = True
    elif product.source != SOURCE_LINE_ITEM:
        return
    description = {
        "sku": line.sku,
        "title": line.product_title,
        "variant_title": line.variant_name,
        "url": line.url,
        "price": format_money(line.price),
        "currency": currency,
        "vendor": line.vendor,
        "images": line.image_urls,
        "variant_id": line.variant_id,
    }
    stamp = make_stamp(version, description)
    current = product.data.get(LINE_STAMP_KEY)
    if current is not None and current >= stamp:
        return  # a newer line described it, or this one already did (the same file again)
    shown = _line_columns(line, currency, external_id, description)
    if all(getattr(product, name) == value for name, value in shown.items()):
        # Most lines repeat what the product already shows; only the stamp moves.
        ws.touch_columns(product, "data")
    else:
        ws.touch(product)
        for name, value in shown.items():
            setattr(product, name, value)
    product.data = {**product.data, LINE_STAMP_KEY: list(stamp)}


def _line_columns(
    line: LineItem, currency: str | None, external_id: str, description: dict[str, Any]
) -> dict[str, Any]:
    """What a line says of its product, by the product's attribute names."""
    return {
        "sku": line.sku,
        "title": line.product_title,
        "url": line.url,
        "price": line.price,
        "currency": currency,
        "vendor": line.vendor,
        "images": description["images"],
        "variants": [_line_variant(external_id, description)],
    }


def _line_variant(product_id: str, description: dict[str, Any]) -> dict[str, Any]:
    """The one variant a product known from a line has: the line's variant, else one
    that repeats the product's own id, sku and price (as for a product sent without
    variants). A plain dict: this runs for every line of a history import."""
    variant = {
        "id": description["variant_id"] or product_id,
        "product_id": product_id,
        "sku": description["sku"],
        "title": description["variant_title"],
        "price": description["price"],
    }
    return {name: value for name, value in variant.items() if value is not None}
