"""track.js runs on pages it does not own: it never throws, never delays loading, stays small."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.tracking.script.conftest import Site, StorePage

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).resolve().parents[3] / "src/winback/tracking/static/track.js"

GARBAGE = [
    "null",
    "undefined",
    "'x'",
    "42",
    "{}",
    "[]",
    "['track']",
    "[{}]",
    "['setCustomer', 42]",
    "['setCustomer', null]",
    "['setCustomer', '']",
    "['setCustomerEmail', 'not an email']",
    "['setCustomerId', {}]",
    "['setStoreKey', '']",
    "['productView']",
    "['productView', 'mug']",
    "['track', '', {}]",
    "['track', 'x', 'not an object']",
    "['track', 'x', [1, 2]]",
    "['nope', 1]",
    "['toString']",
    "['__proto__']",
    "['track', 'big', {n: 10n}]",
    "(() => { const loop = {}; loop.self = loop; return ['track', 'loop', loop]; })()",
    "['productView', {get productId() { throw new Error('boom'); }}]",
    "new Proxy([], {get() { throw new Error('trap'); }})",
]
VALID = "['productView', {productId: '42'}]"


def pushes(commands: list[str]) -> str:
    return " ".join(f"_rmData.push({command});" for command in commands)


def test_garbage_commands_throw_nothing_and_later_commands_still_work(
    shop: StorePage, site: Site, store_id: str
) -> None:
    warnings: list[str] = []
    shop.page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    shop.open(store_id, pushes([*GARBAGE, VALID]))
    site.wait_for(store_id, 1)

    returned = shop.push(*GARBAGE, "", "['track', 'carts/update', {cart_id: 'c1'}]")

    assert [type(value) for value in returned] == [int] * (len(GARBAGE) + 2)
    queued_before_load = 1 + len(GARBAGE) + 1
    assert returned[-1] == queued_before_load + len(GARBAGE) + 0 + 1
    requests = shop.settle(store_id)
    assert [request.events for request in requests] == [
        [{"type": "productView", "data": {"productId": "42"}, "at": requests[0].events[0]["at"]}],
        [{"type": "carts/update", "data": {"cart_id": "c1"}, "at": requests[1].events[0]["at"]}],
    ]
    assert shop.errors() == []
    assert warnings == []


@pytest.mark.parametrize(
    "debug", ["_rmData.push(['setDebug', true]);", "window._wbDebug = true;"], ids=str
)
def test_in_debug_mode_each_ignored_command_is_reported_with_a_warning(
    shop: StorePage, site: Site, store_id: str, debug: str
) -> None:
    warnings: list[str] = []
    shop.page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)

    shop.open(store_id, debug + pushes(["null", "['setCustomer', 42]", "['nope']", VALID]))

    [request] = shop.settle(store_id)
    assert request.event_types == ["productView"]
    assert [warning.split(" ", 2)[:2] for warning in warnings] == [
        ["[winback]", "unknown"],
        ["[winback]", "bad"],
        ["[winback]", "unknown"],
    ]
    assert shop.errors() == []


@pytest.mark.parametrize(
    "beacon", ["", "delete Navigator.prototype.sendBeacon;"], ids=["beacon", "fetch"]
)
def test_a_slow_collector_does_not_delay_the_page_load_event(
    shop: StorePage, site: Site, store_id: str, beacon: str
) -> None:
    collector_delay = 3.0
    site.slow_stores[store_id] = collector_delay
    shop.page.add_init_script(beacon)
    # The image holds the load event back long enough for the script to have sent.
    image = '<img src="/slow.gif?seconds=0.5">'

    def load_time(copies: int) -> float:
        started = time.monotonic()
        shop.open(store_id, pushes([VALID]), copies=copies, body=image)
        return time.monotonic() - started

    without_script = load_time(copies=0)
    with_script = load_time(copies=1)
    loaded_at = time.monotonic()

    [request] = site.wait_for(store_id, 1)
    assert request.received_at < loaded_at
    assert with_script - without_script < 1.0
    assert with_script < collector_delay
    assert shop.errors() == []


@pytest.mark.parametrize(
    "leave",
    [
        "window.dispatchEvent(new Event('pagehide'));",
        "Object.defineProperty(document, 'visibilityState', {get: () => 'hidden'});"
        "document.dispatchEvent(new Event('visibilitychange'));",
    ],
    ids=["pagehide", "hidden"],
)
def test_leaving_the_page_sends_what_is_queued_at_once(
    shop: StorePage, site: Site, store_id: str, leave: str
) -> None:
    shop.open(store_id)
    shop.wait_for_script()

    beacons_sent_in_the_same_task = shop.page.evaluate(
        f"""() => {{
        let sent = 0;
        const send = navigator.sendBeacon.bind(navigator);
        navigator.sendBeacon = (url, body) => {{ sent += 1; return send(url, body); }};
        _rmData.push({VALID});
        {leave}
        return sent;
    }}"""
    )

    assert beacons_sent_in_the_same_task == 1
    [request] = shop.settle(store_id)
    assert request.event_types == ["productView"]


def test_the_script_is_at_most_3_kb_gzipped() -> None:
    gzipped = subprocess.run(
        ["gzip", "-9", "-c", str(SCRIPT)], check=True, capture_output=True
    ).stdout

    assert len(gzipped) <= 3 * 1024
