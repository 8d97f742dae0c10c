"""The feed writer: its CSV, TSV and RSS output read back with the standard library."""

from __future__ import annotations

import csv
import gzip
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from winback_storekit import (
    FeedProduct,
    format_price,
    publish_feed,
    write_csv_feed,
    write_rss_feed,
)
from winback_storekit.feed import COLUMNS

G = "{http://base.google.com/ns/1.0}"

BOOT = FeedProduct(
    id="boot-42",
    title='Trail boot "Ridge", waterproof',
    link="https://shop.example/p/boot-42?ref=feed&x=1",
    price=Decimal("129.9"),
    currency="USD",
    sale_price=Decimal("99"),
    image_link="https://shop.example/i/boot-42.jpg",
    description="Leather upper,\nrubber sole & <b>lifetime</b> laces\x0b",
    sku="BT-42",
    availability="in stock",
    brand="Ridge & Co",
    product_type=["Apparel>Shoes > Boots", "Sale"],
    item_group_id="boot",
)
MUG = FeedProduct(
    id="mug-1",
    title="Mug",
    link="https://shop.example/p/mug-1",
    price=Decimal("1500"),
    currency="JPY",
    availability="out of stock",
)


def read_csv(data: bytes, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter))


def test_a_csv_feed_has_the_google_columns_and_reads_back_field_for_field() -> None:
    out = io.BytesIO()

    count = write_csv_feed([BOOT, MUG], out)

    assert count == 2
    rows = read_csv(out.getvalue())
    assert list(rows[0]) == list(COLUMNS)
    assert rows[0] == {
        "id": "boot-42",
        "item_group_id": "boot",
        "title": 'Trail boot "Ridge", waterproof',
        "description": "Leather upper,\nrubber sole & <b>lifetime</b> laces\x0b",
        "link": "https://shop.example/p/boot-42?ref=feed&x=1",
        "image_link": "https://shop.example/i/boot-42.jpg",
        "availability": "in stock",
        "price": "129.90 USD",
        "sale_price": "99.00 USD",
        "brand": "Ridge & Co",
        "sku": "BT-42",
        "product_type": "Apparel > Shoes > Boots|Sale",
    }
    assert rows[1]["price"] == "1500.00 JPY"
    assert (rows[1]["sale_price"], rows[1]["product_type"], rows[1]["brand"]) == ("", "", "")


def test_a_tsv_feed_uses_tabs_between_columns() -> None:
    out = io.BytesIO()

    write_csv_feed([MUG], out, delimiter="\t")

    assert out.getvalue().split(b"\n")[0] == "\t".join(COLUMNS).encode()
    assert read_csv(out.getvalue(), delimiter="\t")[0]["id"] == "mug-1"


def test_an_rss_feed_is_valid_xml_with_g_fields_for_every_item() -> None:
    out = io.BytesIO()

    count = write_rss_feed([BOOT, MUG], out, title="Ridge shop", link="https://shop.example")

    root = ET.fromstring(out.getvalue())
    assert count == 2
    assert (root.tag, root.get("version")) == ("rss", "2.0")
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Ridge shop"
    boot, mug = channel.findall("item")
    assert boot.findtext(f"{G}id") == "boot-42"
    assert boot.findtext(f"{G}title") == 'Trail boot "Ridge", waterproof'
    assert boot.findtext(f"{G}description") == "Leather upper,\nrubber sole & <b>lifetime</b> laces"
    assert boot.findtext(f"{G}link") == "https://shop.example/p/boot-42?ref=feed&x=1"
    assert boot.findtext(f"{G}price") == "129.90 USD"
    assert boot.findtext(f"{G}sale_price") == "99.00 USD"
    assert boot.findtext(f"{G}brand") == "Ridge & Co"
    assert boot.findtext(f"{G}item_group_id") == "boot"
    assert [e.text for e in boot.findall(f"{G}product_type")] == ["Apparel > Shoes > Boots", "Sale"]
    assert mug.findtext(f"{G}availability") == "out of stock"
    assert mug.find(f"{G}sale_price") is None
    assert mug.find(f"{G}product_type") is None


def test_gzipped_feeds_decompress_to_the_same_bytes_as_plain_ones() -> None:
    plain_csv, gzipped_csv = io.BytesIO(), io.BytesIO()
    plain_xml, gzipped_xml = io.BytesIO(), io.BytesIO()

    write_csv_feed([BOOT, MUG], plain_csv)
    write_csv_feed([BOOT, MUG], gzipped_csv, compress=True)
    write_rss_feed([BOOT, MUG], plain_xml, title="t", link="l")
    write_rss_feed([BOOT, MUG], gzipped_xml, title="t", link="l", compress=True)

    assert gzip.decompress(gzipped_csv.getvalue()) == plain_csv.getvalue()
    assert gzip.decompress(gzipped_xml.getvalue()) == plain_xml.getvalue()
    assert read_csv(gzip.decompress(gzipped_csv.getvalue()))[1]["id"] == "mug-1"


def test_writing_leaves_the_callers_file_open_and_consumes_products_lazily() -> None:
    out = io.BytesIO()
    produced: list[str] = []

    def products() -> Iterator[FeedProduct]:
        for n in range(3):
            produced.append(f"p{n}")
            yield FeedProduct(f"p{n}", "T", "https://shop.example", Decimal(1), "EUR")

    write_csv_feed(products(), out)

    assert produced == ["p0", "p1", "p2"]
    assert not out.closed
    out.write(b"still open")


def test_publish_feed_replaces_the_file_atomically_and_gzips_by_suffix(tmp_path: Path) -> None:
    target = tmp_path / "feed.xml.gz"
    target.write_bytes(b"yesterday's feed")

    count = publish_feed(target, [BOOT], feed_format="xml", title="Ridge shop")

    assert count == 1
    root = ET.fromstring(gzip.decompress(target.read_bytes()))
    assert root.findtext(f"channel/item/{G}id") == "boot-42"
    assert [p.name for p in tmp_path.iterdir()] == ["feed.xml.gz"]


def test_a_failing_catalog_leaves_the_published_feed_untouched(tmp_path: Path) -> None:
    target = tmp_path / "feed.csv"
    target.write_bytes(b"yesterday's feed")

    def broken_catalog() -> Iterator[FeedProduct]:
        yield MUG
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        publish_feed(target, broken_catalog())

    assert target.read_bytes() == b"yesterday's feed"
    assert [p.name for p in tmp_path.iterdir()] == ["feed.csv"]


def test_prices_keep_their_precision_and_show_at_least_two_decimals() -> None:
    assert format_price(Decimal("129.90"), "USD") == "129.90 USD"
    assert format_price(Decimal("5"), "EUR") == "5.00 EUR"
    assert format_price(Decimal("1.234"), "BHD") == "1.234 BHD"
    assert format_price(Decimal("1E+3"), "JPY") == "1000.00 JPY"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"currency": "usd"}, "currency"),
        ({"price": Decimal("-1")}, "price"),
        ({"sale_price": Decimal("NaN")}, "sale_price"),
        ({"title": " "}, "title"),
        ({"availability": "available"}, "availability"),
        ({"product_type": ["Shoes|Boots"]}, "'|'"),
    ],
)
def test_a_product_the_feed_cannot_carry_is_refused_when_built(
    changes: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {
        "id": "x",
        "title": "X",
        "link": "https://shop.example/x",
        "price": Decimal("1.00"),
        "currency": "USD",
    } | changes

    with pytest.raises(ValueError, match=message):
        FeedProduct(**fields)  # type: ignore[arg-type]
