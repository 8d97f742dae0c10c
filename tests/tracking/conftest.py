"""Fixtures for the collector's tests: a shopper's browser, seen from the collector's side."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import StoreClient
from tests.intake.conftest import no_event_failed_to_apply, other_store

__all__ = ["no_event_failed_to_apply", "other_store"]

PLAIN_TEXT = "text/plain;charset=UTF-8"
BROWSER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)

Event = tuple[str, dict[str, Any]]


def now_ms() -> int:
    return int(time.time() * 1000)


class Shopper:
    """One visitor's browser posting batches to a store's collector, as track.js does."""

    def __init__(self, store: StoreClient, *, origin: str = "https://shop.example") -> None:
        self.store = store
        self.visitor_id = secrets.token_hex(16)
        self.session_id = secrets.token_hex(16)
        self.origin = origin
        self.http = httpx.Client(base_url=store.server.url, timeout=10)
        self._clock = now_ms()

    def batch(self, *events: Event, page: str = "/") -> dict[str, Any]:
        """The request body for ``events``, stamped by the clock, each later than the last."""
        stamped = []
        for event_type, data in events:
            self._clock = max(now_ms(), self._clock + 1)
            stamped.append({"type": event_type, "data": data, "at": self._clock})
        return {
            "v": self.visitor_id,
            "s": self.session_id,
            "page": {"url": self.origin + page, "referrer": "", "title": "A store page"},
            "events": stamped,
        }

    def send(self, *events: Event, page: str = "/", **headers: str) -> httpx.Response:
        return self.post(orjson.dumps(self.batch(*events, page=page)), **headers)

    def post(self, body: bytes, **headers: str) -> httpx.Response:
        sent = {
            "content-type": PLAIN_TEXT,
            "origin": self.origin,
            "user-agent": BROWSER_AGENT,
        } | {name.replace("_", "-"): value for name, value in headers.items()}
        return self.http.post(f"/collect/{self.store.store_id}", content=body, headers=sent)

    def accepted(self, *events: Event, page: str = "/") -> list[int]:
        """Send and expect every event kept; returns their ids."""
        response = self.send(*events, page=page)
        assert response.status_code == 200, response.text
        assert response.json()["refused"] == []
        ids: list[int] = response.json()["event_ids"]
        assert len(ids) == len(events)
        return ids


@pytest.fixture
def shopper(store: StoreClient) -> Iterator[Shopper]:
    browser = Shopper(store)
    yield browser
    browser.http.close()


def timeline(store: StoreClient, customer_id: str, **params: Any) -> list[dict[str, Any]]:
    """The shopper's timeline, newest first (first page)."""
    store.wait_applied()
    response = store.get(f"/api/v1/customers/{customer_id}/activity", **params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def kinds_and_types(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(item["kind"], item["type"]) for item in items]


def log_of(store: StoreClient, **params: Any) -> list[dict[str, Any]]:
    """The store's integration log, newest first."""
    response = store.get("/api/v1/events", limit=500, **params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
