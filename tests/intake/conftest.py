"""Fixtures the contract tests share: a second store, and a guard against failed applies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.conftest import LiveServer, StoreClient
from tests.intake.logbook import another_store


@pytest.fixture
def other_store(server: LiveServer, engine: Engine) -> Iterator[StoreClient]:
    client = another_store(server, engine)
    yield client
    client.http.close()


@pytest.fixture(autouse=True)
def no_event_failed_to_apply(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test with a store, no event of it may have failed to apply (an apply error).

    Tests that expect a bug (xfail) check their own outcomes.
    """
    if "store" not in request.fixturenames or request.node.get_closest_marker("xfail"):
        yield
        return
    store: StoreClient = request.getfixturevalue("store")
    yield
    failed = [
        (entry["event_type"], entry["reason"])
        for entry in store.get("/api/v1/events", outcome="failed").json()["items"]
    ]
    assert failed == [], f"events failed to apply: {failed}"
