"""The collector's rules as plain functions: crawlers, origins, topics, times, cart ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from winback.errors import InvalidPayload
from winback.intake.topics import Topic
from winback.tracking.bots import is_crawler
from winback.tracking.events import ServerOnlyType, browser_topic, event_times, with_cart_id
from winback.tracking.origins import allowed_origin, origin_refused
from winback.tracking.payloads import identify_payload

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "AdsBot-Google (+http://www.google.com/adsbot.html)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (compatible; PetalBot;)",
        "python-requests/2.31.0",
        "Mozilla/5.0 (X11; Linux x86_64) Chrome-Lighthouse",
    ],
)
def test_crawlers_that_say_what_they_are_are_recognised(agent: str) -> None:
    assert is_crawler(agent)


@pytest.mark.parametrize(
    "agent",
    [
        CHROME,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 Chrome/126.0 Mobile",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/126.0 Safari/537.36",
        "",
    ],
)
def test_browsers_are_not_taken_for_crawlers(agent: str) -> None:
    assert not is_crawler(agent)
    assert not is_crawler(None)


@pytest.mark.parametrize(
    ("domain", "origin", "allowed"),
    [
        (None, "https://anything.example", "*"),
        ("", None, "*"),
        ("shop.example", "https://shop.example", "https://shop.example"),
        ("https://www.Shop.example/", "https://shop.example", "https://shop.example"),
        ("shop.example", "https://eu.shop.example:8443", "https://eu.shop.example:8443"),
        ("shop.example", "https://notshop.example", None),
        ("shop.example", "https://shop.example.evil.test", None),
        ("shop.example", "null", None),
        # a domain in its own letters: browsers send the host in its ASCII (IDNA) form
        ("bücher.example", "https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        ("straße.example", "https://xn--strae-oqa.example", "https://xn--strae-oqa.example"),
        ("shop.example", "http://[", None),
        # a fully qualified name, with its final dot, names the same host
        ("ACME.Example.", "https://acme.example", "https://acme.example"),
        ("acme.example", "https://acme.example.", "https://acme.example."),
    ],
)
def test_a_store_allows_its_own_pages_and_subdomains(
    domain: str | None, origin: str | None, allowed: str | None
) -> None:
    assert allowed_origin(domain, origin) == allowed


def test_a_request_without_an_origin_is_not_refused_it_is_not_a_browser_page() -> None:
    assert not origin_refused("shop.example", None)
    assert origin_refused("shop.example", "https://other.example")


@pytest.mark.parametrize(
    ("event_type", "topic"),
    [
        ("identify", Topic.CUSTOM),
        ("productView", Topic.CUSTOM),
        ("siteSearch", Topic.CUSTOM),
        ("carts/update", Topic.CART_UPDATE),
        ("carts/created", Topic.CART_CREATE),
        ("customers/update", Topic.CUSTOMER_UPDATE),
        ("newsletter/subscribe", Topic.SUBSCRIBE),
        ("wishlist/added", Topic.CUSTOM),
    ],
)
def test_browser_types_keep_their_topic(event_type: str, topic: Topic) -> None:
    assert browser_topic(event_type, 0) is topic


@pytest.mark.parametrize("event_type", ["orders/create", "products/deleted", "customers/delete"])
def test_server_types_are_refused_with_the_events_pointer(event_type: str) -> None:
    with pytest.raises(ServerOnlyType) as refused:
        browser_topic(event_type, 3)
    assert refused.value.pointer == "/events/3/type"


def test_event_times_keep_the_gaps_and_date_the_newest_on_arrival() -> None:
    arrival = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    times = event_times([1_000, None, 4_000, 3_500], arrival)

    assert times == [
        arrival - timedelta(seconds=3),
        arrival,
        arrival,
        arrival - timedelta(milliseconds=500),
    ]


def test_an_event_is_never_dated_more_than_a_day_back() -> None:
    arrival = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    [old, new] = event_times([0, 10 * 24 * 3600 * 1000], arrival)

    assert (old, new) == (arrival - timedelta(days=1), arrival)


def test_a_cart_without_an_id_is_its_token_or_the_visitors() -> None:
    assert with_cart_id({"id": 5}, "v1")["id"] == 5
    assert with_cart_id({"cart_token": "tok"}, "v1")["id"] == "tok"
    assert with_cart_id({"id": ""}, "v1")["id"] == "visitor-v1"


def test_identify_takes_an_email_an_object_or_a_customer_id() -> None:
    assert identify_payload({"email": "Ada@Example.com"}).email == "ada@example.com"
    assert identify_payload({"customer_id": 7}).id == "7"
    named = identify_payload({"id": 7, "email": "ada@example.com", "first_name": "Ada"})
    assert (named.id, named.first_name) == ("7", "Ada")
    with pytest.raises(InvalidPayload):
        identify_payload({"first_name": "Ada"})
