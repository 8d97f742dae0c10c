"""The column rules of a product feed, one row at a time."""

from __future__ import annotations

from decimal import Decimal

import pytest

from winback.catalog.payloads import Category
from winback.feeds import FeedProduct, RowError, parse_feed
from winback.feeds.items import PARSED, parse_availability, parse_price

HEADER = "id,title,link,price"


def parse(text: str) -> list[FeedProduct | RowError]:
    return list(parse_feed(text.encode()))


def only_product(text: str) -> FeedProduct:
    [record] = parse(text)
    assert isinstance(record, FeedProduct), record
    return record


def test_every_column_fills_its_product_field() -> None:
    record = only_product(
        "id,title,link,price,sale_price,availability,brand,image_link,additional_image_link,"
        "description,sku,product_type,gtin\n"
        "P1,Chef knife,https://shop.example/knife,129.90 USD,99.90 USD,in stock,Acme,"
        'https://cdn.example/k.jpg,"https://cdn.example/k2.jpg,https://cdn.example/k3.jpg",'
        "<p>Sharp</p>,SKU-1,Home > Kitchen,4006381333931\n"
    )

    product = record.payload
    assert (record.line, product.id, product.title) == (2, "P1", "Chef knife")
    assert product.url == "https://shop.example/knife"
    assert (product.price, product.sale_price, product.currency) == (
        Decimal("129.90"),
        Decimal("99.90"),
        "USD",
    )
    assert (product.vendor, product.sku, product.body_html) == ("Acme", "SKU-1", "<p>Sharp</p>")
    assert product.image_urls == [
        "https://cdn.example/k.jpg",
        "https://cdn.example/k2.jpg",
        "https://cdn.example/k3.jpg",
    ]
    assert product.categories == [Category(name="Home > Kitchen")]
    assert product.product_exists is True
    assert product.model_extra == {"availability": "in stock"}
    assert product.variants == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("129.90 USD", (Decimal("129.90"), "USD")),
        ("129.90", (Decimal("129.90"), None)),
        ("5 eur", (Decimal("5"), "EUR")),
        ("0.10EUR", (Decimal("0.10"), "EUR")),
        (" 12.5 GBP ", (Decimal("12.5"), "GBP")),
    ],
)
def test_a_price_is_an_exact_amount_with_an_optional_currency(
    text: str, expected: tuple[Decimal, str | None]
) -> None:
    assert parse_price(text) == expected


@pytest.mark.parametrize(
    "text", ["1,299.00 USD", "129,90 EUR", "USD 129.90", "-5 USD", "free", "5 EURO"]
)
def test_a_price_in_another_shape_is_refused_not_guessed(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_price(text)

    assert str(refused.value) == f"{text!r} is not a price such as '129.90 USD' or '129.90'"


def test_a_bare_sale_price_takes_the_price_currency() -> None:
    product = only_product(HEADER + ",sale_price\nP1,Mug,https://s/mug,10.00 EUR,8\n").payload

    assert (product.sale_price, product.currency) == (Decimal(8), "EUR")


def test_a_sale_price_in_another_currency_is_a_row_error() -> None:
    assert parse(HEADER + ",sale_price\nP1,Mug,https://s/mug,10.00 EUR,8 USD\n") == [
        RowError(2, "sale_price", "the sale price is in USD but the price is in EUR")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in stock", "in stock"),
        ("In Stock", "in stock"),
        ("out_of_stock", "out of stock"),
        ("preorder", "preorder"),
        ("backorder", "backorder"),
    ],
)
def test_availability_reads_the_four_values(text: str, expected: str) -> None:
    assert parse_availability(text) == expected


@pytest.mark.parametrize(
    ("availability", "for_sale"),
    [("in stock", True), ("out of stock", False), ("preorder", True), ("backorder", True)],
)
def test_out_of_stock_is_a_known_product_not_for_sale(availability: str, for_sale: bool) -> None:
    product = only_product(HEADER + f",availability\nP1,Mug,https://s/mug,1,{availability}\n")

    assert product.payload.product_exists is for_sale
    assert product.payload.for_sale is for_sale


def test_no_availability_leaves_it_unknown_and_for_sale() -> None:
    product = only_product(HEADER + "\nP1,Mug,https://s/mug,1\n").payload

    assert (product.product_exists, product.for_sale, product.model_extra) == (None, True, {})


def test_categories_split_on_pipes_and_keep_each_path_whole() -> None:
    assert PARSED["product_type"]("Home>Kitchen >  Knives| Gifts |Home > Kitchen > Knives") == (
        "Home > Kitchen > Knives",
        "Gifts",
    )


def test_mandatory_columns_left_empty_are_each_reported() -> None:
    assert parse(HEADER + ",sku\n,,,,S1\nP2,Mug,https://s/mug,1,S2\n")[:4] == [
        RowError(2, "id", "id is mandatory and empty"),
        RowError(2, "title", "title is mandatory and empty"),
        RowError(2, "link", "link is mandatory and empty"),
        RowError(2, "price", "price is mandatory and empty"),
    ]


def test_bad_rows_are_reported_with_line_column_and_reason_and_the_rest_parsed() -> None:
    records = parse(
        HEADER + ",availability,image_link\n"
        "P1,Mug,https://s/mug,1 USD,in stock,\n"
        "P2,Cup,/relative/cup,1 USD,in stock,\n"
        "P3,Jug,https://s/jug,cheap,sold out,ftp://cdn/jug.jpg\n"
        "P4,Pot,https://s/pot,3 USD,,\n"
    )

    assert [r.payload.id for r in records if isinstance(r, FeedProduct)] == ["P1", "P4"]
    assert [r for r in records if isinstance(r, RowError)] == [
        RowError(3, "link", "'/relative/cup' is not an absolute http(s) URL"),
        RowError(4, "image_link", "'ftp://cdn/jug.jpg' is not an absolute http(s) URL"),
        RowError(4, "price", "'cheap' is not a price such as '129.90 USD' or '129.90'"),
        RowError(
            4,
            "availability",
            "'sold out' is not one of in stock, out of stock, preorder, backorder",
        ),
    ]


def test_an_id_longer_than_ids_may_be_is_a_row_error() -> None:
    [error] = parse(HEADER + f"\n{'x' * 256},Mug,https://s/mug,1\n")

    assert error == RowError(2, "id", "an id must be at most 255 characters")


def test_header_names_may_carry_the_g_prefix_spaces_and_capitals() -> None:
    product = only_product(
        "g:id,Title,LINK,g:price,Image Link\nP1,Mug,https://s/mug,1,https://s/m.jpg\n"
    )

    assert product.payload.image == "https://s/m.jpg"


@pytest.mark.parametrize(
    ("column", "cell", "reason"),
    [
        ("price", "0.00001 USD", "money has at most 4 decimal places, this has 5"),
        ("sale_price", "1.999999", "money has at most 4 decimal places, this has 6"),
        (
            "price",
            "100000000000000",
            "the amount must be less than 100,000,000,000,000 in absolute value",
        ),
    ],
)
def test_a_price_a_webhook_could_not_send_is_a_row_error_not_rounded(
    column: str, cell: str, reason: str
) -> None:
    # given a row whose price winback could only keep rounded (or not at all)
    price, sale_price = (cell, "") if column == "price" else ("2 USD", cell)

    # when the feed is read
    records = parse(HEADER + f",sale_price\nP1,Mug,https://s/mug,{price},{sale_price}\n")

    # then the row is refused with its line and column, as a webhook's price would be
    assert records == [RowError(2, column, reason)]


def test_trailing_zeros_of_a_feed_price_do_not_count_as_places() -> None:
    product = only_product(HEADER + "\nP1,Mug,https://s/mug,10.1200000 EUR\n").payload

    assert product.price == Decimal("10.12")


def test_an_additional_image_that_is_no_url_rejects_its_row_as_an_image_link_does() -> None:
    [record] = parse(
        "id,title,link,price,additional_image_link\n"
        'P1,Knife,https://shop.example/knife,1.00 USD,"https://cdn.example/k2.jpg, not a url"\n'
    )

    assert isinstance(record, RowError)
    assert (record.line, record.column) == (2, "additional_image_link")
    assert record.reason == (
        "'https://cdn.example/k2.jpg, not a url' is not an absolute http(s) URL"
    )


def test_additional_images_are_split_where_the_next_url_begins() -> None:
    record = only_product(
        "id,title,link,price,image_link,additional_image_link\n"
        "P1,Knife,https://shop.example/knife,1.00 USD,https://cdn.example/1.jpg,"
        '"https://cdn.example/2,3.jpg, https://cdn.example/4.jpg,HTTPS://cdn.example/5.jpg"\n'
    )

    assert record.payload.image_urls == [
        "https://cdn.example/1.jpg",
        "https://cdn.example/2,3.jpg",
        "https://cdn.example/4.jpg",
        "HTTPS://cdn.example/5.jpg",
    ]
