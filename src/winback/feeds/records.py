"""What a feed parse hands the apply side: a product, its digest, and its payload on demand.

The digest is taken from the checked cells (not from the file's bytes), so the
same content has the same digest in CSV, TSV or XML; it is cheap, so the sync
can compare it with the stored one and build the ``ProductPayload`` (the costly
part: model validation) only for products that changed.

Rules for a product made of variant rows (one parent per ``item_group_id``):
the parent's id is the group id; its title, link, description, brand and
images come from the group's first row; its categories are those of all its
variants; its price, sale price and currency are those of the variant that
costs least (sale price if it has one), the "from" price; it is for sale when
any variant is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from winback.catalog.description import ProductDescription
from winback.catalog.model import ACTIVE, UNAVAILABLE
from winback.catalog.payloads import ProductPayload
from winback.feeds.items import ItemFields
from winback.imports.problems import RowError
from winback.storage.feeds import StoredProduct

# Part of every digest: raising it makes the next sync rewrite every product,
# which is what a change in how cells become products needs.
DIGEST_VERSION = 1
# From most to least available: a parent shows the best of its variants.
_AVAILABILITY_RANK = ("in stock", "preorder", "backorder", "out of stock")


class FeedProduct:
    """One product (with its variants) from the feed, the line it starts on, its digest.

    ``payload`` is built on first use and kept.
    """

    __slots__ = ("_payload", "digest", "group_id", "items", "line")

    def __init__(
        self,
        line: int,
        group_id: str | None,
        items: Sequence[ItemFields],
        digest: str | None = None,
    ):
        self.line = line
        self.group_id = group_id
        self.items = tuple(items)
        self.digest = _digest(group_id, self.items) if digest is None else digest
        self._payload: ProductPayload | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Products cross a pipe by the hundred thousand (see ``reader``): plain tuples
        # pickle several times faster than named tuples in a slotted object.
        plain = tuple(tuple(item) for item in self.items)
        return (_restored, (self.line, self.group_id, plain, self.digest))

    @property
    def id(self) -> str:
        return self.group_id if self.group_id is not None else self.items[0].id

    @property
    def for_sale(self) -> bool:
        """What ``payload.for_sale`` will say (unknown availability counts as for sale)."""
        return any(item.for_sale is not False for item in self.items)

    def unchanged_from(self, stored: StoredProduct) -> bool:
        """Whether the stored product already holds this content and status."""
        status = ACTIVE if self.for_sale else UNAVAILABLE
        return stored.content_digest == self.digest and stored.status == status

    @property
    def payload(self) -> ProductPayload:
        if self._payload is None:
            payload = ProductPayload.model_validate(self.payload_data())
            self._payload = payload.with_content_digest(self.digest)
        return self._payload

    def payload_data(self) -> dict[str, Any]:
        """The product as a contract payload (a plain dict, before validation)."""
        if self.group_id is None:
            return _product_data(self.items[0])
        return _parent_data(self.group_id, self.items)

    def __repr__(self) -> str:
        return f"FeedProduct(line={self.line}, id={self.id!r}, digest={self.digest[:12]!r})"


def _restored(
    line: int, group_id: str | None, items: tuple[tuple[Any, ...], ...], digest: str
) -> FeedProduct:
    return FeedProduct(line, group_id, [ItemFields._make(item) for item in items], digest)


@dataclass(frozen=True, slots=True)
class DescribedProduct:
    """A product the reader process described (see ``describe``): the description is all
    the applying side needs, so the rows it came from stay behind."""

    line: int
    description: ProductDescription

    def __reduce__(self) -> tuple[Any, ...]:
        return (DescribedProduct, (self.line, self.description))

    @property
    def id(self) -> str:
        return self.description.id

    def unchanged_from(self, stored: StoredProduct) -> bool:
        status = ACTIVE if self.description.for_sale else UNAVAILABLE
        return stored.content_digest == self.description.content_digest and stored.status == status


@dataclass(frozen=True, slots=True)
class UnchangedProduct:
    """A product the reader process found stored with this content and status: the
    applying side only notes that the feed still lists it."""

    line: int
    id: str

    def __reduce__(self) -> tuple[Any, ...]:
        return (UnchangedProduct, (self.line, self.id))


ReadProduct = FeedProduct | DescribedProduct | UnchangedProduct
"""What the applying side receives for a product."""
ReadRecord = ReadProduct | RowError
"""What it receives for a row: a product, or why a row cannot be used."""


def _digest(group_id: str | None, items: tuple[ItemFields, ...]) -> str:
    canonical = orjson.dumps([DIGEST_VERSION, group_id, *map(tuple, items)], default=str)
    return hashlib.sha256(canonical).hexdigest()


def _product_data(item: ItemFields) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": item.id,
        "title": item.title,
        "url": item.url,
        "price": item.price,
        "currency": item.currency,
        "image": item.image,
        "images": list(item.images),
        "categories": list(item.categories),
    }
    for name in ("body_html", "vendor", "sku", "sale_price"):
        value = getattr(item, name)
        if value is not None:
            data[name] = value
    if item.availability is not None:
        data["availability"] = item.availability
        data["product_exists"] = item.for_sale
    return data


def _variant_data(group_id: str, item: ItemFields) -> dict[str, Any]:
    data = {
        "id": item.id,
        "product_id": group_id,
        "sku": item.sku,
        "title": item.title,
        "price": item.price,
        "salePrice": item.sale_price,
        "image": item.image,
        "barcode": item.barcode,
        "currency": item.currency,
        "url": item.url,
        "availability": item.availability,
    }
    # Absent is what None means to the payload; fewer keys, less to validate.
    return {name: value for name, value in data.items() if value is not None}


def _paid_price(item: ItemFields) -> Decimal:
    return item.sale_price if item.sale_price is not None else item.price


def _parent_data(group_id: str, items: Sequence[ItemFields]) -> dict[str, Any]:
    data = _product_data(items[0])
    cheapest = min(items, key=_paid_price)
    categories = dict.fromkeys(path for item in items for path in item.categories)
    known = {item.availability for item in items} - {None}
    data.update(
        id=group_id,
        sku=None,
        price=cheapest.price,
        sale_price=cheapest.sale_price,
        currency=cheapest.currency,
        categories=list(categories),
        variants=[_variant_data(group_id, item) for item in items],
    )
    data.pop("availability", None)
    data.pop("product_exists", None)
    if known:
        data["availability"] = next(value for value in _AVAILABILITY_RANK if value in known)
        data["product_exists"] = any(item.for_sale is not False for item in items)
    return data
