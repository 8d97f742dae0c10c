"""The orders history CSV: rows grouped into orders, every bad row reported with its line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from winback.imports import ImportedOrder, ImportRefused, RowError, parse_orders_csv

HEADER = (
    "order_id,order_created_at,order_status,order_financial_status,order_modified_at,"
    "order_currency,order_subtotal,order_shipping,order_discount,order_tax,order_total,"
    "order_coupon_code,customer_id,customer_pos_id,customer_email,customer_first_name,"
    "customer_last_name,customer_accepts_marketing,product_id,sku,product_name,quantity,"
    "price,product_url,product_image"
)


def orders(text: str, **options: object) -> list[ImportedOrder | RowError]:
    options.setdefault("store_currency", "EUR")
    return list(parse_orders_csv(text.encode(), **options))  # type: ignore[arg-type]


def test_every_order_column_fills_its_payload_field() -> None:
    rows = orders(
        HEADER + "\n"
        "1001,2024-03-01T10:00:00+02:00,complete,paid,2024-03-02T00:00:00Z,usd,90.00,5.00,"
        "-10.00,7.50,92.50,WELCOME10,C7,POS9,Ann@Example.com,Ann,Lee,1,"
        "P1,SKU-1,Mug,2,45.00,https://shop.example/mug,https://cdn.example/mug.jpg\n"
    )

    assert len(rows) == 1 and isinstance(rows[0], ImportedOrder)
    order = rows[0].payload
    assert rows[0].line == 2
    assert order.id == "1001"
    assert order.created_at == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert order.updated_at == datetime(2024, 3, 2, 0, 0, tzinfo=UTC)
    assert order.status == "complete"
    assert order.financial_status == "paid"
    assert order.currency == "USD"
    assert order.subtotal_price == Decimal("90.00")
    assert order.total_shipping == Decimal("5.00")
    assert order.total_discounts == Decimal("10.00")
    assert order.total_tax == Decimal("7.50")
    assert order.total_price == Decimal("92.50")
    assert [code.code for code in order.discount_codes] == ["WELCOME10"]


def test_customer_columns_become_the_order_customer() -> None:
    rows = orders(
        HEADER + "\n"
        "1,2024-03-01T10:00:00Z,complete,,,,,,,,,,C7,POS9,Ann@Example.com,Ann,Lee,true,"
        "P1,,,1,5,,\n"
    )

    assert isinstance(rows[0], ImportedOrder)
    customer = rows[0].payload.customer
    assert customer is not None
    assert (customer.id, customer.pos_id, customer.email) == ("C7", "POS9", "ann@example.com")
    assert (customer.first_name, customer.last_name) == ("Ann", "Lee")
    assert customer.accepts_marketing is True
    assert rows[0].payload.buyer_email == "ann@example.com"


@pytest.mark.parametrize(
    ("cell", "expected"), [("1", True), ("0", False), ("true", True), ("FALSE", False), ("", None)]
)
def test_accepts_marketing_reads_one_zero_true_false_and_empty_as_unknown(
    cell: str, expected: bool | None
) -> None:
    text = (
        "order_id,order_created_at,order_status,customer_email,customer_accepts_marketing\n"
        f"1,2024-03-01T10:00:00Z,complete,a@example.com,{cell}\n"
    )

    [order] = orders(text)

    assert isinstance(order, ImportedOrder) and order.payload.customer is not None
    assert order.payload.customer.accepts_marketing is expected


def test_a_flag_that_is_not_one_of_ours_is_reported_with_what_is_accepted() -> None:
    text = (
        "order_id,order_created_at,order_status,customer_email,customer_accepts_marketing\n"
        "1,2024-03-01T10:00:00Z,complete,a@example.com,maybe\n"
    )

    assert orders(text) == [
        RowError(
            2,
            "customer_accepts_marketing",
            "'maybe' is not one of 1, 0, true, false, yes, no, y, n (empty: unknown)",
        )
    ]


@pytest.mark.parametrize("cell", ["EURO", "€", "E1R"])
def test_a_currency_that_is_not_a_3_letter_code_is_reported_plainly(cell: str) -> None:
    text = (
        "order_id,order_created_at,order_status,customer_id,order_currency\n"
        f"1,2024-03-01T10:00:00Z,complete,C1,{cell}\n"
    )

    assert orders(text) == [
        RowError(
            2,
            "order_currency",
            f"order_currency must be a 3-letter currency code (such as EUR), not {cell!r}",
        )
    ]


def test_consecutive_rows_of_one_order_become_its_line_items() -> None:
    text = (
        "order_id,order_created_at,order_status,customer_email,product_id,sku,product_name,"
        "quantity,price,product_url,product_image\n"
        "1,2024-03-01T10:00:00Z,complete,a@example.com,P1,S1,Mug,2,4.50,https://s/p1,https://s/1.jpg\n"
        "1,2024-03-01T10:00:00Z,complete,a@example.com,P2,S2,Cup,1,3,,\n"
        "2,2024-03-02T10:00:00Z,complete,b@example.com,P1,S1,Mug,1,4.50,,\n"
    )

    first, second = orders(text)

    assert isinstance(first, ImportedOrder) and isinstance(second, ImportedOrder)
    items = first.payload.line_items
    assert [(i.product_id, i.sku, i.name, i.quantity, i.price) for i in items] == [
        ("P1", "S1", "Mug", Decimal(2), Decimal("4.50")),
        ("P2", "S2", "Cup", Decimal(1), Decimal(3)),
    ]
    assert (items[0].url, items[0].image) == ("https://s/p1", "https://s/1.jpg")
    assert (second.line, second.payload.id, len(second.payload.line_items)) == (4, "2", 1)


def test_the_store_currency_is_the_default_currency() -> None:
    [order] = orders(
        "order_id,order_created_at,order_status,customer_id\n1,2024-03-01T10:00:00Z,new,C1\n"
    )

    assert isinstance(order, ImportedOrder)
    assert order.payload.currency == "EUR"


def test_extra_columns_are_kept_as_order_attributes() -> None:
    text = (
        "order_id,order_created_at,order_status,customer_id,Gift Note,channel\n"
        "1,2024-03-01T10:00:00Z,new,C1,Happy birthday,POS\n"
    )

    [order] = orders(text)

    assert isinstance(order, ImportedOrder)
    assert order.payload.model_extra == {"Gift Note": "Happy birthday"}
    assert order.payload.channel == "POS"


def test_a_column_that_would_overwrite_a_filled_field_refuses_the_file() -> None:
    with pytest.raises(ImportRefused, match="'line_items' clashes"):
        orders("order_id,order_created_at,order_status,customer_id,line_items\n")


def test_a_row_apart_from_its_orders_other_rows_is_reported_saying_what_went_in() -> None:
    text = (
        "order_id,order_created_at,order_status,customer_id,product_id\n"
        "1,2024-03-01T10:00:00Z,new,C1,P1\n"
        "2,2024-03-01T10:00:00Z,new,C1,P1\n"
        "1,2024-03-01T10:00:00Z,new,C1,P2\n"
    )

    result = orders(text)

    assert [type(r).__name__ for r in result] == ["ImportedOrder", "ImportedOrder", "RowError"]
    assert result[2] == RowError(
        4,
        "order_id",
        "order 1 is imported with its rows before line 4 only: this row is not next to them; "
        "put all its rows together and import the file again",
    )
    first = result[0]
    assert isinstance(first, ImportedOrder)
    assert [item.product_id for item in first.payload.line_items] == ["P1"]


def test_a_row_apart_from_a_skipped_orders_rows_says_the_order_was_skipped() -> None:
    text = (
        "order_id,order_created_at,order_status,customer_id,product_id,quantity\n"
        "1,2024-03-01T10:00:00Z,new,C1,P1,two\n"
        "2,2024-03-01T10:00:00Z,new,C1,P1,1\n"
        "1,2024-03-01T10:00:00Z,new,C1,P2,1\n"
    )

    result = orders(text)

    assert result[-1] == RowError(
        4,
        "order_id",
        "order 1 is skipped for the errors reported before line 4, and this row is not next "
        "to its other rows; put all its rows together and import the file again",
    )
    assert [r.payload.id for r in result if isinstance(r, ImportedOrder)] == ["2"]


@pytest.mark.parametrize(
    ("header", "first_row", "second_row", "error"),
    [
        # a field too many: order 1 is skipped whole rather than imported without that line
        ("product_id", "P1", "P2,extra", (None, "the row has 6 fields but the header has 5")),
        ("product_id,quantity", "P1,1", "P2,two", ("quantity", "'two' is not a number")),
        (
            "order_total,product_id",
            "49.90,P1",
            "59.90,P2",
            (
                "order_total",
                "order 1 has order_total '59.90' here but '49.90' on line 2, its first row: "
                "an order's own columns must agree on all its rows",
            ),
        ),
    ],
    ids=["unreadable row", "bad line item", "contradicting row"],
)
def test_a_bad_second_row_skips_its_order_and_the_next_order_goes_in(
    header: str, first_row: str, second_row: str, error: tuple[str | None, str]
) -> None:
    text = (
        f"order_id,order_created_at,order_status,customer_id,{header}\n"
        f"1,2024-03-01T10:00:00Z,new,C1,{first_row}\n"
        f"1,2024-03-01T10:00:00Z,new,C1,{second_row}\n"
        f"2,2024-03-01T10:00:00Z,new,C1,{first_row}\n"
    )

    result = orders(text)

    assert result == [
        RowError(2, "order_id", "order 1 is skipped because line(s) 3 have errors"),
        RowError(3, *error),
        result[2],
    ]
    assert isinstance(result[2], ImportedOrder) and result[2].payload.id == "2"


def test_a_later_row_giving_what_the_first_row_left_empty_is_a_contradiction() -> None:
    text = (
        "order_id,order_created_at,order_status,customer_id,customer_email,product_id\n"
        "1,2024-03-01T10:00:00Z,new,C1,,P1\n"
        "1,2024-03-01T10:00:00Z,new,C1,ann@example.com,P2\n"
    )

    result = orders(text)

    assert (
        RowError(
            3,
            "customer_email",
            "order 1 has customer_email 'ann@example.com' here but nothing on line 2, its "
            "first row: an order's own columns must agree on all its rows",
        )
        in result
    )
    assert not any(isinstance(found, ImportedOrder) for found in result)


def test_later_rows_may_leave_the_orders_columns_empty_or_repeat_them_in_another_form() -> None:
    text = (
        "order_id,order_created_at,order_status,customer_email,order_currency,order_total,"
        "product_id,price\n"
        "1,2024-03-01T10:00:00Z,new,Ann@Example.com,usd,49.9,P1,40\n"
        "1,,,,,,P2,9.90\n"
        "1,2024-03-01T10:00:00Z,new,ann@example.COM,USD,49.90,P3,0\n"
    )

    (order,) = orders(text)

    assert isinstance(order, ImportedOrder)
    assert [item.product_id for item in order.payload.line_items] == ["P1", "P2", "P3"]
    assert order.payload.total_price == Decimal("49.9")


@pytest.mark.parametrize(
    ("created_at", "reason"),
    [
        (
            "2024-03-01 10:00:00",
            "'2024-03-01 10:00:00' has no time zone (add Z or an offset such as +02:00)",
        ),
        ("yesterday", "'yesterday' is not an ISO 8601 timestamp"),
        ("", "order_created_at is empty"),
    ],
)
def test_created_at_must_be_iso_8601_with_a_zone(created_at: str, reason: str) -> None:
    text = f"order_id,order_created_at,order_status,customer_id\n1,{created_at},new,C1\n"

    assert orders(text) == [RowError(2, "order_created_at", reason)]


def test_a_payload_rule_names_the_csv_column() -> None:
    text = (
        "order_id,order_created_at,order_status,customer_email\n1,2024-03-01T10:00:00Z,new,nobody\n"
    )

    [error] = orders(text)

    assert isinstance(error, RowError)
    assert (error.line, error.column) == (2, "customer_email")
    assert error.reason.startswith("'nobody' is not a valid email address")


@pytest.mark.parametrize("missing", ["order_id", "order_created_at", "order_status"])
def test_a_missing_mandatory_column_refuses_the_file_naming_it(missing: str) -> None:
    columns = [
        c for c in ("order_id", "order_created_at", "order_status", "customer_id") if c != missing
    ]

    with pytest.raises(ImportRefused) as refused:
        parse_orders_csv((",".join(columns) + "\n").encode(), store_currency="EUR")

    assert refused.value.reason == f"the mandatory column {missing!r} is missing"
    assert refused.value.column == missing


def test_a_file_without_any_customer_column_is_refused() -> None:
    with pytest.raises(ImportRefused, match="at least one of the columns 'customer_id'"):
        parse_orders_csv(b"order_id,order_created_at,order_status\n", store_currency="EUR")


def test_a_mapping_renames_their_headers_to_ours() -> None:
    text = "Number,Date,State,Buyer\nA-1,2024-03-01T10:00:00Z,shipped,C1\n"
    mapping = {
        "Number": "order_id",
        "Date": "order_created_at",
        "State": "order_status",
        "Buyer": "customer_id",
    }

    [order] = orders(text, mapping=mapping)

    assert isinstance(order, ImportedOrder)
    assert (order.payload.id, order.payload.status) == ("A-1", "shipped")
    assert order.payload.customer is not None and order.payload.customer.id == "C1"


def test_a_mapping_to_a_column_we_do_not_have_is_refused_naming_ours() -> None:
    text = "Order Number,order_created_at,order_status,customer_id\n"

    with pytest.raises(ImportRefused) as refused:
        orders(text, mapping={"Order Number": "order_idd"})

    reason = refused.value.reason
    assert reason.startswith(
        "the column mapping maps 'Order Number' to 'order_idd', which is not one of our "
        "columns; they are: customer_accepts_marketing, customer_email,"
    )
    assert ", order_id, " in reason
    assert refused.value.column == "order_idd"


def test_a_semicolon_separated_file_is_refused_saying_commas_are_needed() -> None:
    text = "order_id;order_created_at;order_status;customer_id\n1;2024-03-01T10:00:00Z;new;C1\n"

    with pytest.raises(ImportRefused) as refused:
        orders(text)

    assert refused.value.reason == (
        "the mandatory column 'order_id' is missing; the header reads as one column holding "
        "semicolons: the columns must be separated by commas"
    )


def test_a_store_currency_that_is_not_a_code_is_refused() -> None:
    with pytest.raises(ImportRefused, match="'euro' is not a 3-letter code"):
        parse_orders_csv(b"", store_currency="euro")


def test_an_empty_order_status_is_reported() -> None:
    text = "order_id,order_created_at,order_status,customer_id\n1,2024-03-01T10:00:00Z,,C1\n"

    assert orders(text) == [RowError(2, "order_status", "order_status is empty")]


def test_an_empty_order_id_is_reported_and_the_next_order_is_read() -> None:
    text = (
        "order_id,order_created_at,order_status,customer_id\n"
        ",2024-03-01T10:00:00Z,new,C1\n"
        "2,2024-03-01T10:00:00Z,new,C1\n"
    )

    result = orders(text)

    assert result[0] == RowError(2, "order_id", "order_id is empty")
    assert isinstance(result[1], ImportedOrder) and result[1].payload.id == "2"


@pytest.mark.parametrize("created_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_created_at_outside_the_calendar_in_utc_is_a_row_error(created_at: str) -> None:
    text = f"order_id,order_created_at,order_status,customer_id\n1,{created_at},new,C1\n"

    [error] = orders(text)

    assert isinstance(error, RowError)
    assert (error.line, error.column) == (2, "order_created_at")
    assert "out of range" in error.reason


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"price": "0.00001"}, "price", "money has at most 4 decimal places, this has 5"),
        (
            {"quantity": "0.00001"},
            "quantity",
            "a quantity has at most 4 decimal places, this has 5",
        ),
    ],
)
def test_a_line_cell_storage_would_round_skips_its_order(
    cells: dict[str, str], column: str, reason: str
) -> None:
    # given an order whose line has a price or quantity with more than 4 places
    values = {"quantity": "1", "price": "2"} | cells
    text = (
        "order_id,order_created_at,order_status,customer_id,product_id,quantity,price\n"
        f"1,2024-03-01T10:00:00Z,new,C1,P1,{values['quantity']},{values['price']}\n"
    )

    # then the order is skipped, the cell named with its line and why
    assert orders(text) == [
        RowError(2, column, reason),
        RowError(2, "order_id", "order 1 is skipped because line(s) 2 have errors"),
    ]


def test_an_order_total_with_more_than_four_places_is_a_row_error() -> None:
    text = (
        "order_id,order_created_at,order_status,customer_id,order_total\n"
        "1,2024-03-01T10:00:00Z,new,C1,10.123456\n"
    )

    assert orders(text) == [
        RowError(2, "order_total", "money has at most 4 decimal places, this has 6")
    ]


def test_lines_whose_sum_reaches_the_money_limit_are_a_row_error() -> None:
    text = (
        "order_id,order_created_at,order_status,customer_id,product_id,quantity,price\n"
        "1,2024-03-01T10:00:00Z,new,C1,P1,99999999999999,99999999999999\n"
    )

    [error] = orders(text)

    assert isinstance(error, RowError)
    assert (error.line, error.column) == (2, "line_items")
    assert "100,000,000,000,000" in error.reason


def test_an_amount_with_a_huge_exponent_is_a_row_error_and_the_next_order_goes_in() -> None:
    text = (
        "order_id,order_created_at,order_status,customer_id,order_total\n"
        "1,2024-03-01T10:00:00Z,new,C1,1e99999999\n"
        "2,2024-03-01T10:00:00Z,new,C1,5\n"
    )

    error, order = orders(text)

    assert isinstance(error, RowError)
    assert (error.line, error.column) == (2, "order_total")
    assert "100,000,000,000,000" in error.reason
    assert isinstance(order, ImportedOrder) and order.payload.id == "2"


def test_a_modified_at_days_ahead_is_a_row_error_a_zone_error_is_not() -> None:
    text = (
        "order_id,order_created_at,order_status,order_modified_at,customer_id\n"
        "1,2024-03-01T10:00:00Z,new,9999-12-31T00:00:00Z,C1\n"
        f"2,2024-03-01T10:00:00Z,new,{(datetime.now(UTC) + timedelta(hours=14)).isoformat()},C1\n"
    )

    error, order = orders(text)

    assert isinstance(error, RowError)
    assert (error.line, error.column) == (2, "order_modified_at")
    assert "hours ahead of this server's clock" in error.reason
    assert isinstance(order, ImportedOrder) and order.payload.id == "2"
