"""End to end in headless Chromium: a store's pages with the snippet, and winback behind it.

The pages come from the store's own server (another origin than winback's) and
embed the snippet exactly as ``winback store create`` prints it; winback serves
the script and collects the events; the tests then read winback's API.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from tests.conftest import LiveServer, StoreClient
from tests.tracking.conftest import kinds_and_types, log_of, timeline
from tests.tracking.storefront import Storefront, slow_link, store_page, storefront
from winback.tracking.script import snippet

pytestmark = pytest.mark.browser

MUG = {"productId": "42", "productName": "Mug", "productCategories": ["Kitchen"]}
TEAPOT = {"productId": "43", "productName": "Teapot", "productCategories": ["Kitchen"]}
ADA = {"email": "ada@example.com", "first_name": "Ada", "id": "cust-1001"}
CART = {
    "id": "cart-77",
    "currency": "EUR",
    "line_items": [
        {"product_id": "42", "quantity": 2, "price": "8.00", "name": "Mug"},
        {"product_id": "43", "quantity": 1, "price": "8.00", "name": "Teapot"},
    ],
    "total_price": "24.00",
}


@pytest.fixture(scope="module")
def site() -> Iterator[Storefront]:
    with storefront() as running:
        yield running


class Tab:
    """A shopper's tab: pages it opens, what they threw, what the console complained of."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.thrown: list[str] = []
        self.console_errors: list[str] = []
        page.on("pageerror", lambda error: self.thrown.append(str(error)))
        page.on("console", self._heard)

    def _heard(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def open(self, url: str) -> None:
        self.page.goto(url, wait_until="load")

    def queued_before_load(self) -> bool:
        return bool(self.page.evaluate("window.__queuedBeforeLoad"))

    def push(self, *commands: Any) -> None:
        """Push commands once the script has loaded, as a page does on a click."""
        self.page.wait_for_function("() => _rmData.push !== Array.prototype.push")
        self.page.evaluate("(commands) => commands.forEach((c) => _rmData.push(c))", commands)


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    context = browser.new_context()
    yield Tab(context.new_page())
    context.close()


def pushes(*commands: list[Any]) -> str:
    """The page's own ``_rmData.push`` calls, written into it."""
    return "".join(f"_rmData.push({json.dumps(command)});" for command in commands)


def wait_for_log(store: StoreClient, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The store's log once it holds ``count`` entries, all applied or refused."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entries = log_of(store)
        if len(entries) >= count and all(e["outcome"] != "pending" for e in entries):
            return entries
        time.sleep(0.05)
    raise AssertionError(f"expected {count} log entries, got {log_of(store)}")


def test_a_shoppers_visit_from_anonymous_views_to_login_cart_and_search_is_one_timeline(
    tab: Tab, site: Storefront, server: LiveServer, store: StoreClient
) -> None:
    paste = snippet(store.store_id, server.url)

    # an anonymous visitor views a product (pushed before the script loads) ...
    tab.open(site.add(store_page(paste, "Mug", pushes(["productView", MUG]))))
    assert tab.queued_before_load()
    # ... then a category (pushed after it loaded), and another product
    tab.push(["track", "categoryView", {"category_id": "7", "category_name": "Kitchen"}])
    wait_for_log(store, 2)
    tab.open(site.add(store_page(paste, "Teapot", pushes(["productView", TEAPOT]))))
    wait_for_log(store, 3)
    # logs in, and puts both in the cart
    tab.open(site.add(store_page(paste, "Account", pushes(["setCustomer", ADA]))))
    wait_for_log(store, 4)
    tab.push(["track", "carts/update", CART])
    wait_for_log(store, 5)
    # and searches
    search = {"search_keyword": "saucer", "products": [{"id": "44"}]}
    tab.open(site.add(store_page(paste, "Search", pushes(["track", "siteSearch", search]))))
    entries = wait_for_log(store, 6)
    # then the store's server reports the order
    placed = datetime.now(UTC).isoformat()
    order = {"id": "o-1", "created_at": placed, "customer": {"id": "cust-1001"}}
    assert store.send("orders/create", order).status_code == 200

    # the timeline: everything the visitor did, before and after logging in, and the order
    items = timeline(store, "cust-1001")
    assert kinds_and_types(items) == [
        ("order", "order"),
        ("activity", "siteSearch"),
        ("cart", "cart"),
        ("activity", "identify"),
        ("activity", "productView"),
        ("activity", "categoryView"),
        ("activity", "productView"),
    ]
    assert [items[4]["data"], items[6]["data"]] == [TEAPOT, MUG]
    assert items[1]["data"] == search
    # all of it from the one browser, the visitor of the _wb_vid cookie
    [cookie] = [c for c in tab.page.context.cookies(site.base_url) if c["name"] == "_wb_vid"]
    visitor = cookie["value"]
    assert {item["visitor_id"] for item in items if item["kind"] == "activity"} == {visitor}
    assert {entry["headers"]["x-visitor-id"] for entry in entries} == {visitor}
    assert all(entry["source"] == "browser" for entry in entries)
    # the identity join: the contact, and the cart that is theirs and was bought
    customer = store.get("/api/v1/customers/cust-1001").json()
    assert (customer["email"], customer["first_name"]) == ("ada@example.com", "Ada")
    cart = store.get("/api/v1/carts/cart-77").json()
    assert (cart["customer_id"], cart["total_price"]) == ("cust-1001", "24.00")
    assert cart["currency"] == "EUR"
    assert cart["status"] == "converted"
    assert [line["product_id"] for line in cart["line_items"]] == ["42", "43"]
    assert tab.thrown == []
    assert tab.console_errors == []


def test_garbage_commands_throw_nothing_into_the_page_and_the_good_events_are_kept(
    tab: Tab, site: Storefront, server: LiveServer, store: StoreClient
) -> None:
    garbage = """
        _rmData.push(null, 42, 'productView', [], [null], ['noSuchCommand', 1]);
        _rmData.push(['productView'], ['productView', 'not an object'], ['track', 42]);
        _rmData.push(['track', 'x', 'not an object'], ['setCustomerEmail', 'not an email']);
        _rmData.push(['setCustomer', {first_name: 'No email'}]);
        _rmData.push(['track', 'orders/create', {id: 'o-from-a-browser'}]);
        _rmData.push(['productView', {productId: '42'}]);
    """

    tab.open(site.add(store_page(snippet(store.store_id, server.url), "Shop", garbage)))
    tab.push(["setCustomerId", {"not": "an id"}], ["productView", {"productId": "43"}])
    entries = wait_for_log(store, 4)

    assert tab.thrown == []
    kept = sorted(e["event_type"] for e in entries if e["outcome"] == "applied")
    refused = sorted((e["event_type"], e["pointer"]) for e in entries if e["outcome"] == "rejected")
    assert kept == ["productView", "productView"]
    assert refused == [("identify", "/events/0/data/email"), ("orders/create", "/events/1/type")]
    assert store.get("/api/v1/orders/o-from-a-browser").status_code == 404


@pytest.mark.parametrize(
    "beacon", ["", "delete Navigator.prototype.sendBeacon;"], ids=["beacon", "fetch"]
)
def test_a_slow_collector_does_not_delay_the_pages_load(
    tab: Tab, site: Storefront, server: LiveServer, store: StoreClient, beacon: str
) -> None:
    delay = 3.0
    tab.page.add_init_script(beacon)
    # The image holds the load event back until the script has sent its request.
    image = '<img src="/slow.gif?seconds=0.5">'
    with slow_link(server.url, delay) as slow_winback:
        paste = snippet(store.store_id, slow_winback)
        started = time.monotonic()
        tab.open(site.add(store_page(paste, "Mug", pushes(["productView", MUG]), image)))
        loaded = time.monotonic() - started

        [entry] = wait_for_log(store, 1, timeout=delay + 10)

    assert loaded < delay - 1
    assert entry["event_type"] == "productView"
    assert tab.thrown == []


def test_a_page_on_another_origin_may_read_the_collectors_answers(
    tab: Tab, site: Storefront, server: LiveServer, store: StoreClient
) -> None:
    tab.open(site.add(store_page(snippet(store.store_id, server.url), "Shop")))
    batch = {"v": "f" * 32, "events": [{"type": "productView", "data": MUG}]}

    answers = tab.page.evaluate(
        """async ([url, body]) => {
            const post = (type) => fetch(url, {method: 'POST', mode: 'cors', body,
                                               headers: {'Content-Type': type}});
            const plain = await post('text/plain;charset=UTF-8');
            const json = await post('application/json');  // preflighted
            return [plain.status, (await plain.json()).event_ids.length,
                    json.status, (await json.json()).status];
        }""",
        [f"{server.url}/collect/{store.store_id}", json.dumps(batch)],
    )

    assert answers == [200, 1, 200, "accepted"]
    assert tab.console_errors == []
