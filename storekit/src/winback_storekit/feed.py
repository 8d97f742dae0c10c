"""Writing the store's catalog as a Google Shopping product feed (CSV, TSV or RSS 2.0).

Writers stream: each product is written as it comes from the iterable, so a large
catalog never sits in memory. `publish_feed` writes to a temporary file and renames
it, so winback never fetches a half-written feed.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Literal
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

GOOGLE_NAMESPACE = "http://base.google.com/ns/1.0"
AVAILABILITY = frozenset({"in stock", "out of stock", "preorder", "backorder"})
COLUMNS = (
    "id",
    "item_group_id",
    "title",
    "description",
    "link",
    "image_link",
    "availability",
    "price",
    "sale_price",
    "brand",
    "sku",
    "product_type",
)
FeedFormat = Literal["csv", "tsv", "xml"]

_CURRENCY = re.compile(r"^[A-Z]{3}$")
# Characters XML 1.0 forbids even when escaped; a stray one makes the whole feed unreadable.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class FeedProduct:
    """One feed row: a product, or a variant of the product named by `item_group_id`.

    `product_type` lists categories; each is a name or a path written `A > B > C`.
    """

    id: str
    title: str
    link: str
    price: Decimal
    currency: str
    sale_price: Decimal | None = None
    image_link: str | None = None
    description: str | None = None
    sku: str | None = None
    availability: str = "in stock"
    brand: str | None = None
    product_type: Sequence[str] = ()
    item_group_id: str | None = None

    def __post_init__(self) -> None:
        for name in ("id", "title", "link"):
            if not str(getattr(self, name)).strip():
                raise ValueError(f"product {self.id!r}: {name} is required")
        if not _CURRENCY.match(self.currency):
            raise ValueError(f"product {self.id!r}: currency must be 3 capital letters")
        for name in ("price", "sale_price"):
            amount = getattr(self, name)
            if amount is not None and (not amount.is_finite() or amount < 0):
                raise ValueError(f"product {self.id!r}: {name} must be a non-negative amount")
        if self.availability not in AVAILABILITY:
            raise ValueError(f"product {self.id!r}: availability must be one of {AVAILABILITY}")
        if isinstance(self.product_type, str):
            raise TypeError(f"product {self.id!r}: product_type is a list of categories")
        if any("|" in category for category in self.product_type):
            raise ValueError(f"product {self.id!r}: a category cannot contain '|'")


def format_price(amount: Decimal, currency: str) -> str:
    """`129.90 USD`: the amount with at least two decimals, never rounded, then the currency."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        amount = amount.quantize(Decimal("0.01"))
    return f"{amount:f} {currency}"


def feed_fields(product: FeedProduct) -> dict[str, str]:
    """The product as feed column -> text, empty for what it lacks."""
    sale_price = product.sale_price
    return {
        "id": product.id,
        "item_group_id": product.item_group_id or "",
        "title": product.title,
        "description": product.description or "",
        "link": product.link,
        "image_link": product.image_link or "",
        "availability": product.availability,
        "price": format_price(product.price, product.currency),
        "sale_price": "" if sale_price is None else format_price(sale_price, product.currency),
        "brand": product.brand or "",
        "sku": product.sku or "",
        "product_type": "|".join(_category(name) for name in product.product_type),
    }


def _category(name: str) -> str:
    # Uniform spacing around '>' so one path is always written the same way.
    return " > ".join(step.strip() for step in name.split(">") if step.strip())


def write_csv_feed(
    products: Iterable[FeedProduct],
    out: IO[bytes],
    *,
    compress: bool = False,
    delimiter: Literal[",", "\t"] = ",",
) -> int:
    """Write a UTF-8 CSV (or TSV) feed with a header row to a binary file; return the row count."""
    count = 0
    with _text_writer(out, compress) as text:
        writer = csv.DictWriter(text, fieldnames=COLUMNS, delimiter=delimiter, lineterminator="\n")
        writer.writeheader()
        for product in products:
            writer.writerow(feed_fields(product))
            count += 1
    return count


def write_rss_feed(
    products: Iterable[FeedProduct],
    out: IO[bytes],
    *,
    title: str,
    link: str,
    description: str = "",
    compress: bool = False,
) -> int:
    """Write an RSS 2.0 feed with `g:` fields to a binary file; return the item count."""
    count = 0
    with _text_writer(out, compress) as text:
        xml = XMLGenerator(text, encoding="utf-8", short_empty_elements=True)
        xml.startDocument()
        xml.startElement("rss", AttributesImpl({"version": "2.0", "xmlns:g": GOOGLE_NAMESPACE}))
        xml.ignorableWhitespace("\n")
        xml.startElement("channel", AttributesImpl({}))
        for name, value in (("title", title), ("link", link), ("description", description)):
            _text_element(xml, name, value, indent=2)
        for product in products:
            _write_item(xml, product)
            count += 1
        xml.ignorableWhitespace("\n")
        xml.endElement("channel")
        xml.ignorableWhitespace("\n")
        xml.endElement("rss")
        xml.ignorableWhitespace("\n")
        xml.endDocument()
    return count


def _write_item(xml: XMLGenerator, product: FeedProduct) -> None:
    xml.ignorableWhitespace("\n  ")
    xml.startElement("item", AttributesImpl({}))
    for column, value in feed_fields(product).items():
        if column == "product_type":
            # One element per category: an element may hold only one.
            for category in filter(None, value.split("|")):
                _text_element(xml, "g:product_type", category, indent=4)
        elif value:
            _text_element(xml, f"g:{column}", value, indent=4)
    xml.ignorableWhitespace("\n  ")
    xml.endElement("item")


def _text_element(xml: XMLGenerator, name: str, text: str, indent: int) -> None:
    xml.ignorableWhitespace("\n" + " " * indent)
    xml.startElement(name, AttributesImpl({}))
    xml.characters(_XML_ILLEGAL.sub("", text))
    xml.endElement(name)


@contextlib.contextmanager
def _text_writer(out: IO[bytes], compress: bool) -> Iterator[io.TextIOWrapper]:
    """A UTF-8 text stream over `out`, gzipped if asked; `out` itself is left open."""
    archive = gzip.GzipFile(fileobj=out, mode="wb") if compress else None
    text = io.TextIOWrapper(archive or out, encoding="utf-8", newline="")
    try:
        yield text
        text.flush()
    finally:
        # Detach so closing the wrapper (now or when collected) leaves `out` open.
        text.detach()
        if archive is not None:
            archive.close()


def publish_feed(
    path: str | Path,
    products: Iterable[FeedProduct],
    *,
    feed_format: FeedFormat = "csv",
    title: str = "Product feed",
    link: str = "",
    compress: bool | None = None,
) -> int:
    """Write a feed file atomically where the store's web server publishes it.

    `compress` defaults to whether the file name ends in `.gz`. `title` and `link`
    describe the RSS channel. Returns how many products were written.
    """
    path = Path(path)
    compress = path.suffix == ".gz" if compress is None else compress
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            if feed_format == "xml":
                count = write_rss_feed(products, out, title=title, link=link, compress=compress)
            else:
                delimiter: Literal[",", "\t"] = "\t" if feed_format == "tsv" else ","
                count = write_csv_feed(products, out, compress=compress, delimiter=delimiter)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return count
