"""Import fixtures: a store that uploads CSV files to the API and follows their jobs,
and a snapshot of everything a store holds, to show that an import changed nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine, select

from tests.conftest import LiveServer, StoreClient, open_store
from winback.storage.schema import customers, markers, order_lines, orders, products


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
        return self.wait_finished(f"/api/v1/imports/{job_id}", "import", timeout)


def new_importer(server: LiveServer, engine: Engine) -> Importer:
    return open_store(Importer, server, engine, "Import store")


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
