"""The column rules of a Google Shopping feed (integration.md 2): one row to one item.

Decisions where the contract is silent:
- ``out of stock`` keeps the product known but not for sale (``product_exists``
  false); ``preorder`` and ``backorder`` are for sale; no availability is unknown.
- ``product_type`` holds categories separated by ``|``; a ``>`` path inside one
  is kept whole as the category's name (``Home > Kitchen > Knives``), with the
  spacing around ``>`` made uniform, so the same path always has the same name.
- A price is ``129.90 USD`` or a bare ``129.90``; a bare ``sale_price`` takes the
  price's currency. Thousands separators and decimal commas are refused, never guessed,
  and so is a price a webhook could not send: 10**14 or more, or more than 4 decimal places.
- ``sku`` and ``brand`` longer than 255 characters are refused: they are kept in
  columns of that size, and one over-long cell must not fail the rows stored beside it.

A row is checked cell by cell with plain functions and kept as an ``ItemFields``
tuple; the typed ``ProductPayload`` is built from it only when the product is
applied (see ``records``), so an unchanged product costs no model validation.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from winback.fields import MAX_ID_LENGTH, check_money
from winback.imports.problems import RowError
from winback.imports.table import TableRow

MANDATORY = ("id", "title", "link", "price")
AVAILABILITY = ("in stock", "out of stock", "preorder", "backorder")
OUT_OF_STOCK = "out of stock"
MAX_TEXT_LENGTH = 255
_PRICE = re.compile(r"^(?P<amount>\d+(?:\.\d+)?)(?:\s*(?P<currency>[A-Za-z]{3}))?$")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


class ItemFields(NamedTuple):
    """What one valid row says about its product, every cell already checked and parsed."""

    id: str
    title: str
    url: str
    price: Decimal
    currency: str | None
    sale_price: Decimal | None
    availability: str | None
    body_html: str | None
    vendor: str | None
    sku: str | None
    image: str | None
    images: tuple[str, ...]
    categories: tuple[str, ...]
    barcode: str | None

    @property
    def for_sale(self) -> bool | None:
        """False when out of stock, true for the other values, unknown without one."""
        return None if self.availability is None else self.availability != OUT_OF_STOCK


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One valid feed row: its line, the parent it is a variant of, what it says."""

    line: int
    group_id: str | None
    fields: ItemFields


def parse_price(text: str) -> tuple[Decimal, str | None]:
    """``129.90 USD`` -> (Decimal("129.90"), "USD"); ``129.90`` -> (Decimal("129.90"), None)."""
    match = _PRICE.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a price such as '129.90 USD' or '129.90'")
    currency = match["currency"]
    # The same rule as a webhook's money: refused here, the row's error names its column.
    return check_money(Decimal(match["amount"])), currency.upper() if currency else None


@functools.lru_cache(maxsize=64)
def parse_availability(text: str) -> str:
    """One of the four feed values; ``in_stock`` and ``In Stock`` are the same."""
    normalized = " ".join(text.lower().replace("_", " ").split())
    if normalized not in AVAILABILITY:
        allowed = ", ".join(AVAILABILITY)
        raise ValueError(f"{text!r} is not one of {allowed}")
    return normalized


def _category_paths(text: str) -> tuple[str, ...]:
    paths = dict.fromkeys(_category_path(part) for part in text.split("|"))
    paths.pop("", None)
    return tuple(paths)


# A catalog has a few thousand categories, repeated on most of its rows.
@functools.lru_cache(maxsize=16384)
def _category_path(part: str) -> str:
    return " > ".join(step.strip() for step in part.split(">") if step.strip())


def parse_link(text: str) -> str:
    """An absolute http(s) URL."""
    link = text.strip()
    if not _URL.match(link):
        raise ValueError(f"{text!r} is not an absolute http(s) URL")
    return link


# Image URLs in one cell are separated by commas; a URL may hold a comma itself
# (".../2,3.jpg"), so a comma separates only where the next URL begins.
_NEXT_URL = re.compile(r",\s*(?=https?://)", re.IGNORECASE)


def _image_links(text: str) -> tuple[str, ...]:
    links = dict.fromkeys(parse_link(part) for part in _NEXT_URL.split(text) if part.strip())
    return tuple(links)


def _id(text: str) -> str:
    if len(text) > MAX_ID_LENGTH:
        raise ValueError(f"an id must be at most {MAX_ID_LENGTH} characters")
    return text


def _short_text(text: str) -> str:
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"the value must be at most {MAX_TEXT_LENGTH} characters")
    return text


# Checked in this order, so a row's errors come out in the same order every time.
PARSED: dict[str, Callable[[str], Any]] = {
    "id": _id,
    "link": parse_link,
    "image_link": parse_link,
    "price": parse_price,
    "sale_price": parse_price,
    "availability": parse_availability,
    "product_type": _category_paths,
    "additional_image_link": _image_links,
    "item_group_id": _id,
    "sku": _short_text,
    "brand": _short_text,
}


_PARSED_COLUMNS = tuple(PARSED.items())


def read_item(row: TableRow) -> FeedItem | list[RowError]:
    """The item a row describes, or every reason it cannot be used."""
    values = row.values
    errors = [
        RowError(row.line, column, f"{column} is mandatory and empty")
        for column in MANDATORY
        if not values.get(column)
    ]
    cells: dict[str, Any] = {}
    for column, parse in _PARSED_COLUMNS:
        text = values.get(column)
        if text:
            try:
                cells[column] = parse(text)
            except ValueError as error:
                errors.append(RowError(row.line, column, str(error)))
    if errors:
        return errors
    price, currency = cells["price"]
    sale_price = None
    if "sale_price" in cells:
        sale_price, sale_currency = cells["sale_price"]
        if currency and sale_currency and sale_currency != currency:
            reason = f"the sale price is in {sale_currency} but the price is in {currency}"
            return [RowError(row.line, "sale_price", reason)]
        currency = currency or sale_currency
    fields = ItemFields(
        id=cells["id"],
        title=values["title"],
        url=cells["link"],
        price=price,
        currency=currency,
        sale_price=sale_price,
        availability=cells.get("availability"),
        body_html=values.get("description") or None,
        vendor=cells.get("brand"),
        sku=cells.get("sku"),
        image=cells.get("image_link"),
        images=cells.get("additional_image_link", ()),
        categories=cells.get("product_type", ()),
        barcode=values.get("gtin") or None,
    )
    return FeedItem(row.line, cells.get("item_group_id"), fields)
