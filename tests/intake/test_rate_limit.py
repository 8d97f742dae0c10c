"""429: a store over its rate limit is told when to come back; other stores are not affected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

import tests.conftest as shared
from tests.conftest import LiveServer, StoreClient
from tests.intake.logbook import another_store


@pytest.fixture(scope="module")
def limited_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server allowing a burst of 2 events per store, then one per 100 seconds."""
    settings = shared.settings_for(
        database_url,
        tmp_path_factory.mktemp("limited"),
        rate_limit_per_second=0.01,
        rate_limit_burst=2,
    )
    with shared.serving(settings) as server:
        yield server


def customer(number: int) -> dict[str, object]:
    return {"id": number, "email": f"c{number}@example.com"}


def test_a_store_over_its_rate_limit_gets_429_with_retry_after(
    limited_server: LiveServer, engine: Engine
) -> None:
    store = another_store(limited_server, engine)

    # when a store sends more than its burst allows
    statuses = [store.send("customers/create", customer(n)).status_code for n in (1, 2)]
    refused = store.send("customers/create", customer(3))

    # then the events within the burst are accepted and the next one is refused
    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1

    # and the refused event was not stored
    store.wait_applied()
    assert store.get("/api/v1/customers/1").status_code == 200
    assert store.get("/api/v1/customers/3").status_code == 404


def test_one_store_over_its_limit_does_not_slow_another(
    limited_server: LiveServer, engine: Engine
) -> None:
    busy = another_store(limited_server, engine)
    quiet: StoreClient = another_store(limited_server, engine)
    for number in range(3):
        busy.send("customers/create", customer(number))

    assert quiet.send("customers/create", customer(1)).status_code == 200
