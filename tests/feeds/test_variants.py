"""Rows that share an item_group_id become one product with variants."""

from __future__ import annotations

import pickle
from decimal import Decimal

from winback.catalog.description import describe_product
from winback.catalog.payloads import Category
from winback.feeds import FeedProduct, RowError, parse_feed
from winback.feeds.grouping import DEFAULT_MAX_HELD_ROWS
from winback.feeds.records import DescribedProduct

HEADER = "id,title,link,price,sale_price,availability,product_type,item_group_id,gtin,sku\n"


def parse(
    rows: str, *, max_held_variant_rows: int = DEFAULT_MAX_HELD_ROWS
) -> list[FeedProduct | RowError]:
    return list(parse_feed((HEADER + rows).encode(), max_held_variant_rows=max_held_variant_rows))


def test_rows_sharing_an_item_group_id_become_one_parent_with_variants() -> None:
    [record] = parse(
        "S-RED,Shirt red,https://s/red,20.00 USD,,in stock,Clothes > Shirts,SHIRT,111,R1\n"
        "S-BLUE,Shirt blue,https://s/blue,18.00 USD,,out of stock,Sale,SHIRT,222,B1\n"
    )

    assert isinstance(record, FeedProduct)
    parent = record.payload
    assert (record.line, parent.id, parent.title, parent.url, parent.sku) == (
        2,
        "SHIRT",
        "Shirt red",
        "https://s/red",
        None,
    )
    assert [(v.id, v.product_id, v.sku, v.title, v.price, v.barcode) for v in parent.variants] == [
        ("S-RED", "SHIRT", "R1", "Shirt red", Decimal("20.00"), "111"),
        ("S-BLUE", "SHIRT", "B1", "Shirt blue", Decimal("18.00"), "222"),
    ]
    assert [v.model_extra for v in parent.variants] == [
        {"url": "https://s/red", "availability": "in stock"},
        {"url": "https://s/blue", "availability": "out of stock"},
    ]
    assert parent.categories == [Category(name="Clothes > Shirts"), Category(name="Sale")]


def test_the_parent_price_is_its_cheapest_variant_counting_sale_prices() -> None:
    [record] = parse(
        "A,Shirt S,https://s/a,20.00 USD,12.00,in stock,,SHIRT,,\n"
        "B,Shirt M,https://s/b,18.00 USD,,in stock,,SHIRT,,\n"
    )

    assert isinstance(record, FeedProduct)
    parent = record.payload
    assert (parent.price, parent.sale_price, parent.currency) == (
        Decimal("20.00"),
        Decimal("12.00"),
        "USD",
    )


def test_a_parent_is_for_sale_when_any_variant_is() -> None:
    [record] = parse(
        "A,Shirt S,https://s/a,1,,out of stock,,SHIRT,,\nB,Shirt M,https://s/b,1,,backorder,,SHIRT,,\n"
    )

    assert isinstance(record, FeedProduct)
    assert (record.payload.product_exists, record.payload.model_extra) == (
        True,
        {"availability": "backorder"},
    )


def test_a_parent_whose_variants_are_all_out_of_stock_is_not_for_sale() -> None:
    [record] = parse(
        "A,Shirt S,https://s/a,1,,out of stock,,SHIRT,,\n"
        "B,Shirt M,https://s/b,1,,out of stock,,SHIRT,,\n"
    )

    assert isinstance(record, FeedProduct)
    assert record.payload.product_exists is False


def test_variants_listed_apart_within_the_window_still_group() -> None:
    records = parse(
        "A,Shirt S,https://s/a,1,,,,SHIRT,,\n"
        "M,Mug,https://s/m,1,,,,,,\n"
        "B,Shirt M,https://s/b,1,,,,SHIRT,,\n"
    )

    assert [
        (r.payload.id, [v.id for v in r.payload.variants])
        for r in records
        if isinstance(r, FeedProduct)
    ] == [
        ("M", []),
        ("SHIRT", ["A", "B"]),
    ]


def test_a_variant_beyond_the_window_is_reported_not_made_a_second_parent() -> None:
    records = parse(
        "A,Shirt S,https://s/a,1,,,,SHIRT,,\n"
        "X,Hat,https://s/x,1,,,,HAT,,\n"
        "Y,Hat,https://s/y,1,,,,HAT,,\n"
        "B,Shirt M,https://s/b,1,,,,SHIRT,,\n",
        max_held_variant_rows=2,
    )

    first = records[0]
    assert isinstance(first, FeedProduct)
    assert (first.line, first.payload.id, [v.id for v in first.payload.variants]) == (
        2,
        "SHIRT",
        ["A"],
    )
    assert records[1] == RowError(
        5,
        "item_group_id",
        "this variant of SHIRT comes more than 2 rows after the others; "
        "list a product's variants together",
    )
    assert isinstance(records[2], FeedProduct) and records[2].payload.id == "HAT"
    assert len(records) == 3


def test_a_variant_id_twice_in_one_group_is_reported() -> None:
    records = parse("A,Shirt S,https://s/a,1,,,,SHIRT,,\nA,Shirt S,https://s/a,2,,,,SHIRT,,\n")

    assert records[0] == RowError(3, "id", "the id A appears twice in SHIRT")
    assert isinstance(records[1], FeedProduct) and len(records[1].payload.variants) == 1


def rejected_ids(rows: str) -> tuple[list[FeedProduct | RowError], list[str]]:
    """The records of a feed and the product ids heard as rejected."""
    heard: list[str] = []
    records = list(parse_feed((HEADER + rows).encode(), on_rejected=heard.append))
    return records, heard


LEFT_AS_IT_WAS = "the product SHIRT is left as it was, since its variant on line {} is rejected"


def test_a_group_with_a_rejected_row_makes_no_product_and_its_other_rows_say_why() -> None:
    # given a shirt whose middle variant has a bad price, and a mug after it
    rows = (
        "A,Shirt S,https://s/a,1,,,,SHIRT,,\n"
        "B,Shirt M,https://s/b,x,,,,SHIRT,,\n"
        "C,Shirt L,https://s/c,1,,,,SHIRT,,\n"
        "M,Mug,https://s/m,1,,,,,,\n"
    )

    # when the feed is parsed
    records, heard = rejected_ids(rows)

    # then the bad row is reported, the shirt is no product, and its other rows say why
    assert [r for r in records if isinstance(r, RowError)] == [
        RowError(3, "price", "'x' is not a price such as '129.90 USD' or '129.90'"),
        RowError(2, "item_group_id", LEFT_AS_IT_WAS.format(3)),
        RowError(4, "item_group_id", LEFT_AS_IT_WAS.format(3)),
    ]
    assert [r.id for r in records if isinstance(r, FeedProduct)] == ["M"]
    assert heard == ["SHIRT"]


def test_a_rejected_first_row_of_a_group_keeps_the_rows_after_it_from_making_a_product() -> None:
    # given a shirt whose first variant has no title
    rows = "A,,https://s/a,1,,,,SHIRT,,\nB,Shirt M,https://s/b,1,,,,SHIRT,,\n"

    # when the feed is parsed
    records, heard = rejected_ids(rows)

    # then no product is made of the second row alone
    assert records == [
        RowError(2, "title", "title is mandatory and empty"),
        RowError(3, "item_group_id", LEFT_AS_IT_WAS.format(2)),
    ]
    assert heard == ["SHIRT"]


def test_a_variant_row_with_a_field_too_many_keeps_its_group_from_making_a_product() -> None:
    # given a shirt whose second variant has an unquoted comma in its sku, the last column
    rows = "A,Shirt S,https://s/a,1,,,,SHIRT,,S\nB,Shirt M,https://s/b,1,,,,SHIRT,,M,L\n"

    # when the feed is parsed
    records, heard = rejected_ids(rows)

    # then the row is reported, and the shirt is no product: its first row says why
    assert records == [
        RowError(3, None, "the row has 11 fields but the header has 10"),
        RowError(2, "item_group_id", LEFT_AS_IT_WAS.format(3)),
    ]
    assert "SHIRT" in heard


def test_a_group_whose_every_row_is_rejected_makes_no_product_and_no_more_errors() -> None:
    records, heard = rejected_ids(
        "A,Shirt S,https://s/a,x,,,,SHIRT,,\nB,Shirt M,https://s/b,y,,,,SHIRT,,\n"
    )

    assert [(r.line, r.column) for r in records if isinstance(r, RowError)] == [
        (2, "price"),
        (3, "price"),
    ]
    assert len(records) == 2
    assert heard == ["SHIRT", "SHIRT"]


def test_a_product_crosses_the_reader_pipe_unchanged() -> None:
    """Products are pickled from the reader process to the applying one (see ``reader``)."""
    records = parse(
        "S-RED,Shirt red,https://s/red,20.00 USD,15.50,in stock,A > B|C,SHIRT,111,R1\n"
        "S-BLUE,Shirt blue,https://s/blue,18.00 USD,,out of stock,Sale,SHIRT,222,B1\n"
        "MUG,Mug,https://s/mug,9.99,,,Home,,,M1\n"
    )
    products = [record for record in records if isinstance(record, FeedProduct)]
    assert len(products) == 2

    received = pickle.loads(pickle.dumps(products, protocol=pickle.HIGHEST_PROTOCOL))

    for sent, got in zip(products, received, strict=True):
        assert (got.line, got.id, got.digest, got.items) == (
            sent.line,
            sent.id,
            sent.digest,
            sent.items,
        )
        assert got.for_sale == sent.for_sale
        assert got.payload.model_dump() == sent.payload.model_dump()
        assert got.payload.content_digest == sent.digest


def test_a_product_described_ahead_crosses_the_reader_pipe_as_its_description() -> None:
    [product] = parse(
        "S-RED,Shirt red,https://s/red,20.00 USD,15.50,in stock,A > B|C,SHIRT,111,R1\n"
        "S-BLUE,Shirt blue,https://s/blue,18.00 USD,,out of stock,Sale,SHIRT,222,B1\n"
    )
    assert isinstance(product, FeedProduct)
    described = DescribedProduct(product.line, describe_product(product.payload))

    received = pickle.loads(pickle.dumps(described, protocol=pickle.HIGHEST_PROTOCOL))

    assert received == described
    assert (received.line, received.id) == (2, "SHIRT")
    assert received.description.content_digest == product.digest
    assert received.description.sale_price == Decimal("15.50")
    assert [v["id"] for v in received.description.variants] == ["S-RED", "S-BLUE"]
