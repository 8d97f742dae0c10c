"""A real store-side `/discounts` endpoint (the store kit's app under uvicorn) and a winback
that may call loopback addresses, with short timeouts so the fault tests stay quick.

Each test gets its own path on the store server (`/{token}/discounts`) whose
behaviour it can switch: answer as the kit does, refuse the key, answer HTML,
hang, fail with 500 a few times first, or always give one canned answer (any
status, body and headers: a 404, a 503 page, a redirect).
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from winback_storekit import DiscountRejected, DiscountRequest, DiscountsASGIApp

from tests.conftest import LiveServer, StoreClient, free_port, settings_for
from tests.intake.conftest import no_event_failed_to_apply, other_store
from winback.stores.service import create_store

__all__ = ["no_event_failed_to_apply", "other_store"]

STORE_KEY = "store-side-secret"
TIMEOUT = 1.0
KNOWN_RULES = {"TEN_OFF", "FREE_SHIPPING"}


@dataclass(frozen=True)
class Canned:
    """One fixed answer, whatever the request."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Behaviour:
    """What one test's `/discounts` does now, and what it has been asked."""

    mode: str = "kit"  # kit | wrong_key | html | slow | fail_first | canned | moved
    failures_left: int = 0
    canned: Canned = Canned(200)
    created: dict[str, DiscountRequest] = field(default_factory=dict)
    calls: list[float] = field(default_factory=list)

    def always_answer(
        self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        self.mode = "canned"
        self.canned = Canned(status, body, headers or {})

    def moved_to(self, status: int, url: str) -> None:
        """Redirect every call to ``url``, keeping its query string as servers moving a site do."""
        self.mode = "moved"
        self.canned = Canned(status, headers={"location": url})


class StoreSide:
    """The store's web server: routes `/{token}/discounts` to each test's behaviour."""

    def __init__(self) -> None:
        self.behaviours: dict[str, Behaviour] = {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="error",
            lifespan="off",
            interface="asgi3",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def new_endpoint(self) -> tuple[str, Behaviour]:
        token = secrets.token_hex(4)
        behaviour = Behaviour()
        self.behaviours[token] = behaviour
        return f"{self.url}/{token}", behaviour

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        token = scope["path"].strip("/").split("/")[0]
        behaviour = self.behaviours[token]
        behaviour.calls.append(time.monotonic())
        if behaviour.mode == "html":
            html = {"content-type": "text/html"}
            await _send(send, Canned(200, b"<html><body>Maintenance</body></html>", html))
        elif behaviour.mode == "slow":
            await asyncio.sleep(TIMEOUT * 5)
            json = {"content-type": "application/json"}
            await _send(send, Canned(200, b'{"is_success": true}', json))
        elif behaviour.mode == "canned":
            await _send(send, behaviour.canned)
        elif behaviour.mode == "moved":
            query = bytes(scope["query_string"]).decode("latin-1")
            location = behaviour.canned.headers["location"] + "?" + query
            await _send(send, Canned(behaviour.canned.status, headers={"location": location}))
        else:
            key = "rotated-by-the-store" if behaviour.mode == "wrong_key" else STORE_KEY
            await DiscountsASGIApp(key, _creator(behaviour))(scope, receive, send)


def _creator(behaviour: Behaviour) -> Any:
    def create_discount(request: DiscountRequest) -> None:
        if behaviour.mode == "fail_first" and behaviour.failures_left > 0:
            behaviour.failures_left -= 1
            raise RuntimeError("the store's database is restarting")
        if request.rule_id not in KNOWN_RULES:
            raise DiscountRejected(f"no discount rule {request.rule_id}")
        behaviour.created[request.code] = request

    return create_discount


async def _send(send: Any, answer: Canned) -> None:
    headers = [(name.encode(), value.encode()) for name, value in answer.headers.items()]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


@pytest.fixture(scope="session")
def store_side() -> Iterator[StoreSide]:
    side = StoreSide()
    side.thread.start()
    deadline = time.monotonic() + 20
    while not side.server.started:
        assert time.monotonic() < deadline, "the store-side server did not start"
        time.sleep(0.02)
    yield side
    side.server.should_exit = True
    side.thread.join(timeout=10)


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """winback allowed to call the loopback store, giving up on a call after a second."""
    settings = settings_for(
        database_url,
        tmp_path_factory.mktemp("data"),
        outbound_allow_private=True,
        outbound_timeout_seconds=TIMEOUT,
    )
    live = LiveServer(settings)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def store(server: LiveServer, engine: Engine) -> Iterator[StoreClient]:
    created, key = create_store(engine, name="Coupon store " + secrets.token_hex(3))
    client = StoreClient(server, created.id, key)
    yield client
    client.http.close()


class Coupons:
    """The coupon API of one store, as its developer calls it."""

    def __init__(self, store: StoreClient) -> None:
        self.store = store

    def set_endpoint(self, url: str, key: str = STORE_KEY, **extra: Any) -> httpx.Response:
        return self.put_endpoint(url=url, key=key, **extra)

    def put_endpoint(self, **fields: Any) -> httpx.Response:
        """PUT exactly these fields (a field left out is not sent at all)."""
        return self.store.http.put(
            "/api/v1/coupons/endpoint", json=fields, headers={"x-api-key": self.store.api_key}
        )

    def issue(self, **body: Any) -> httpx.Response:
        return self.store.http.post(
            "/api/v1/coupons", json=body, headers={"x-api-key": self.store.api_key}, timeout=30
        )

    def list(self, **params: Any) -> list[dict[str, Any]]:
        response = self.store.get("/api/v1/coupons", **params)
        assert response.status_code == 200, response.text
        return response.json()["items"]  # type: ignore[no-any-return]


@pytest.fixture
def coupons(store: StoreClient) -> Coupons:
    return Coupons(store)


@pytest.fixture
def connected(coupons: Coupons, store_side: StoreSide) -> Behaviour:
    """The test's store with its endpoint set and checked; returns the endpoint's behaviour."""
    url, behaviour = store_side.new_endpoint()
    response = coupons.set_endpoint(url)
    assert response.status_code == 200, response.text
    return behaviour
