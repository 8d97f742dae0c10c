"""A feed that fails changes nothing, and its run says why."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import LiveServer
from tests.feeds.conftest import OUTBOUND_TIMEOUT, FeedHost, Shop, new_shop
from winback.storage.feeds import sync_lock

GOOD = (
    b"id,title,link,price\n"
    b"MUG,Mug,https://shop.example/mug,12.90 USD\n"
    b"JUG,Jug,https://shop.example/jug,20.00 USD\n"
)


def broken_pages() -> dict[str, dict[str, Any]]:
    more = b"".join(
        b"P%d,Pot %d,https://shop.example/p%d,1.00 USD\n" % (n, n, n) for n in range(500)
    )
    truncated_gzip = gzip.compress(GOOD.replace(b"12.90", b"1.00") + more)[:-40]
    return {
        "a server error": {"body": b"oops", "status": 500, "content_type": "text/plain"},
        "a missing page": {"body": b"gone", "status": 404, "content_type": "text/plain"},
        "an HTML page": {
            "body": b"<!DOCTYPE html><html><body>Log in</body></html>",
            "content_type": "text/html",
        },
        "an HTML page after a comment": {
            "body": b"<!-- cache: hit -->\n<!DOCTYPE html><html><body>Log in</body></html>",
            "content_type": "text/html",
        },
        "a truncated gzip": {"body": truncated_gzip, "content_type": "application/gzip"},
        "no id column": {"body": b"sku,title,link,price\nS1,Mug,https://s/m,1\n"},
        "semicolons between columns": {
            "body": b"id;title;link;price\nMUG;Mug;https://shop.example/mug;12,90 USD\n"
        },
        # (a stray quote: the rest of the file would be one cell, JUG would go missing)
        "a quoted value never closed": {
            "body": b'id,title,link,price\nMUG,"Mug 6"" tall,https://shop.example/mug,1.00 USD\n'
            b"JUG,Jug,https://shop.example/jug,2.00 USD\n"
        },
        "an answer slower than the timeout": {"body": GOOD, "delay": OUTBOUND_TIMEOUT + 1},
    }


REASONS = {
    "a server error": "the server answered 500",
    "a missing page": "the server answered 404",
    "an HTML page": "the URL returned an HTML page, not a feed",
    "a truncated gzip": "the feed is not a valid gzip file",
    "an HTML page after a comment": "the URL returned an HTML page, not a feed",
    "no id column": "the feed has no 'id' column",
    "semicolons between columns": (
        "the feed has no 'id' column; its header seems to be separated by semicolons, "
        "but a feed's columns must be separated by commas (CSV) or tabs (TSV) (line 1)"
    ),
    "a quoted value never closed": "line 2 opens a quoted value that the file never closes",
    "an answer slower than the timeout": "timed out",
}


@pytest.mark.parametrize("failure", list(REASONS))
def test_a_failing_feed_changes_nothing_and_the_run_says_why(
    shop: Shop, feed_host: FeedHost, failure: str
) -> None:
    url = feed_host.serve(GOOD)
    shop.put_feed(url)
    shop.sync()
    feed_host.serve(path=url.removeprefix(feed_host.url), **broken_pages()[failure])

    run = shop.sync()

    assert run["status"] == "failed"
    assert REASONS[failure] in run["reason"]
    assert (run["created"], run["updated"], run["made_unavailable"]) == (0, 0, 0)
    for product_id, price in (("MUG", "12.90"), ("JUG", "20.00")):
        product = shop.product(product_id)
        assert (product["status"], product["price"], product["title"]) == (
            "active",
            price,
            "Mug" if product_id == "MUG" else "Jug",
        )


def test_after_a_failed_fetch_the_next_sync_reads_the_feed_again(
    shop: Shop, feed_host: FeedHost
) -> None:
    url = feed_host.serve(GOOD)
    path = url.removeprefix(feed_host.url)
    shop.put_feed(url)
    shop.sync()
    feed_host.serve(b"<html>maintenance</html>", path=path, content_type="text/html")
    shop.sync()
    feed_host.serve(GOOD.replace(b"12.90", b"11.00"), path=path)

    run = shop.sync()

    assert (run["status"], run["updated"]) == ("succeeded", 1)
    assert shop.product("MUG")["price"] == "11.00"


def test_a_feed_with_no_valid_product_makes_nothing_unavailable(
    shop: Shop, feed_host: FeedHost
) -> None:
    url = feed_host.serve(GOOD)
    shop.put_feed(url)
    shop.sync()
    feed_host.serve(b"id,title,link,price\n", path=url.removeprefix(feed_host.url))

    run = shop.sync()

    assert (run["status"], run["made_unavailable"]) == ("succeeded", 0)
    assert "no product was made unavailable" in run["reason"]
    assert shop.product("MUG")["status"] == "active"


def test_a_feed_on_a_private_address_is_refused_unless_allowed(
    server: LiveServer, engine: Engine, feed_host: FeedHost
) -> None:
    # The session server keeps the default: outgoing calls reach public addresses only.
    shop = new_shop(server, engine)
    shop.put_feed(feed_host.serve(GOOD))
    fetched_before = len(feed_host.requests)

    run = shop.sync()

    assert run["status"] == "failed"
    allowed_by = "(setting WINBACK_OUTBOUND_ALLOW_PRIVATE=true allows them)"
    assert f"private addresses are not allowed {allowed_by}" in run["reason"]
    assert len(feed_host.requests) == fetched_before
    assert shop.get("/api/v1/products/MUG").status_code == 404
    shop.http.close()


def test_an_uploaded_html_page_is_refused_as_a_file(shop: Shop) -> None:
    # when the uploaded file is an HTML page
    run = shop.upload(b"<!DOCTYPE html><html><body>Log in</body></html>")

    # then the run says the file is one (there was no URL)
    assert (run["status"], run["reason"]) == ("failed", "the file is an HTML page, not a feed")


def test_an_upload_arriving_while_a_sync_runs_is_recorded_skipped_and_not_kept(
    shop: Shop, engine: Engine
) -> None:
    # given a sync of the store running (its lock held)
    with sync_lock(engine, shop.store_id) as held:
        assert held

        # when a file is uploaded
        skipped = shop.upload(GOOD)

    # then its run is skipped, nothing applied, and the same file must be sent again
    assert (skipped["status"], skipped["reason"]) == (
        "skipped",
        "another sync of this store was running",
    )
    assert shop.get("/api/v1/products/MUG").status_code == 404
    assert shop.upload(GOOD)["status"] == "succeeded"
