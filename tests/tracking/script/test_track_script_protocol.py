"""track.js speaks the `_rmData` protocol and sends what the collector expects."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.tracking.script.conftest import Collected, Site, StorePage

pytestmark = pytest.mark.browser

PRODUCT = {
    "productId": "42",
    "productName": "Mug",
    "productCategories": ["Kitchen"],
    "productCategoriesIds": ["7"],
}


def now_ms() -> int:
    return int(time.time() * 1000)


def typed_data(request: Collected) -> list[tuple[str, Any]]:
    return [(event["type"], event["data"]) for event in request.events]


def test_commands_queued_before_the_script_loads_are_replayed_in_order_in_one_request(
    shop: StorePage, site: Site, store_id: str
) -> None:
    before = now_ms()
    url = shop.open(
        store_id,
        f"""
        _rmData.push(['productView', {PRODUCT}]);
        _rmData.push(['track', 'categoryView', {{category_id: '7', category_name: 'Kitchen'}}]);
        _rmData.push(['track', 'siteSearch', {{search_keyword: 'mug', products: [{{id: '42'}}]}}]);
        _rmData.push(['track', 'carts/update']);
        """,
    )

    [request] = shop.settle(store_id)
    after = now_ms()
    assert request.method == "POST"
    assert request.content_type == "text/plain;charset=UTF-8"
    payload = request.payload
    assert list(payload) == ["v", "s", "page", "events"]
    assert payload["page"] == {"url": url, "referrer": "", "title": "A store page"}
    assert typed_data(request) == [
        ("productView", PRODUCT),
        ("categoryView", {"category_id": "7", "category_name": "Kitchen"}),
        ("siteSearch", {"search_keyword": "mug", "products": [{"id": "42"}]}),
        ("carts/update", {}),
    ]
    assert all(list(event) == ["type", "data", "at"] for event in request.events)
    assert all(before <= event["at"] <= after for event in request.events)


def test_a_command_pushed_after_the_script_loaded_is_sent_at_once_in_its_own_request(
    shop: StorePage, site: Site, store_id: str
) -> None:
    shop.open(store_id, "_rmData.push(['productView', {productId: '1'}]);")
    site.wait_for(store_id, 1)

    pushed_at = time.monotonic()
    returned = shop.push("['track', 'carts/create', {cart_id: 'c1', total_price: '9.50'}]")
    requests = site.wait_for(store_id, 2)

    assert requests[1].received_at - pushed_at < 1.0
    assert typed_data(requests[1]) == [("carts/create", {"cart_id": "c1", "total_price": "9.50"})]
    assert returned == [3]
    assert len(shop.settle(store_id)) == 2


def test_commands_pushed_in_one_task_arrive_in_one_request(
    shop: StorePage, site: Site, store_id: str
) -> None:
    shop.open(store_id)

    shop.push(
        "['setCustomerEmail', 'ann@example.com']",
        "['track', 'newsletter/subscribe', {email: 'ann@example.com'}]",
        "['track', 'customers/update', {accepts_marketing: true}], ['track', 'wishlist', {n: 1}]",
    )

    [request] = shop.settle(store_id)
    assert typed_data(request) == [
        ("identify", {"email": "ann@example.com"}),
        ("newsletter/subscribe", {"email": "ann@example.com"}),
        ("customers/update", {"accepts_marketing": True}),
        ("wishlist", {"n": 1}),
    ]


def test_each_way_of_identifying_the_visitor_becomes_an_identify_event(
    shop: StorePage, store_id: str
) -> None:
    shop.open(
        store_id,
        """
        _rmData.push(['setCustomer', 'ann@example.com']);
        _rmData.push(['setCustomer', {email: 'bob@example.com', first_name: 'Bob',
            last_name: 'Stone', accepts_marketing: true, id: 17, tags: ['vip']}]);
        _rmData.push(['setCustomerEmail', ' cy@example.com ']);
        _rmData.push(['setCustomerId', 1234]);
        _rmData.push(['setCustomerId', 'cust-9']);
        """,
    )

    [request] = shop.settle(store_id)
    assert typed_data(request) == [
        ("identify", {"email": "ann@example.com"}),
        (
            "identify",
            {
                "email": "bob@example.com",
                "first_name": "Bob",
                "last_name": "Stone",
                "accepts_marketing": True,
                "id": 17,
                "tags": ["vip"],
            },
        ),
        ("identify", {"email": "cy@example.com"}),
        ("identify", {"customer_id": "1234"}),
        ("identify", {"customer_id": "cust-9"}),
    ]


def test_data_changed_by_the_page_after_the_push_is_sent_as_it_was_pushed(
    shop: StorePage, store_id: str
) -> None:
    shop.open(store_id)
    shop.wait_for_script()

    shop.page.evaluate(
        """() => {
        const cart = {cart_id: 'c1', line_items: [{product_id: '42', quantity: 1}]};
        _rmData.push(['track', 'carts/update', cart]);
        cart.line_items[0].quantity = 5;
    }"""
    )

    [request] = shop.settle(store_id)
    assert request.events[0]["data"] == {
        "cart_id": "c1",
        "line_items": [{"product_id": "42", "quantity": 1}],
    }


def test_commands_before_the_store_key_are_held_until_it_is_known(
    shop: StorePage, site: Site, store_id: str
) -> None:
    shop.open(
        None,
        "_rmData.push(['productView', {productId: '42'}]); _rmData.push(['setCustomerId', 'c-1']);",
    )
    shop.wait_for_script()
    shop.page.wait_for_timeout(300)
    assert site.received(store_id) == []

    shop.push(f"['setStoreKey', '{store_id}']")

    [request] = shop.settle(store_id)
    assert typed_data(request) == [
        ("productView", {"productId": "42"}),
        ("identify", {"customer_id": "c-1"}),
    ]


def test_a_page_that_loads_the_script_before_queueing_anything_is_tracked(
    shop: StorePage, site: Site, store_id: str
) -> None:
    shop.open_html(
        "<!doctype html><html><head><script src='/track.js'></script></head><body><script>"
        f"var _rmData = _rmData || []; _rmData.push(['setStoreKey', '{store_id}']);"
        "_rmData.push(['productView', {productId: '42'}]);</script></body></html>"
    )

    [request] = shop.settle(store_id)
    assert typed_data(request) == [("productView", {"productId": "42"})]


def test_events_pushed_before_a_new_store_key_go_to_the_earlier_store(
    shop: StorePage, site: Site, store_id: str
) -> None:
    other_store = store_id + "-other"
    shop.open(store_id)

    shop.push(
        "['productView', {productId: '1'}]",
        f"['setStoreKey', '{other_store}']",
        "['productView', {productId: '2'}]",
    )

    [first] = site.wait_for(store_id, 1)
    assert typed_data(first) == [("productView", {"productId": "1"})]
    [second] = shop.settle(other_store)
    assert typed_data(second) == [("productView", {"productId": "2"})]
    assert first.payload["v"] == second.payload["v"]


def test_store_ids_are_escaped_in_the_collector_url(shop: StorePage, site: Site) -> None:
    shop.open("shop one/β", "_rmData.push(['productView', {productId: '1'}]);")

    [request] = site.wait_for("shop%20one%2F%CE%B2", 1)
    assert typed_data(request) == [("productView", {"productId": "1"})]


def test_events_go_to_the_origin_the_script_came_from_not_the_page_origin(
    shop: StorePage, site: Site, store_id: str
) -> None:
    shop.open(
        store_id,
        "_rmData.push(['productView', {productId: '42'}]);",
        script_src=f"{site.base_url}/track.js",
        base=site.other_origin,
    )

    [request] = site.wait_for(store_id, 1)
    assert request.host == site.base_url.removeprefix("http://")
    assert request.origin == site.other_origin
    assert request.content_type == "text/plain;charset=UTF-8"
    assert typed_data(request) == [("productView", {"productId": "42"})]


def test_the_script_is_found_by_its_url_when_current_script_is_unavailable(
    shop: StorePage, site: Site, store_id: str
) -> None:
    shop.page.add_init_script(
        "Object.defineProperty(Document.prototype, 'currentScript', {get: () => null});"
    )

    shop.open(
        store_id,
        "_rmData.push(['productView', {productId: '42'}]);",
        script_src=f"{site.base_url}/track.js?v=3",
        base=site.other_origin,
    )

    [request] = site.wait_for(store_id, 1)
    assert request.host == site.base_url.removeprefix("http://")


@pytest.mark.parametrize(
    "beacon",
    [
        "delete Navigator.prototype.sendBeacon;",
        "Navigator.prototype.sendBeacon = function () { return false; };",
    ],
    ids=["missing", "refusing"],
)
def test_without_a_working_send_beacon_events_go_by_fetch_as_plain_text_without_cookies(
    shop: StorePage, site: Site, store_id: str, beacon: str
) -> None:
    shop.page.add_init_script(beacon)

    shop.open(store_id, "_rmData.push(['productView', {productId: '42'}]);")

    [request] = shop.settle(store_id)
    assert request.method == "POST"
    assert request.content_type == "text/plain;charset=UTF-8"
    assert request.cookie is None
    assert typed_data(request) == [("productView", {"productId": "42"})]
    assert shop.errors() == []


def test_loading_the_script_twice_sends_each_event_once(
    shop: StorePage, site: Site, store_id: str
) -> None:
    shop.open(store_id, "_rmData.push(['productView', {productId: '42'}]);", copies=2)
    site.wait_for(store_id, 1)

    shop.push("['track', 'carts/update', {cart_id: 'c1'}]")

    requests = shop.settle(store_id)
    assert [typed_data(request) for request in requests] == [
        [("productView", {"productId": "42"})],
        [("carts/update", {"cart_id": "c1"})],
    ]
    assert shop.page.evaluate("document.querySelectorAll('script[src]').length") == 2


def test_the_script_adds_no_globals_beyond_the_queue(shop: StorePage, store_id: str) -> None:
    globals_of_page = "() => Object.getOwnPropertyNames(window).sort()"
    shop.open(store_id, copies=0)
    without_script = shop.page.evaluate(globals_of_page)

    shop.open(store_id)
    shop.wait_for_script()

    assert shop.page.evaluate(globals_of_page) == without_script
