"""Import fixtures: a store that uploads CSV files to the API and follows their jobs,
and a snapshot of everything a store holds, to show that an import changed nothing."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine, select

from tests.conftest import LiveServer, StoreClient
from winback.storage.schema import customers, markers, order_lines, orders, products
from winback.stores.service import create_store

FINISHED = ("succeeded", "failed")


class Importer(StoreClient):
    """A store on the live server that imports files through the API."""

    def post_import(
        self,
        kind: str,
        body: bytes,
        *,
        mapping: dict[str, str] | None = None,
        content_type: str = "text/csv",
        **params: Any,
    ) -> httpx.Response:
        headers = {"x-api-key": self.api_key, "content-type": content_type}
        if mapping is not None:
            headers["x-column-mapping"] = orjson.dumps(mapping).decode()
        query = {name: str(value).lower() for name, value in params.items()}
        return self.http.post(
            f"/api/v1/imports/{kind}", content=body, headers=headers, params=query
        )

    def run_import(self, kind: str, body: bytes, **options: Any) -> dict[str, Any]:
        """Upload a file and wait until its job has finished; the job as the API shows it."""
        response = self.post_import(kind, body, **options)
        assert response.status_code == 202, response.text
        return self.wait_for_job(response.json()["import"]["id"])

    def wait_for_job(self, job_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.get(f"/api/v1/imports/{job_id}")
            assert response.status_code == 200, response.text
            job: dict[str, Any] = response.json()["import"]
            if job["status"] in FINISHED:
                return job
            time.sleep(0.05)
        raise AssertionError(f"import {job_id} did not finish in {timeout} s")

    def read(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


def new_importer(server: LiveServer, engine: Engine) -> Importer:
    created, key = create_store(engine, name="Import store " + secrets.token_hex(3))
    return Importer(server, created.id, key)


@pytest.fixture
def importer(server: LiveServer, engine: Engine) -> Iterator[Importer]:
    client = new_importer(server, engine)
    yield client
    client.http.close()


@pytest.fixture
def other_importer(server: LiveServer, engine: Engine) -> Iterator[Importer]:
    client = new_importer(server, engine)
    yield client
    client.http.close()


def snapshot(engine: Engine, store_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the store has in the tables an import writes, every column, in a fixed order."""
    tables = {"customers": customers, "orders": orders, "products": products, "markers": markers}
    found: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, table in tables.items():
            rows = conn.execute(select(table).where(table.c.store_id == store_id))
            found[name] = sorted((tuple(_comparable(v) for v in row) for row in rows), key=repr)
        lines = conn.execute(select(order_lines).where(order_lines.c.store_id == store_id))
        found["order_lines"] = sorted((tuple(row) for row in lines), key=repr)
    return found


def _comparable(value: Any) -> Any:
    # JSON columns come back as dicts and lists; their serialised form compares whole.
    return (
        orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        if isinstance(value, dict | list)
        else value
    )
