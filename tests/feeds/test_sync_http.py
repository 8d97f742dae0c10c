"""Syncing a store's feed over real HTTP: configured, fetched, applied, recorded."""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from tests.feeds.conftest import FeedHost, Shop

HEADER = "id,item_group_id,title,link,price,sale_price,availability,brand,product_type\n"
MUG = "MUG,,Mug,https://shop.example/mug,12.90 USD,9.99,in stock,Potter & Co,Home>Kitchen|Gifts\n"
JUG = "JUG,,Jug,https://shop.example/jug,20,,out of stock,,Home > Kitchen\n"
SHIRT_S = "SHIRT-S,SHIRT,Shirt S,https://shop.example/shirt-s,20.00 USD,,in stock,Tee,Clothes\n"
PRICE_SHAPES = "'129.90 USD' or '129.90'"
SHIRT_M = "SHIRT-M,SHIRT,Shirt M,https://shop.example/shirt-m,18.50 USD,,out of stock,Tee,Sale\n"


def feed(*rows: str) -> bytes:
    return (HEADER + "".join(rows)).encode()


def counts(run: dict[str, Any]) -> dict[str, Any]:
    names = ("status", "rows_read", "created", "updated", "unchanged", "made_unavailable")
    return {name: run[name] for name in (*names, "rejected")}


def test_a_feed_set_by_put_is_shown_with_its_schedule(shop: Shop, feed_host: FeedHost) -> None:
    url = feed_host.serve(feed(MUG))

    put = shop.put_feed(url, schedule_hours=6)
    shown = shop.get("/api/v1/feed")

    assert put.status_code == 200, put.text
    assert shown.status_code == 200
    assert shown.json()["feed"]["url"] == url
    assert shown.json()["feed"]["schedule_hours"] == 6
    assert shown.json()["runs"] == []


def test_the_default_schedule_is_daily(shop: Shop, feed_host: FeedHost) -> None:
    shop.put_feed(feed_host.serve(feed(MUG)))

    assert shop.get("/api/v1/feed").json()["feed"]["schedule_hours"] == 24


NOT_HTTP = "the feed URL must be an absolute http:// or https:// URL"


@pytest.mark.parametrize(
    ("body", "pointer", "reason"),
    [
        ({"url": "ftp://shop.example/feed.csv"}, "/url", NOT_HTTP),
        ({"url": "/feed.csv"}, "/url", NOT_HTTP),
        (
            {"url": "https://shop.example/feed.csv", "schedule_hours": 0},
            "/schedule_hours",
            "must be at least 1",
        ),
        ({}, "/url", "this field is required"),
    ],
)
def test_a_feed_setting_that_cannot_work_is_refused_with_its_field(
    shop: Shop, body: dict[str, Any], pointer: str, reason: str
) -> None:
    response = shop.http.put("/api/v1/feed", json=body, headers={"x-api-key": shop.api_key})

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["pointer"], error["reason"]) == (
        "invalid_request",
        pointer,
        reason,
    )
    assert shop.get("/api/v1/feed").json()["feed"] is None


def test_a_feed_setting_that_is_not_json_is_refused_without_a_pointer(shop: Shop) -> None:
    # when the body of PUT /api/v1/feed is not valid JSON
    response = shop.http.put(
        "/api/v1/feed",
        content=b'{"url": https://shop.example/feed.csv}',
        headers={"x-api-key": shop.api_key, "content-type": "application/json"},
    )

    # then the reason says so, and no field is pointed at
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["reason"].startswith("the body is not valid JSON: ")
    assert error["pointer"] == ""
    assert shop.get("/api/v1/feed").json()["feed"] is None


def test_a_sync_applies_every_column_with_exact_money(shop: Shop, feed_host: FeedHost) -> None:
    shop.put_feed(feed_host.serve(feed(MUG, JUG)))

    run = shop.sync()

    assert counts(run) == {
        "status": "succeeded",
        "rows_read": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "made_unavailable": 0,
        "rejected": 0,
    }
    mug = shop.product("MUG")
    assert {name: mug[name] for name in ("status", "title", "url", "price", "sale_price")} == {
        "status": "active",
        "title": "Mug",
        "url": "https://shop.example/mug",
        "price": "12.90",
        "sale_price": "9.99",
    }
    assert (mug["currency"], mug["vendor"]) == ("USD", "Potter & Co")
    assert mug["categories"] == [
        {"code": None, "name": "Home > Kitchen"},
        {"code": None, "name": "Gifts"},
    ]
    jug = shop.product("JUG")
    assert (jug["status"], jug["price"], jug["currency"]) == ("unavailable", "20.00", "USD")
    assert (mug["availability"], jug["availability"]) == ("in stock", "out of stock")


def test_rows_sharing_an_item_group_id_become_one_product_with_variants(
    shop: Shop, feed_host: FeedHost
) -> None:
    shop.put_feed(feed_host.serve(feed(SHIRT_S, SHIRT_M)))

    run = shop.sync()
    shirt = shop.product("SHIRT")

    assert (run["rows_read"], run["created"]) == (2, 1)
    assert shirt["status"] == "active"
    assert (shirt["price"], shirt["vendor"], shirt["availability"]) == ("18.50", "Tee", "in stock")
    assert [(v["id"], v["price"]) for v in shirt["variants"]] == [
        ("SHIRT-S", "20.00"),
        ("SHIRT-M", "18.50"),
    ]
    assert [c["name"] for c in shirt["categories"]] == ["Clothes", "Sale"]
    assert shop.get("/api/v1/products/SHIRT-S").status_code == 404


def test_an_unchanged_feed_is_not_read_again(shop: Shop, feed_host: FeedHost) -> None:
    url = feed_host.serve(feed(MUG, JUG))
    shop.put_feed(url)
    shop.sync()

    again = shop.sync()

    assert again["status"] == "not_modified"
    assert counts(again)["created"] == counts(again)["updated"] == 0
    etag = feed_host.pages[url.removeprefix(feed_host.url)].etag
    assert feed_host.requests_to(url)[-1]["if-none-match"] == etag
    assert shop.product("MUG")["price"] == "12.90"


def test_after_an_upload_the_feeds_url_is_read_whole_again(shop: Shop, feed_host: FeedHost) -> None:
    # given the feed's URL synced, then a one-off upload of part of the catalog
    url = feed_host.serve(feed(MUG, SHIRT_S))
    shop.put_feed(url)
    shop.sync()
    shop.upload(feed(MUG))
    assert shop.product("SHIRT")["status"] == "unavailable"

    # when the URL, unchanged, is synced again
    again = shop.sync()

    # then it is read whole (no ETag of the catalog before the upload): the shirt is back
    assert again["status"] == "succeeded"
    assert "if-none-match" not in feed_host.requests_to(url)[-1]
    assert shop.product("SHIRT")["status"] == "active"


def test_the_same_content_under_a_new_etag_rewrites_no_product(
    shop: Shop, feed_host: FeedHost
) -> None:
    url = feed_host.serve(feed(MUG, JUG, SHIRT_S, SHIRT_M))
    shop.put_feed(url)
    shop.sync()
    path = url.removeprefix(feed_host.url)
    feed_host.serve(feed(MUG, JUG, SHIRT_S, SHIRT_M), path=path, etag='"new-etag"')

    again = shop.sync()

    assert counts(again) == {
        "status": "succeeded",
        "rows_read": 4,
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "made_unavailable": 0,
        "rejected": 0,
    }


def test_a_changed_row_updates_only_its_product(shop: Shop, feed_host: FeedHost) -> None:
    url = feed_host.serve(feed(MUG, JUG))
    shop.put_feed(url)
    shop.sync()
    changed = feed(MUG.replace("12.90 USD", "13.10 USD"), JUG)
    feed_host.serve(changed, path=url.removeprefix(feed_host.url))

    again = shop.sync()

    assert (again["updated"], again["unchanged"], again["created"]) == (1, 1, 0)
    assert shop.product("MUG")["price"] == "13.10"


def test_a_product_gone_from_the_feed_becomes_unavailable_and_is_kept(
    shop: Shop, feed_host: FeedHost
) -> None:
    url = feed_host.serve(feed(MUG, SHIRT_S, SHIRT_M))
    shop.put_feed(url)
    shop.sync()
    path = url.removeprefix(feed_host.url)
    feed_host.serve(feed(SHIRT_S, SHIRT_M), path=path)

    gone = shop.sync()

    assert (gone["made_unavailable"], gone["unchanged"]) == (1, 1)
    mug = shop.product("MUG")
    assert (mug["status"], mug["title"], mug["price"]) == ("unavailable", "Mug", "12.90")
    assert shop.product("SHIRT")["status"] == "active"

    feed_host.serve(feed(MUG, SHIRT_S, SHIRT_M), path=path)
    back = shop.sync()

    assert (back["updated"], back["made_unavailable"]) == (1, 0)
    assert shop.product("MUG")["status"] == "active"


def test_bad_rows_are_recorded_with_line_column_and_reason_and_their_product_kept(
    shop: Shop, feed_host: FeedHost
) -> None:
    url = feed_host.serve(feed(MUG, JUG))
    shop.put_feed(url)
    shop.sync()
    bad_jug = JUG.replace(",20,", ",twenty,")
    bad_toy = "TOY,,Toy,not-a-link,5,,,,\n"
    feed_host.serve(feed(MUG, bad_jug, bad_toy), path=url.removeprefix(feed_host.url))

    run = shop.sync()

    assert (run["status"], run["rejected"], run["made_unavailable"]) == ("succeeded", 2, 0)
    assert run["errors"] == [
        {"line": 3, "column": "price", "reason": f"'twenty' is not a price such as {PRICE_SHAPES}"},
        {"line": 4, "column": "link", "reason": "'not-a-link' is not an absolute http(s) URL"},
    ]
    assert run["errors_not_listed"] == 0
    assert shop.product("JUG")["price"] == "20.00"
    assert shop.get("/api/v1/products/TOY").status_code == 404


def test_a_rejected_variant_row_leaves_its_whole_product_as_it_was(
    shop: Shop, feed_host: FeedHost
) -> None:
    # given a shirt with two variants synced
    url = feed_host.serve(feed(MUG, SHIRT_S, SHIRT_M))
    shop.put_feed(url)
    shop.sync()
    cheaper_s = SHIRT_S.replace("20.00 USD", "15.00 USD")
    bad_m = SHIRT_M.replace("18.50 USD", "free")

    # when the next feed changes the small one and gives the medium one a bad price
    feed_host.serve(feed(MUG, cheaper_s, bad_m), path=url.removeprefix(feed_host.url))
    run = shop.sync()

    # then the shirt keeps both variants and their prices, and is not counted gone
    shirt = shop.product("SHIRT")
    assert (shirt["status"], shirt["price"]) == ("active", "18.50")
    assert [(v["id"], v["price"]) for v in shirt["variants"]] == [
        ("SHIRT-S", "20.00"),
        ("SHIRT-M", "18.50"),
    ]
    assert counts(run) == {
        "status": "succeeded",
        "rows_read": 3,
        "created": 0,
        "updated": 0,
        "unchanged": 1,
        "made_unavailable": 0,
        "rejected": 2,
    }
    # and the run names the bad row, and says why the other row of its product was skipped
    left = "the product SHIRT is left as it was, since its variant on line 4 is rejected"
    assert run["errors"] == [
        {"line": 3, "column": "item_group_id", "reason": left},
        {"line": 4, "column": "price", "reason": f"'free' is not a price such as {PRICE_SHAPES}"},
    ]


def test_a_new_product_with_a_rejected_variant_row_is_not_created(
    shop: Shop, feed_host: FeedHost
) -> None:
    # when a first feed lists a shirt whose second variant has no link
    shop.put_feed(
        feed_host.serve(feed(MUG, SHIRT_S, SHIRT_M.replace("https://shop.example/shirt-m", "")))
    )
    run = shop.sync()

    # then the mug is created, the shirt not even with its good variant
    assert (run["created"], run["rejected"], run["made_unavailable"]) == (1, 2, 0)
    assert shop.get("/api/v1/products/SHIRT").status_code == 404
    assert shop.get("/api/v1/products/SHIRT-S").status_code == 404


def test_an_id_twice_in_a_feed_is_a_row_error_and_the_first_row_wins(
    shop: Shop, feed_host: FeedHost
) -> None:
    shop.put_feed(feed_host.serve(feed(MUG, MUG.replace("12.90 USD", "1.00 USD"))))

    run = shop.sync()

    assert (run["created"], run["rejected"]) == (1, 1)
    assert run["errors"][0]["line"] == 3
    assert run["errors"][0]["column"] == "id"
    assert shop.product("MUG")["price"] == "12.90"


def test_a_product_first_seen_in_an_order_is_described_and_enabled_by_the_feed(
    shop: Shop, feed_host: FeedHost
) -> None:
    order = {
        "id": 1,
        "created_at": "2026-01-01T00:00:00Z",
        "email": "ada@example.com",
        "line_items": [{"product_id": "MUG", "name": "A mug", "price": "11", "quantity": 1}],
    }
    assert shop.send("orders/create", order).status_code == 200
    shop.wait_applied()
    assert shop.product("MUG")["status"] == "disabled"
    shop.put_feed(feed_host.serve(feed(MUG)))

    run = shop.sync()

    assert (run["created"], run["updated"]) == (0, 1)
    assert (shop.product("MUG")["status"], shop.product("MUG")["title"]) == ("active", "Mug")


def test_an_uploaded_gzipped_tsv_file_is_applied_like_a_fetched_feed(shop: Shop) -> None:
    tsv = feed(MUG, SHIRT_S).decode().replace(",", "\t")

    run = shop.upload(gzip.compress(tsv.encode()))

    assert (run["status"], run["trigger"], run["created"]) == ("succeeded", "upload", 2)
    assert shop.product("MUG")["price"] == "12.90"
    assert [v["id"] for v in shop.product("SHIRT")["variants"]] == ["SHIRT-S"]


def test_an_empty_upload_is_refused(shop: Shop) -> None:
    response = shop.post("/api/v1/feed/upload", content=b"")

    assert response.status_code == 400
    assert shop.get("/api/v1/feed").json()["runs"] == []


def test_an_rss_feed_with_google_fields_is_applied(shop: Shop, feed_host: FeedHost) -> None:
    rss = b"""<?xml version="1.0"?>
    <rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>
      <item><g:id>CUP</g:id><g:title>Cup</g:title><g:link>https://shop.example/cup</g:link>
        <g:price>4.50 EUR</g:price><g:brand>Potter</g:brand>
        <g:product_type>Home &gt; Kitchen</g:product_type></item>
    </channel></rss>"""
    shop.put_feed(feed_host.serve(gzip.compress(rss), content_type="application/octet-stream"))

    run = shop.sync()

    cup = shop.product("CUP")
    assert run["created"] == 1
    assert (cup["price"], cup["currency"], cup["vendor"]) == ("4.50", "EUR", "Potter")


def test_the_runs_list_newest_first_with_their_counts(shop: Shop, feed_host: FeedHost) -> None:
    shop.put_feed(feed_host.serve(feed(MUG)))
    first = shop.sync()
    second = shop.sync()

    runs = shop.get("/api/v1/feed").json()["runs"]

    assert [run["id"] for run in runs] == [second["id"], first["id"]]
    assert {"started_at", "finished_at", "rows_read", "rejected", "errors"} <= set(runs[0])
    assert runs[1]["finished_at"] >= runs[1]["started_at"]


def test_a_sync_without_a_feed_url_is_refused(shop: Shop) -> None:
    response = shop.post("/api/v1/feed/sync")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_feed_configured"


def test_the_feed_api_needs_the_store_key_and_shows_only_its_store(
    shop: Shop, feed_host: FeedHost, engine: Any
) -> None:
    from tests.feeds.conftest import new_shop

    shop.put_feed(feed_host.serve(feed(MUG)))
    shop.sync()
    other = new_shop(shop.server, engine)

    assert shop.http.get("/api/v1/feed").status_code == 401
    assert other.get("/api/v1/feed").json() == {"feed": None, "runs": []}
    run_id = shop.get("/api/v1/feed").json()["runs"][0]["id"]
    assert other.get(f"/api/v1/feed/runs/{run_id}").status_code == 404
    other.http.close()


@pytest.mark.parametrize("run_id", ["0", "-1", "9223372036854775807", "9223372036854775808"])
def test_a_run_number_no_run_has_is_404(shop: Shop, run_id: str) -> None:
    response = shop.get(f"/api/v1/feed/runs/{run_id}")

    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found", "reason": f"no feed run {run_id}"}
