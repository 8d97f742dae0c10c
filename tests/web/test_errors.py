"""Failures inside winback answer in the shape of every other error."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.requests import Request

from tests.conftest import (
    POSTGRES_UP,
    POSTGRES_URL,
    StoreClient,
    fresh_postgres_store,
    serving,
    settings_for,
)
from winback import __version__
from winback.apply.applier import Applier
from winback.runtime import Runtime
from winback.storage import engine as engine_module
from winback.storage import reads
from winback.stores.service import create_store
from winback.web.errors import (
    RETRY_AFTER_UNAVAILABLE_SECONDS,
    database_error_response,
    server_error_response,
)
from winback.web.responses import JSONBody


def _request(path: str) -> Request:
    return Request({"type": "http", "method": "POST", "path": path, "headers": []})


def _answer(
    handler: Callable[[Request, Exception], Coroutine[Any, Any, JSONBody]],
    request: Request,
    error: Exception,
) -> JSONBody:
    # (in a thread of its own: another test's browser may run an event loop in this one)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, handler(request, error)).result()


def test_a_database_out_of_reach_is_a_503_saying_when_to_come_back() -> None:
    locked = OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))

    response = _answer(database_error_response, _request("/webhooks/store/st_1"), locked)

    assert response.status_code == 503
    assert response.headers["retry-after"] == str(RETRY_AFTER_UNAVAILABLE_SECONDS)
    assert response.headers["content-type"] == "application/json"
    assert orjson.loads(response.body) == {
        "error": {
            "code": "service_unavailable",
            "reason": "the database cannot be reached right now; nothing was changed,"
            " send the request again",
        }
    }


def test_any_other_failure_is_a_500_in_the_error_shape() -> None:
    response = _answer(server_error_response, _request("/api/v1/orders"), KeyError("x"))

    assert response.status_code == 500
    assert "retry-after" not in response.headers
    assert orjson.loads(response.body) == {
        "error": {
            "code": "internal_error",
            "reason": "winback failed to answer POST /api/v1/orders; the cause is in its log",
        }
    }


def test_after_a_500_the_clients_next_request_is_answered(
    store: StoreClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("a fault inside winback")

    # given a read that fails inside winback (the live server runs in this process)
    monkeypatch.setattr(reads, "product", broken)
    with httpx.Client(base_url=store.server.url, headers={"x-api-key": store.api_key}) as client:
        failed = client.get("/api/v1/products/55")
        monkeypatch.undo()

        # then the 500 says the connection closes, and the same client's next request,
        # on a new connection, is answered (not reset)
        assert failed.status_code == 500
        assert failed.headers["connection"] == "close"
        assert client.get("/api/v1/products/55").status_code == 404


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_UP, reason="PostgreSQL is not reachable")
def test_a_webhook_while_the_database_refuses_connections_is_a_503_then_taken(
    tmp_path: Path,
) -> None:
    fresh = fresh_postgres_store("Shop")
    url, name, created, key = fresh.url, fresh.database, fresh.store, fresh.key
    fresh.engine.dispose()
    with serving(settings_for(url, tmp_path)) as live:
        store = StoreClient(live, created.id, key)
        assert store.send("page_viewed", {"n": 0}).status_code == 200
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            # when the database takes no connections, and those it had are gone
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            try:
                refused = store.send("page_viewed", {"n": 1})
                health = httpx.get(live.url + "/healthz", timeout=10)
            finally:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        # then the sender is told to come back, in winback's error shape
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == str(RETRY_AFTER_UNAVAILABLE_SECONDS)
        assert refused.json()["error"]["code"] == "service_unavailable"
        # and the health check says it is down, without the database's address
        assert health.status_code == 503
        assert health.json() == {
            "status": "unavailable",
            "reason": "the database does not answer (the cause is in winback's log)",
        }
        assert httpx.get(live.url + "/healthz", timeout=10).json()["status"] == "ok"
        # and its retry, once the database is back, is stored
        assert store.send("page_viewed", {"n": 1}).status_code == 200
        store.wait_applied()
        types = [entry["outcome"] for entry in store.read("/api/v1/events")["items"]]
        assert types == ["applied", "applied"]


def test_the_health_check_says_ok_with_what_waits(private_engine: Engine, tmp_path: Path) -> None:
    created, key = create_store(private_engine, name="Backlog")
    url = private_engine.url.render_as_string(hide_password=False)
    # (no applier in the server, so the events wait; nor any hold on the intake)
    settings = settings_for(url, tmp_path, apply_lag_limit_seconds=0)
    with serving(settings, apply_in_process=False) as live:
        # given three events sent, none of them applied
        store = StoreClient(live, created.id, key)
        before_first = time.time()
        sent = [store.send("customers/create", {"id": 0, "email": "c0@example.com"})]
        after_first = time.time()
        sent += [
            store.send("customers/create", {"id": n, "email": f"c{n}@example.com"}) for n in (1, 2)
        ]
        time.sleep(0.2)  # (the least wait below is then this, far above the rounding)
        # when the health check is asked, before and after they are applied
        before_asking = time.time()
        waiting = store.http.get("/healthz")
        after_answer = time.time()
        Applier(private_engine).drain()
        drained = store.http.get("/healthz")
        store.http.close()

    assert [response.status_code for response in sent] == [200, 200, 200]
    # then it reports the three waiting, the oldest since it was sent (to within the
    # millisecond it is rounded to), and nothing once they are applied
    assert waiting.status_code == 200, waiting.text
    body = waiting.json()
    oldest = body.pop("oldest_pending_seconds")
    assert body == {
        "status": "ok",
        "version": __version__,
        "pending_events": 3,
        "applier": "apart",
        "database": private_engine.dialect.name,
    }
    assert before_asking - after_first - 0.001 <= oldest <= after_answer - before_first + 0.001
    assert drained.status_code == 200, drained.text
    assert (drained.json()["pending_events"], drained.json()["oldest_pending_seconds"]) == (0, 0)


def test_the_health_check_fails_while_events_cannot_be_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (a lock held long: the intake gives up after the busy timeout, cut short here)
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 300)
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    with serving(settings_for(url, tmp_path)) as live:
        app = live.server.config.app
        assert isinstance(app, FastAPI)
        created, key = create_store(app.state.runtime.engine, name="Locked")
        store = StoreClient(live, created.id, key)
        assert store.send("page_viewed", {"n": 0}).status_code == 200
        # when another program holds the database's write lock, readers still reading
        holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            refused = store.send("page_viewed", {"n": 1})
            health = httpx.get(live.url + "/healthz", timeout=10)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        # then the health check says events cannot be stored, as the 503 did
        assert refused.status_code == 503, refused.text
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        assert health.json()["reason"].startswith("events cannot be stored since ")
        # and once the lock is let go it is up, before any event is sent (a balancer
        # that heeded it sends none until it is)
        assert httpx.get(live.url + "/healthz", timeout=10).json()["status"] == "ok"
        assert store.send("page_viewed", {"n": 1}).status_code == 200


def test_the_health_check_fails_once_the_applier_has_stopped(
    database_url: str, tmp_path: Path
) -> None:
    with serving(settings_for(database_url, tmp_path)) as live:
        assert httpx.get(live.url + "/healthz", timeout=10).json()["applier"] == "running"
        # when the applier thread ends (as an error escaping it once made it do)
        app = live.server.config.app
        assert isinstance(app, FastAPI)
        runtime: Runtime = app.state.runtime
        assert runtime._thread is not None
        runtime._stop.set()
        runtime.applier.wake.set()
        runtime._thread.join(timeout=10)

        # then the health check says so, for a supervisor to restart the process
        response = httpx.get(live.url + "/healthz", timeout=10)
        assert response.status_code == 503
        body = response.json()
        assert (body["status"], body["applier"]) == ("unavailable", "stopped")
        assert body["reason"] == "the applier has stopped"


def test_the_health_check_and_metrics_answer_a_head_request(store: StoreClient) -> None:
    for path in ("/healthz", "/metrics"):
        response = store.http.head(path)

        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(("application/json", "text/plain"))
