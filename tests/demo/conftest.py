"""The demo running for real: winback and the shop as separate processes on free ports,
connected the way `winback-demo run` connects them, and headless Chromium."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from winback_demo.launcher import (
    Connection,
    ManagedProcess,
    connect_shop,
    create_or_reuse_store,
    shop_process,
    winback_process,
)

from tests.conftest import free_port

COUPONS_KEY = "e2e-coupons-key"
T = TypeVar("T")


def wait_for(check: Callable[[], T | None], timeout: float = 30, what: str = "") -> T:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@dataclass
class Demo:
    data_dir: Path
    winback: ManagedProcess
    shop: ManagedProcess
    connection: Connection
    winback_url: str
    shop_url: str

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"x-api-key": self.connection.api_key}
        return httpx.request(method, self.winback_url + path, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        response = self.api("GET", path, params=params)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        return response.json()

    def shop_rows(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        """Read the shop's own database (what the shop knows, to compare with winback)."""
        conn = sqlite3.connect(self.data_dir / "shop" / "shop.sqlite3")
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def outbox(self) -> dict[str, int]:
        stats: dict[str, int] = httpx.get(self.shop_url + "/healthz", timeout=10).json()["outbox"]
        return stats

    def wait_delivered_and_applied(self, timeout: float = 60) -> None:
        """Every event the shop sent is delivered and applied by winback."""
        wait_for(lambda: self.outbox()["pending"] == 0, timeout, "the shop's outbox to empty")
        wait_for(
            lambda: self.get("/api/v1/events", outcome="pending", limit=1)["items"] == [],
            timeout,
            "winback to apply every event",
        )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data_dir = tmp_path_factory.mktemp("demo")
    winback_port, shop_port = free_port(), free_port()
    winback = winback_process(data_dir, winback_port)
    winback.start()
    shop = None
    try:
        connection = create_or_reuse_store(data_dir, winback_port)
        shop = shop_process(data_dir, shop_port, winback_port, connection, COUPONS_KEY)
        shop.start()
        winback_url = f"http://127.0.0.1:{winback_port}"
        shop_url = f"http://127.0.0.1:{shop_port}"
        connect_shop(winback_url, connection, shop_url, COUPONS_KEY)
        yield Demo(data_dir, winback, shop, connection, winback_url, shop_url)
    finally:
        if shop is not None:
            shop.stop()
        winback.stop()
