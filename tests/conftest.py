"""Shared fixtures: real databases (SQLite always, PostgreSQL when reachable) and a real server.

Every test makes its own store with a random id, so tests never clean up after
themselves and never see each other's data.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine

from winback.app import create_app
from winback.config import Settings, normalize_database_url
from winback.storage.engine import make_engine
from winback.storage.migrate import upgrade_to_head
from winback.stores.service import Store, create_store

POSTGRES_URL = os.environ.get(
    "WINBACK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _postgres_available() -> bool:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


POSTGRES_UP = _postgres_available()
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


# The PostgreSQL databases this run made: dropped when it ends (pytest_sessionfinish),
# so that runs on one server do not pile them up.
_MADE_DATABASES: list[str] = []


def _fresh_postgres_database() -> str:
    name = "winback_test_" + secrets.token_hex(4)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    _MADE_DATABASES.append(name)
    base = POSTGRES_URL.rsplit("/", 1)[0]
    return normalize_database_url(f"{base}/{name}")


@dataclass
class PostgresStore:
    """A new PostgreSQL database, migrated, holding one store."""

    url: str
    database: str
    engine: Engine
    store: Store
    key: str


def fresh_postgres_store(name: str) -> PostgresStore:
    url = _fresh_postgres_database()
    engine = make_engine(url)
    upgrade_to_head(engine)
    store, key = create_store(engine, name=name)
    return PostgresStore(url, url.rsplit("/", 1)[1], engine, store, key)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _MADE_DATABASES:
        return
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        for name in _MADE_DATABASES:
            # (FORCE: a server a test started may still hold a pooled connection)
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database of each kind, shared by the session."""
    if request.param == "postgresql":
        if not POSTGRES_UP:
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}")
            pytest.skip("PostgreSQL is not reachable")
        url = _fresh_postgres_database()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'winback.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def private_engine(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database of the same kind as ``database_url``, for this test
    alone: no live server's applier (which shares the session's) works on it."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'private.db'}"
    else:
        url = _fresh_postgres_database()
    engine = make_engine(url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """winback served by uvicorn on a loopback port, in this process."""

    def __init__(self, settings: Settings, *, apply_in_process: bool = True) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The address it serves on, as `winback serve --port` tells the app.
        settings = replace(settings, host="127.0.0.1", port=self.port)
        config = uvicorn.Config(
            create_app(settings, apply_in_process=apply_in_process),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("winback did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def settings_for(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": tmp_path,
        "max_body_bytes": 64 * 1024,
    } | overrides
    return Settings(**values)


@contextmanager
def serving(settings: Settings, *, apply_in_process: bool = True) -> Iterator[LiveServer]:
    """A live winback with these settings, for the length of the block (without an
    applier of its own if not ``apply_in_process``, as beside ``winback worker``)."""
    live = LiveServer(settings, apply_in_process=apply_in_process)
    live.start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(settings_for(database_url, tmp_path_factory.mktemp("data"))) as live:
        yield live


class StoreClient:
    """A store's view of a live server: send webhooks, read the API, wait for apply."""

    def __init__(self, server: LiveServer, store_id: str, api_key: str) -> None:
        self.server = server
        self.store_id = store_id
        self.api_key = api_key
        self.http = httpx.Client(base_url=server.url, timeout=10)

    def send(
        self,
        event_type: str,
        body: Any,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> httpx.Response:
        sent = {
            "content-type": "application/json",
            "x-event-type": event_type,
            "x-token": self.api_key,
        } | (headers or {})
        content = raw if raw is not None else httpx.Request("POST", "/", json=body).content
        return self.http.post(f"/webhooks/store/{self.store_id}", content=content, headers=sent)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers={"x-api-key": self.api_key})

    def read(self, path: str, **params: Any) -> dict[str, Any]:
        """GET a JSON object that must be there (200)."""
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def wait_finished(
        self,
        path: str,
        key: str,
        timeout: float,
        finished: tuple[str, ...] = ("succeeded", "failed"),
    ) -> dict[str, Any]:
        """Poll a queued job (``key`` of the answer) until its status is a finished one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job: dict[str, Any] = self.read(path)[key]
            if job["status"] in finished:
                return job
            time.sleep(0.05)
        raise AssertionError(f"{path} did not finish in {timeout} s")

    def wait_applied(self, timeout: float = 10) -> None:
        """Wait until no event of this store is pending."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            items = self.get("/api/v1/events", outcome="pending", limit=1).json()["items"]
            if not items:
                return
            time.sleep(0.02)
        raise AssertionError("events still pending after the timeout")


def accepted(store: StoreClient, event_type: str, body: Any, **headers: str) -> int:
    """Send a webhook that must be taken (200); its event id."""
    response = store.send(event_type, body, headers=headers or None)
    assert response.status_code == 200, response.text
    return int(response.json()["event_id"])


def applied(store: StoreClient, event_type: str, body: Any, **headers: str) -> int:
    """Send a webhook that must be taken, and wait until the store has no event pending."""
    event_id = accepted(store, event_type, body, **headers)
    store.wait_applied()
    return event_id


Client = TypeVar("Client", bound=StoreClient)


def open_store(kind: type[Client], server: LiveServer, engine: Engine, name: str) -> Client:
    """A new store on ``server``, seen through a client of ``kind``."""
    created, key = create_store(engine, name=f"{name} {secrets.token_hex(3)}")
    return kind(server, created.id, key)


@pytest.fixture
def store(server: LiveServer, engine: Engine) -> Iterator[StoreClient]:
    client = open_store(StoreClient, server, engine, "Test store")
    yield client
    client.http.close()


# Debian's chromium, so nothing is downloaded at test time; quiet, no sandbox (containers).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for every browser test: Playwright's sync API allows one
    instance per thread, so the tracking and demo tests share it."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()
