"""CSV imports over the API, on both databases: the upload, the queued job, what it wrote."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import Engine

from tests.imports.conftest import Importer, snapshot

HEADER = (
    "order_id,order_created_at,order_status,order_modified_at,order_total,customer_id,"
    "customer_email,customer_first_name,product_id,sku,product_name,quantity,price\n"
)
# Ann (C1) buys three times, Bo (a guest, known by email) once; amounts that binary
# floats would not add up exactly. Order A1 has two line items, on two rows.
ROWS = (
    "A1,2024-01-05T10:00:00+01:00,complete,,10.10,C1,ann@example.com,Ann,P1,,Mug,2,2.50\n"
    "A1,2024-01-05T10:00:00+01:00,complete,,10.10,C1,ann@example.com,Ann,P2,,Bowl,1,5.10\n"
    "B1,2024-02-01T12:00:00Z,complete,,7.00,,bo@example.com,Bo,,SKU-9,Kite,1,7.00\n"
    "A2,2024-03-01T00:00:00Z,complete,2024-03-02T00:00:00Z,0.20,C1,ann@example.com,Ann,P1,,Mug,1,0.20\n"
    "A3,2023-12-31T23:30:00-01:00,complete,,100.01,C1,ann@example.com,Ann,P3,,Lamp,1,100.01\n"
)
ORDERS = (HEADER + ROWS).encode()


def aggregates(importer: Importer, customer_path: str) -> tuple[object, ...]:
    customer = importer.read(customer_path)
    names = ("orders_count", "total_spent", "average_order_value", "first_order_at")
    return (*(customer[name] for name in names), customer["last_order_at"])


def test_an_orders_file_is_imported_as_a_job_with_its_figures(importer: Importer) -> None:
    job = importer.run_import("orders", ORDERS, x_filename="history.csv")

    assert {name: job[name] for name in ("status", "kind", "dry_run", "rows_read")} == {
        "status": "succeeded",
        "kind": "orders",
        "dry_run": False,
        "rows_read": 5,
    }
    assert (job["imported"], job["skipped"], job["errors"]) == (4, 0, [])
    assert job["bytes_read"] == job["bytes_total"] == len(ORDERS)
    assert job["started_at"] is not None and job["finished_at"] is not None


def test_imported_orders_are_read_back_with_their_lines_and_exact_money(importer: Importer) -> None:
    importer.run_import("orders", ORDERS)

    order = importer.read("/api/v1/orders/A1")

    assert (order["customer_id"], order["email"], order["total_price"]) == (
        "C1",
        "ann@example.com",
        "10.10",
    )
    assert order["created_at"] == "2024-01-05T09:00:00+00:00"
    assert [
        (line["product_id"], line["quantity"], line["price"]) for line in order["line_items"]
    ] == [
        ("P1", "2", "2.50"),
        ("P2", "1", "5.10"),
    ]
    assert importer.read("/api/v1/orders/A2")["updated_at"] == "2024-03-02T00:00:00+00:00"


def test_after_an_orders_import_the_shoppers_aggregates_are_exact(importer: Importer) -> None:
    importer.run_import("orders", ORDERS)

    ann = aggregates(importer, "/api/v1/customers/C1")
    [bo] = importer.read("/api/v1/customers", email="bo@example.com")["items"]

    # 10.10 + 0.20 + 100.01, over three orders; the first was placed on New Year's Eve at -01:00.
    assert ann == (
        3,
        "110.31",
        "36.77",
        "2024-01-01T00:30:00+00:00",
        "2024-03-01T00:00:00+00:00",
    )
    assert (bo["id"], bo["orders_count"], bo["total_spent"], bo["first_name"]) == (
        None,
        1,
        "7.00",
        "Bo",
    )
    assert bo["first_order_at"] == bo["last_order_at"] == "2024-02-01T12:00:00+00:00"


def test_products_met_only_in_the_file_are_created_disabled(importer: Importer) -> None:
    importer.run_import("orders", ORDERS)

    mug = importer.read("/api/v1/products/P1")
    kite = importer.read("/api/v1/products/SKU-9")

    assert (mug["status"], mug["title"]) == ("disabled", "Mug")
    # A line without a product id names its product by sku.
    assert (kite["status"], kite["sku"], kite["price"]) == ("disabled", "SKU-9", "7.00")


def test_a_bad_row_is_skipped_with_its_line_number_and_the_rest_goes_in(importer: Importer) -> None:
    body = (
        HEADER
        + "X1,2024-01-01T00:00:00Z,complete,,1.00,C7,cy@example.com,Cy,P1,,Mug,1,1.00\n"
        + "X2,2024-01-02T00:00:00Z,complete,,2.00,C7,cy@example.com,Cy,P1,,Mug,1,two\n"
        + "X3,yesterday,complete,,3.00,C7,cy@example.com,Cy,P1,,Mug,1,3.00\n"
        + "X4,2024-01-04T00:00:00Z,complete,,4.00,C7,cy@example.com,Cy,P1,,Mug,1,4.00\n"
    ).encode()

    job = importer.run_import("orders", body)

    assert (job["status"], job["rows_read"], job["imported"], job["skipped"]) == (
        "succeeded",
        4,
        2,
        2,
    )
    assert [(error["line"], error["column"]) for error in job["errors"]] == [
        (3, "price"),
        (3, "order_id"),
        (4, "order_created_at"),
    ]
    assert job["errors"][0]["reason"] == "'two' is not a number"
    assert importer.get("/api/v1/orders/X2").status_code == 404
    assert importer.get("/api/v1/orders/X3").status_code == 404
    assert aggregates(importer, "/api/v1/customers/C7")[:2] == (2, "5.00")


def test_a_row_with_text_after_a_closing_quote_is_skipped_and_a_quote_never_closed_refused(
    importer: Importer,
) -> None:
    good = "X1,2024-01-01T00:00:00Z,complete,,1.00,C7,cy@example.com,Cy,P1,,Mug,1,1.00\n"
    odd = 'X2,2024-01-02T00:00:00Z,complete,,2.00,C7,cy@example.com,Cy,P1,,"Mug"s,1,2.00\n'
    job = importer.run_import("orders", (HEADER + odd + good).encode())

    assert (job["status"], job["imported"], job["skipped"]) == ("succeeded", 1, 1)
    assert [(e["line"], e["reason"]) for e in job["errors"]] == [
        (2, "the row cannot be read: ',' expected after '\"'")
    ]

    stray = 'X3,2024-01-03T00:00:00Z,complete,,3.00,C8,di@example.com,Di,P1,,"Mug 6"" tall,1,3.00\n'
    refused = importer.run_import("orders", (HEADER + stray + good).encode())

    assert refused["status"] == "failed"
    assert refused["reason"].startswith("line 2 opens a quoted value that the file never closes")
    assert importer.get("/api/v1/orders/X3").status_code == 404


def test_a_file_missing_a_mandatory_column_is_refused_before_anything_is_written(
    importer: Importer, engine: Engine
) -> None:
    body = b"order_id,order_created_at,customer_id,product_id\nZ1,2024-01-01T00:00:00Z,C1,P1\n"

    response = importer.post_import("orders", body)

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "import_refused",
        "reason": "the mandatory column 'order_status' is missing",
    }
    assert importer.read("/api/v1/imports")["items"] == []
    assert snapshot(engine, importer.store_id) == snapshot(engine, "no such store")


def test_a_dry_run_reports_the_same_and_writes_nothing(importer: Importer, engine: Engine) -> None:
    body = ORDERS + b"A9,2024-04-01T00:00:00Z,complete,,1,C1,ann@example.com,Ann,P1,,Mug,-1,1\n"

    job = importer.run_import("orders", body, dry_run=True)

    assert (job["status"], job["dry_run"], job["imported"], job["skipped"]) == (
        "succeeded",
        True,
        4,
        1,
    )
    assert [(e["line"], e["column"]) for e in job["errors"]] == [(7, "quantity"), (7, "order_id")]
    assert job["errors"][0]["reason"] == "quantity must not be negative"
    assert snapshot(engine, importer.store_id) == snapshot(engine, "no such store")


def test_importing_the_same_orders_file_twice_changes_nothing(
    importer: Importer, engine: Engine
) -> None:
    first = importer.run_import("orders", ORDERS)
    after_first = snapshot(engine, importer.store_id)

    second = importer.run_import("orders", ORDERS)

    assert snapshot(engine, importer.store_id) == after_first
    assert (first["imported"], first["unchanged"]) == (4, 0)
    assert (second["imported"], second["unchanged"], second["skipped"]) == (0, 4, 0)
    assert len(after_first["orders"]) == 4 and len(after_first["customers"]) == 2


def test_an_older_file_does_not_undo_a_newer_webhook(importer: Importer) -> None:
    importer.run_import("orders", ORDERS)
    newer = {
        "id": "A2",
        "created_at": "2024-03-01T00:00:00Z",
        "updated_at": "2024-05-01T00:00:00Z",
        "customer": {"id": "C1", "email": "ann@example.com"},
        "total_price": "0.00",
        "status": "refunded",
    }
    assert importer.send("orders/update", newer).status_code == 200
    importer.wait_applied()

    again = importer.run_import("orders", ORDERS)

    assert importer.read("/api/v1/orders/A2")["status"] == "refunded"
    assert (again["imported"], again["unchanged"]) == (0, 4)  # (A2: a newer one is stored)
    assert aggregates(importer, "/api/v1/customers/C1")[:2] == (3, "110.11")


def test_a_file_that_is_not_utf8_is_refused_unless_its_encoding_is_named(
    importer: Importer,
) -> None:
    latin1 = (HEADER + ROWS.replace("Bowl", "Schüssel")).encode("latin-1")

    refused = importer.post_import("orders", latin1)
    job = importer.run_import("orders", latin1, encoding="latin-1")

    assert refused.status_code == 422
    assert refused.json()["error"]["reason"].startswith("the file is not valid UTF-8 text")
    assert job["status"] == "succeeded"
    assert importer.read("/api/v1/orders/A1")["line_items"][1]["name"] == "Schüssel"


def test_a_bad_byte_far_into_the_file_fails_the_job_before_anything_is_written(
    importer: Importer, engine: Engine
) -> None:
    filler = "".join(
        f"F{n},2024-01-01T00:00:00Z,complete,,1.00,C{n},f{n}@example.com,Fay,P1,,Mug,1,1.00\n"
        for n in range(1200)
    )
    body = (
        HEADER + filler
    ).encode() + b"Z1,2024-01-01T00:00:00Z,complete,,1,C1,z@example.com,Z\xe9,P1,,Mug,1,1\n"
    assert len(body) > 64 * 1024

    job = importer.run_import("orders", body)

    assert job["status"] == "failed"
    assert job["reason"].startswith("the file is not valid UTF-8 text (line 1202, byte offset")
    assert (job["imported"], snapshot(engine, importer.store_id)["orders"]) == (0, [])


def test_a_column_mapping_reads_other_header_names(importer: Importer) -> None:
    body = (
        b"Order Number,Date,State,Buyer,Item,Qty,Unit Price\n"
        b"M1,2024-06-01T08:00:00Z,complete,dee@example.com,P5,3,1.10\n"
    )
    mapping = {
        "Order Number": "order_id",
        "Date": "order_created_at",
        "State": "order_status",
        "Buyer": "customer_email",
        "Item": "product_id",
        "Qty": "quantity",
        "Unit Price": "price",
    }

    job = importer.run_import("orders", body, mapping=mapping)

    assert (job["status"], job["imported"]) == ("succeeded", 1)
    # No order_total: the total is the sum of the lines.
    assert importer.read("/api/v1/orders/M1")["total_price"] == "3.30"


def test_a_column_mapping_header_may_name_columns_in_utf8(importer: Importer) -> None:
    body = "Numéro,Date,État,Acheteur\nM2,2024-06-01T08:00:00Z,complete,dee@example.com\n"
    mapping = {
        "Numéro": "order_id",
        "Date": "order_created_at",
        "État": "order_status",
        "Acheteur": "customer_email",
    }
    response = importer.http.post(
        "/api/v1/imports/orders",
        content=body.encode(),
        headers={
            b"x-api-key": importer.api_key.encode(),
            b"content-type": b"text/csv",
            # (as raw UTF-8 bytes, not \u escapes: what most clients send)
            b"x-column-mapping": orjson.dumps(mapping),
        },
    )
    assert response.status_code == 202, response.text

    job = importer.wait_for_job(response.json()["import"]["id"])

    assert (job["status"], job["imported"]) == ("succeeded", 1)
    assert importer.read("/api/v1/orders/M2")["email"] == "dee@example.com"


def test_a_contacts_file_creates_and_updates_customers(importer: Importer, engine: Engine) -> None:
    assert (
        importer.send("customers/create", {"id": "C1", "email": "ann@example.com"}).status_code
        == 200
    )
    importer.wait_applied()
    body = (
        b"id,email,first_name,opt_in_status,extra_shopper_tags,city\n"
        b"C1,,Ann,1,vip;newsletter,Berlin\n"
        b",bo@example.com,Bo,,,\n"
        b"C3,,Cy,0,,\n"
        b",not-an-address,Dee,,,\n"
    )

    job = importer.run_import("contacts", body)
    after_first = snapshot(engine, importer.store_id)
    again = importer.run_import("contacts", body)

    assert (job["status"], job["imported"], job["skipped"]) == ("succeeded", 3, 1)
    assert [(e["line"], e["column"]) for e in job["errors"]] == [(5, "email")]
    ann = importer.read("/api/v1/customers/C1")
    assert (ann["email"], ann["first_name"], ann["accepts_marketing"], ann["tags"]) == (
        "ann@example.com",
        "Ann",
        True,
        ["vip", "newsletter"],
    )
    assert ann["default_address"] == {"city": "Berlin"}
    assert importer.read("/api/v1/customers/C3")["accepts_marketing"] is False
    assert (
        importer.read("/api/v1/customers", email="bo@example.com")["items"][0]["first_name"] == "Bo"
    )
    assert (again["imported"], again["unchanged"], again["skipped"]) == (0, 3, 1)
    assert snapshot(engine, importer.store_id) == after_first


def test_a_job_of_another_store_is_not_found(importer: Importer, other_importer: Importer) -> None:
    job = importer.run_import("orders", ORDERS)

    assert other_importer.get(f"/api/v1/imports/{job['id']}").status_code == 404
    assert other_importer.get("/api/v1/orders/A1").status_code == 404


def test_the_latest_imports_are_listed_newest_first(importer: Importer) -> None:
    first = importer.run_import("orders", ORDERS, dry_run=True)
    second = importer.run_import("contacts", b"email\na@example.com\n")

    listed = importer.read("/api/v1/imports")["items"]

    assert [job["id"] for job in listed] == [second["id"], first["id"]]


def test_the_imports_are_paged_with_a_cursor(importer: Importer) -> None:
    made = [
        importer.run_import("contacts", f"email\nc{n}@example.com\n".encode())["id"]
        for n in range(3)
    ]

    first = importer.read("/api/v1/imports", limit=2)
    second = importer.read("/api/v1/imports", limit=2, cursor=first["next_cursor"])

    assert [job["id"] for job in first["items"] + second["items"]] == made[::-1]
    assert second["next_cursor"] is None
    refused = importer.get("/api/v1/imports", cursor="bm90IGEgY3Vyc29y")
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_cursor")


@pytest.mark.parametrize("codec", ["base64", "rot13", "zlib"])
def test_a_codec_that_is_no_text_encoding_is_refused(importer: Importer, codec: str) -> None:
    response = importer.post_import("orders", ORDERS, encoding=codec)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_encoding",
        "reason": f"'{codec}' is not a text encoding",
    }
    assert importer.read("/api/v1/imports")["items"] == []


def test_a_file_not_in_the_encoding_named_is_refused_saying_so(importer: Importer) -> None:
    # (UTF-8 bytes named UTF-16: no byte order mark to start it)
    response = importer.post_import("orders", ORDERS, encoding="utf-16")

    assert response.status_code == 422, response.text
    assert response.json()["error"]["reason"].startswith("the file is not valid utf-16 text")
    assert importer.read("/api/v1/imports")["items"] == []


def test_uploads_that_cannot_be_imported_are_refused_with_the_reason(importer: Importer) -> None:
    form = importer.post_import(
        "orders", b"--x\r\n", content_type="multipart/form-data; boundary=x"
    )
    mapping = importer.http.post(
        "/api/v1/imports/orders",
        content=ORDERS,
        headers={"x-api-key": importer.api_key, "x-column-mapping": "[1]"},
    )
    encoding = importer.post_import("orders", ORDERS, encoding="klingon")
    empty = importer.post_import("orders", b"")
    no_key = importer.http.post("/api/v1/imports/orders", content=ORDERS)

    assert form.status_code == 415
    assert (mapping.status_code, mapping.json()["error"]["code"]) == (400, "invalid_column_mapping")
    assert (encoding.status_code, encoding.json()["error"]["code"]) == (400, "invalid_encoding")
    assert empty.status_code == 400
    assert no_key.status_code == 401
    assert importer.read("/api/v1/imports")["items"] == []
