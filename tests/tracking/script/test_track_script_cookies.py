"""The visitor and session ids live in first-party cookies and are sent with every request."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.tracking.script.conftest import Site, StorePage

pytestmark = pytest.mark.browser

# The script asks for two years; Chromium caps every cookie's lifetime at 400 days.
VISITOR_LIFETIME = min(2 * 365 * 24 * 3600, 400 * 24 * 3600)
THIRTY_MINUTES = 30 * 60
PRODUCT_VIEW = "_rmData.push(['productView', {productId: '42'}]);"


def cookies(shop: StorePage) -> dict[str, dict[str, Any]]:
    return {cookie["name"]: dict(cookie) for cookie in shop.page.context.cookies()}


def test_the_visitor_keeps_one_visitor_cookie_and_one_session_across_page_loads(
    shop: StorePage, site: Site, store_id: str
) -> None:
    second_page = site.reserve_page()
    first_url = shop.open(store_id, PRODUCT_VIEW, body=f'<a href="{second_page}">next</a>')
    [first] = site.wait_for(store_id, 1)
    set_at = time.time()
    after_first = cookies(shop)

    site.pages[second_page] = shop.page.content()
    shop.page.click("a")
    shop.page.wait_for_url(f"**{second_page}")
    second = site.wait_for(store_id, 2)[1]

    visitor, session = after_first["_wb_vid"], after_first["_wb_sid"]
    assert re.fullmatch(r"[0-9a-f]{32}", visitor["value"])
    assert re.fullmatch(r"[0-9a-f]{32}", session["value"])
    assert visitor["value"] != session["value"]
    assert (first.payload["v"], first.payload["s"]) == (visitor["value"], session["value"])
    assert (second.payload["v"], second.payload["s"]) == (visitor["value"], session["value"])
    assert second.payload["page"]["referrer"] == first_url
    for cookie in (visitor, session):
        assert (cookie["path"], cookie["sameSite"], cookie["httpOnly"]) == ("/", "Lax", False)
    assert visitor["expires"] == pytest.approx(set_at + VISITOR_LIFETIME, abs=30)
    assert session["expires"] == pytest.approx(set_at + THIRTY_MINUTES, abs=30)
    assert shop.page.evaluate("document.cookie").count("_wb_vid=") == 1
    assert cookies(shop)["_wb_vid"] == visitor


def test_ids_already_in_cookies_are_used_and_the_visitor_cookie_is_not_rewritten(
    shop: StorePage, site: Site, store_id: str
) -> None:
    visitor_expires = time.time() + 1000
    shop.page.context.add_cookies(
        [
            {
                "name": "_wb_vid",
                "value": "visitor.1+/=",
                "url": site.base_url,
                "expires": visitor_expires,
            },
            {"name": "_wb_sid", "value": "session-1", "url": site.base_url},
        ]
    )

    shop.open(store_id, PRODUCT_VIEW)

    [request] = site.wait_for(store_id, 1)
    assert (request.payload["v"], request.payload["s"]) == ("visitor.1+/=", "session-1")
    after = cookies(shop)
    assert after["_wb_vid"]["value"] == "visitor.1+/="
    assert after["_wb_vid"]["expires"] == pytest.approx(visitor_expires, abs=1)
    assert after["_wb_sid"]["value"] == "session-1"
    assert after["_wb_sid"]["expires"] == pytest.approx(time.time() + THIRTY_MINUTES, abs=30)


def test_activity_renews_the_session_cookie(shop: StorePage, site: Site, store_id: str) -> None:
    shop.open(store_id, PRODUCT_VIEW)
    site.wait_for(store_id, 1)
    first_expiry = cookies(shop)["_wb_sid"]["expires"]
    time.sleep(1.5)

    shop.push("['track', 'carts/update', {cart_id: 'c1'}]")

    site.wait_for(store_id, 2)
    assert cookies(shop)["_wb_sid"]["expires"] - first_expiry >= 1


def test_a_visitor_whose_session_expired_gets_a_new_session_and_keeps_the_visitor_id(
    shop: StorePage, site: Site, store_id: str
) -> None:
    shop.open(store_id, PRODUCT_VIEW)
    [first] = site.wait_for(store_id, 1)

    shop.page.context.clear_cookies(name="_wb_sid")
    shop.open(store_id, PRODUCT_VIEW)

    second = site.wait_for(store_id, 2)[1]
    assert second.payload["v"] == first.payload["v"]
    assert second.payload["s"] != first.payload["s"]
    assert cookies(shop)["_wb_sid"]["value"] == second.payload["s"]


def test_a_page_that_cannot_store_cookies_still_sends_stable_ids(
    shop: StorePage, site: Site, store_id: str
) -> None:
    shop.page.add_init_script(
        "Object.defineProperty(Document.prototype, 'cookie', {get: () => '', set: () => {}});"
    )
    shop.open(store_id, PRODUCT_VIEW)
    [first] = site.wait_for(store_id, 1)

    shop.push("['track', 'carts/update', {cart_id: 'c1'}]")

    second = site.wait_for(store_id, 2)[1]
    assert re.fullmatch(r"[0-9a-f]{32}", first.payload["v"])
    assert (second.payload["v"], second.payload["s"]) == (first.payload["v"], first.payload["s"])
    assert cookies(shop) == {}
