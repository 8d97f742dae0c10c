"""429: too many requests from one IP address, or events from one visitor; others go on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

import tests.conftest as shared
from tests.conftest import LiveServer
from tests.intake.logbook import another_store
from tests.tracking.conftest import Shopper, log_of

VIEW = ("productView", {"productId": "1"})


@pytest.fixture(scope="module")
def limited_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Bursts of 4 events per visitor and 6 requests per IP, then one per 100 seconds."""
    settings = shared.settings_for(
        database_url,
        tmp_path_factory.mktemp("limited-collector"),
        tracking_visitor_per_second=0.01,
        tracking_visitor_burst=4,
        tracking_ip_per_second=0.01,
        tracking_ip_burst=6,
    )
    with shared.serving(settings) as server:
        yield server


def from_ip(shopper: Shopper, address: str) -> Shopper:
    """Requests as if from ``address``: uvicorn trusts X-Forwarded-For from loopback."""
    shopper.http.headers["x-forwarded-for"] = address
    return shopper


def test_a_visitor_over_its_event_limit_gets_429_with_retry_after(
    limited_server: LiveServer, engine: Engine
) -> None:
    store = another_store(limited_server, engine)
    shopper = from_ip(Shopper(store), "203.0.113.1")

    # when a visitor sends 3 events, then 2 more (5 > its burst of 4)
    first = shopper.send(VIEW, VIEW, VIEW)
    second = shopper.send(VIEW, VIEW)

    # then the first batch is kept and the second refused, and not stored
    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json()["error"]["code"] == "rate_limited"
    assert "visitor" in second.json()["error"]["reason"]
    assert int(second.headers["retry-after"]) >= 1
    assert second.headers["access-control-allow-origin"] == "*"
    store.wait_applied()
    assert len(log_of(store)) == 3


def test_another_visitor_is_not_slowed_by_one_over_its_limit(
    limited_server: LiveServer, engine: Engine
) -> None:
    store = another_store(limited_server, engine)
    busy = from_ip(Shopper(store), "203.0.113.2")
    quiet = from_ip(Shopper(store), "203.0.113.2")
    busy.send(VIEW, VIEW, VIEW, VIEW)

    assert busy.send(VIEW).status_code == 429
    assert quiet.send(VIEW).status_code == 200


def test_an_ip_over_its_request_limit_gets_429_whoever_the_visitors_are(
    limited_server: LiveServer, engine: Engine
) -> None:
    store = another_store(limited_server, engine)

    statuses = [from_ip(Shopper(store), "198.51.100.7").send(VIEW).status_code for _ in range(7)]
    elsewhere = from_ip(Shopper(store), "198.51.100.8").send(VIEW)

    assert statuses == [200] * 6 + [429]
    assert elsewhere.status_code == 200


def test_an_ip_over_its_limit_is_refused_before_its_body_is_read_or_logged(
    limited_server: LiveServer, engine: Engine
) -> None:
    store = another_store(limited_server, engine)
    shopper = from_ip(Shopper(store), "198.51.100.9")
    for _ in range(6):
        shopper.post(b"not json")

    refused = shopper.post(b"not json")

    assert refused.status_code == 429
    assert "IP address" in refused.json()["error"]["reason"]
    assert len(log_of(store)) == 6
