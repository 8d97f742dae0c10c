"""Grouping variant rows (same ``item_group_id``) into one product per parent.

Memory bound: rows of a group are held until ``max_held_rows`` rows of other
groups have arrived since the group's last row (a sliding window, 10,000 rows
by default, a few tens of MB); then the group is handed on. Feeds usually list
a product's variants together, so groups are complete long before that. A row
that arrives after its group was handed on is reported as a row error rather
than producing a second, partial parent that would overwrite the first. To
notice that, the ids of handed-on groups are kept: about 100 bytes a group.

The parent's id is the ``item_group_id``. Its title, link, description, brand
and images come from the group's first row; its categories are those of all
its variants; its price, sale price and currency are those of the variant that costs
least (sale price if it has one), the "from" price; it is for sale when any variant is.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from decimal import Decimal

from winback.catalog.payloads import Category, ProductPayload, Variant
from winback.feeds.items import FeedItem
from winback.feeds.records import FeedProduct, feed_product
from winback.imports.problems import RowError

DEFAULT_MAX_HELD_ROWS = 10_000


class VariantGrouper:
    """Feed items in, products out: standalone ones at once, parents when their group ends."""

    def __init__(self, max_held_rows: int = DEFAULT_MAX_HELD_ROWS):
        self._max_held_rows = max_held_rows
        # Open groups, least recently extended first; each maps variant id -> row.
        self._open: OrderedDict[str, dict[str, FeedItem]] = OrderedDict()
        self._held = 0
        self._handed_on: set[str] = set()

    def add(self, item: FeedItem) -> Iterator[FeedProduct | RowError]:
        """Take one item; yield whatever products are now complete."""
        group_id = item.group_id
        if group_id is None:
            yield feed_product(item.line, item.product)
            return
        if group_id in self._handed_on:
            reason = (
                f"this variant of {group_id} comes more than {self._max_held_rows} rows after "
                "the others; list a product's variants together"
            )
            yield RowError(item.line, "item_group_id", reason)
            return
        rows = self._open.setdefault(group_id, {})
        if item.product.id in rows:
            yield RowError(item.line, "id", f"the id {item.product.id} appears twice in {group_id}")
            return
        rows[item.product.id] = item
        self._open.move_to_end(group_id)
        self._held += 1
        while self._held > self._max_held_rows:
            yield self._hand_on_oldest()

    def finish(self) -> Iterator[FeedProduct]:
        """The groups still open at the end of the feed."""
        while self._open:
            yield self._hand_on_oldest()

    def _hand_on_oldest(self) -> FeedProduct:
        group_id, rows = self._open.popitem(last=False)
        self._held -= len(rows)
        self._handed_on.add(group_id)
        items = list(rows.values())
        return feed_product(items[0].line, parent_product(group_id, items))


def _variant(group_id: str, item: FeedItem) -> Variant:
    product = item.product
    extra = product.model_extra or {}
    return Variant(
        id=product.id,
        product_id=group_id,
        sku=product.sku,
        title=product.title,
        price=product.price,
        salePrice=product.sale_price,
        image=product.image,
        barcode=item.barcode,
        currency=product.currency,
        url=product.url,
        availability=extra.get("availability"),
    )


# From most to least available: the parent shows the best of its variants.
_AVAILABILITY_RANK = ("in stock", "preorder", "backorder", "out of stock")


def _availability(items: list[FeedItem]) -> tuple[str | None, bool | None]:
    """The parent's availability and whether it is for sale (unknown counts as for sale)."""
    values = [(item.product.model_extra or {}).get("availability") for item in items]
    if all(value is None for value in values):
        return None, None
    best = next(value for value in _AVAILABILITY_RANK if value in values)
    return best, any(value != "out of stock" for value in values)


def _paid_price(item: FeedItem) -> Decimal:
    product = item.product
    paid = product.sale_price if product.sale_price is not None else product.price
    return paid if paid is not None else Decimal(0)


def parent_product(group_id: str, items: list[FeedItem]) -> ProductPayload:
    """One product for a group of variant rows (rules in the module docstring)."""
    first = items[0].product
    cheapest = min(items, key=_paid_price).product
    categories: list[Category] = []
    for item in items:
        categories.extend(c for c in item.product.categories if c not in categories)
    availability, for_sale = _availability(items)
    update = {
        "id": group_id,
        "sku": None,
        "price": cheapest.price,
        "sale_price": cheapest.sale_price,
        "currency": cheapest.currency,
        "categories": categories,
        "variants": [_variant(group_id, item) for item in items],
        "product_exists": for_sale,
        "availability": availability,
    }
    return first.model_copy(update=update)
