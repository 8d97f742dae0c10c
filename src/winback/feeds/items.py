"""The column rules of a Google Shopping feed (integration.md 2): one row to one product.

Decisions where the contract is silent:
- ``out of stock`` keeps the product known but not for sale (``product_exists``
  false); ``preorder`` and ``backorder`` are for sale; no availability is unknown.
- ``product_type`` holds categories separated by ``|``; a ``>`` path inside one
  is kept whole as the category's name (``Home > Kitchen > Knives``), with the
  spacing around ``>`` made uniform, so the same path always has the same name.
- A price is ``129.90 USD`` or a bare ``129.90``; a bare ``sale_price`` takes the
  price's currency. Thousands separators and decimal commas are refused, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from winback.catalog.payloads import ProductPayload
from winback.fields import MAX_ID_LENGTH
from winback.imports.cells import CellError, read_cell, split_list
from winback.imports.problems import RowError, row_errors
from winback.imports.table import TableRow

MANDATORY = ("id", "title", "link", "price")
AVAILABILITY = ("in stock", "out of stock", "preorder", "backorder")
_PRICE = re.compile(r"^(?P<amount>\d+(?:\.\d+)?)(?:\s*(?P<currency>[A-Za-z]{3}))?$")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
# Plain columns: feed column -> payload field.
PLAIN = {
    "id": "id",
    "title": "title",
    "description": "body_html",
    "brand": "vendor",
    "sku": "sku",
}
_ERROR_COLUMNS = {field: column for column, field in PLAIN.items()} | {
    "url": "link",
    "image": "image_link",
    "price": "price",
    "sale_price": "sale_price",
}


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One valid feed row: the product it describes and the parent it is a variant of."""

    line: int
    group_id: str | None
    product: ProductPayload
    barcode: str | None


def parse_price(text: str) -> tuple[Decimal, str | None]:
    """``129.90 USD`` -> (Decimal("129.90"), "USD"); ``129.90`` -> (Decimal("129.90"), None)."""
    match = _PRICE.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a price such as '129.90 USD' or '129.90'")
    currency = match["currency"]
    return Decimal(match["amount"]), currency.upper() if currency else None


def parse_availability(text: str) -> str:
    """One of the four feed values; ``in_stock`` and ``In Stock`` are the same."""
    normalized = " ".join(text.lower().replace("_", " ").split())
    if normalized not in AVAILABILITY:
        allowed = ", ".join(AVAILABILITY)
        raise ValueError(f"{text!r} is not one of {allowed}")
    return normalized


def parse_categories(text: str) -> list[str]:
    """``A > B|C`` -> ``["A > B", "C"]``: each ``|`` part is one category, its path kept whole."""
    paths: list[str] = []
    for part in text.split("|"):
        path = " > ".join(step.strip() for step in part.split(">") if step.strip())
        if path and path not in paths:
            paths.append(path)
    return paths


def parse_link(text: str) -> str:
    """An absolute http(s) URL."""
    if not _URL.match(text.strip()):
        raise ValueError(f"{text!r} is not an absolute http(s) URL")
    return text.strip()


def _group_id(text: str) -> str:
    if len(text) > MAX_ID_LENGTH:
        raise ValueError(f"an id must be at most {MAX_ID_LENGTH} characters")
    return text


PARSED: dict[str, Callable[[str], Any]] = {
    "link": parse_link,
    "image_link": parse_link,
    "price": parse_price,
    "sale_price": parse_price,
    "availability": parse_availability,
    "product_type": parse_categories,
    "additional_image_link": lambda text: split_list(text, ","),
    "item_group_id": _group_id,
}


def read_item(row: TableRow) -> FeedItem | list[RowError]:
    """The product a row describes, or every reason it cannot be used."""
    values = row.values
    errors = [
        RowError(row.line, column, f"{column} is mandatory and empty")
        for column in MANDATORY
        if not values.get(column)
    ]
    cells: dict[str, Any] = {}
    for column, parse in PARSED.items():
        if values.get(column):
            try:
                cells[column] = read_cell(values, column, parse)
            except CellError as error:
                errors.append(RowError(row.line, error.column, error.reason))
    if errors:
        return errors
    try:
        product = ProductPayload.model_validate(_product_data(values, cells))
    except CellError as error:
        return [RowError(row.line, error.column, error.reason)]
    except ValidationError as error:
        return row_errors(error, line=row.line, columns=_ERROR_COLUMNS)
    barcode = values.get("gtin") or None
    return FeedItem(row.line, cells.get("item_group_id"), product, barcode)


def _product_data(values: Mapping[str, str], cells: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {field: values[col] for col, field in PLAIN.items() if values.get(col)}
    data["url"] = cells["link"]
    data["price"], currency = cells["price"]
    if "sale_price" in cells:
        data["sale_price"], sale_currency = cells["sale_price"]
        if currency and sale_currency and sale_currency != currency:
            reason = f"the sale price is in {sale_currency} but the price is in {currency}"
            raise CellError("sale_price", reason)
        currency = currency or sale_currency
    data["currency"] = currency
    data["image"] = cells.get("image_link")
    data["images"] = cells.get("additional_image_link", [])
    data["categories"] = cells.get("product_type", [])
    if "availability" in cells:
        data["availability"] = cells["availability"]
        data["product_exists"] = cells["availability"] != "out of stock"
    return data
