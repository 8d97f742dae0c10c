"""The /discounts endpoint served for real: by uvicorn as ASGI and by wsgiref as WSGI."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
import uvicorn

from winback_storekit import (
    DiscountRejected,
    DiscountRequest,
    DiscountsASGIApp,
    DiscountsWSGIApp,
)

API_KEY = "coupon-key-123"


@dataclass
class Store:
    """The store's side: creates codes, refuses taken ones, breaks on request."""

    created: list[DiscountRequest] = field(default_factory=list)

    def create_discount(self, request: DiscountRequest) -> None:
        if request.code == "TAKEN":
            raise DiscountRejected("code TAKEN already exists")
        if request.code == "CRASH":
            raise RuntimeError("store database is down")
        self.created.append(request)


@dataclass(frozen=True)
class Served:
    url: str
    store: Store
    client: httpx.Client


@contextlib.contextmanager
def serve_asgi(create_discount: Callable[[DiscountRequest], Any]) -> Iterator[str]:
    """Run the ASGI app under uvicorn on a free port; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = DiscountsASGIApp(API_KEY, create_discount)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_wsgi(create_discount: Callable[[DiscountRequest], None]) -> Iterator[str]:
    """Run the WSGI app under wsgiref on a free port; yield its base URL."""
    app = DiscountsWSGIApp(API_KEY, create_discount)
    server = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture(scope="module", params=["asgi", "wsgi"])
def server(request: pytest.FixtureRequest, client: httpx.Client) -> Iterator[Served]:
    """One running server per kind for the module; tests share it through `served`."""
    store = Store()
    serve = serve_asgi if request.param == "asgi" else serve_wsgi
    with serve(store.create_discount) as url:
        yield Served(url, store, client)


@pytest.fixture
def served(server: Served) -> Served:
    server.store.created.clear()
    return server


def call(
    served: Served,
    *,
    key: str | None = API_KEY,
    params: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """POST to the served /discounts with the key (unless None) and extra query parameters."""
    query = ({} if key is None else {"remarkety_api_key": key}) | (params or {})
    return served.client.post(f"{served.url}/discounts", params=query, **kwargs)


def test_a_code_is_created_from_the_json_body(served: Served) -> None:
    response = call(
        served,
        json={
            "code": "WB-7QX2",
            "rule_id": 17,
            "expiration": "2030-01-31T23:59:00+02:00",
            "email": "ann@example.com",
        },
    )

    assert (response.status_code, response.json()) == (200, {"is_success": True})
    assert response.headers["content-type"] == "application/json"
    assert served.store.created == [
        DiscountRequest(
            code="WB-7QX2",
            rule_id="17",
            expiration=dt.datetime(2030, 1, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            email="ann@example.com",
        )
    ]


def test_a_code_is_created_from_query_parameters_with_a_template_id(served: Served) -> None:
    response = call(
        served, params={"code": "WB-Q1", "templateId": "summer", "expiration": "2030-06-01"}
    )

    assert (response.status_code, response.json()) == (200, {"is_success": True})
    assert served.store.created == [
        DiscountRequest("WB-Q1", "summer", dt.datetime(2030, 6, 1, tzinfo=dt.UTC), None)
    ]


def test_a_code_the_store_refuses_answers_success_false_with_its_message(served: Served) -> None:
    response = call(served, json={"code": "TAKEN", "rule_id": "r1"})

    assert response.status_code == 200
    assert response.json() == {"is_success": False, "error_message": "code TAKEN already exists"}
    assert served.store.created == []


@pytest.mark.parametrize("key", ["wrong-key", "", None])
def test_a_wrong_or_missing_key_answers_401_and_creates_nothing(
    served: Served, key: str | None
) -> None:
    response = call(served, key=key, json={"code": "WB-1", "rule_id": "r1"})

    assert response.status_code == 401
    assert response.json() == {
        "is_success": False,
        "error_message": "missing or wrong remarkety_api_key",
    }
    assert served.store.created == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"rule_id": "r1"}, "code is required"),
        ({"code": "  ", "rule_id": "r1"}, "code is required"),
        ({"code": "WB-1"}, "rule_id (or templateId) is required"),
        ({"code": "WB-1", "rule_id": "r1", "expiration": "next week"}, "expiration is not"),
        ([1, 2], "body must be a JSON object"),
    ],
)
def test_a_malformed_request_answers_400_with_the_reason(
    served: Served, body: object, message: str
) -> None:
    response = call(served, json=body)

    assert response.status_code == 400
    assert response.json()["is_success"] is False
    assert response.json()["error_message"].startswith(message)
    assert served.store.created == []


def test_a_body_that_is_not_json_answers_400(served: Served) -> None:
    response = call(served, content=b"code=WB-1", headers={"content-type": "text/plain"})

    assert response.status_code == 400
    assert response.json()["error_message"].startswith("body is not valid JSON")


def test_a_failure_inside_the_store_answers_500_so_winback_retries(served: Served) -> None:
    response = call(served, json={"code": "CRASH", "rule_id": "r1"})

    assert response.status_code == 500
    assert response.json() == {
        "is_success": False,
        "error_message": "the store could not create the code",
    }


def test_a_get_is_refused_with_405(served: Served) -> None:
    response = served.client.get(f"{served.url}/discounts", params={"remarkety_api_key": API_KEY})

    assert response.status_code == 405
    assert response.json() == {"is_success": False, "error_message": "use POST"}


def test_the_asgi_app_awaits_an_async_create_discount() -> None:
    created: list[str] = []

    async def create_discount(request: DiscountRequest) -> None:
        created.append(request.code)

    with serve_asgi(create_discount) as url:
        response = httpx.post(
            f"{url}/discounts",
            params={"remarkety_api_key": API_KEY},
            json={"code": "WB-A", "rule_id": "r"},
            timeout=5,
        )

    assert (response.status_code, response.json()) == (200, {"is_success": True})
    assert created == ["WB-A"]
