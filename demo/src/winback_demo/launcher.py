"""Start winback and the shop as processes, connect them, and stop them again.

Used by ``winback-demo run`` and by the end-to-end test, so the test exercises
exactly what a newcomer runs. winback is driven only from outside: its command
line and its HTTP API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

STORE_NAME = "Trailhead Outfitters"


class LaunchError(RuntimeError):
    """A process did not come up, or winback refused a setting."""


@dataclass
class ManagedProcess:
    """One child process with its log file; ``start`` waits until its health URL answers."""

    name: str
    args: list[str]
    env: dict[str, str]
    health_url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self, timeout: float = 30.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.args, env={**os.environ, **self.env}, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LaunchError(f"{self.name} exited at start; see {self.log_path}")
            try:
                if httpx.get(self.health_url, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise LaunchError(f"{self.name} did not answer {self.health_url}; see {self.log_path}")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it does not stop in time."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass(frozen=True)
class Connection:
    """The winback store the shop sends to."""

    store_id: str
    api_key: str = field(repr=False)


def winback_env(data_dir: Path, port: int) -> dict[str, str]:
    return {
        "WINBACK_DATA_DIR": str(data_dir / "winback"),
        # The embedded defaults (SQLite, in-process queue), whatever the shell has set.
        "WINBACK_DATABASE_URL": "",
        "WINBACK_QUEUE_URL": "",
        "WINBACK_HOST": "127.0.0.1",
        "WINBACK_PORT": str(port),
        # The shop runs on this machine: winback may fetch its feed and call /discounts there.
        "WINBACK_OUTBOUND_ALLOW_PRIVATE": "1",
        "WINBACK_LOG_LEVEL": "warning",
    }


def winback_process(data_dir: Path, port: int) -> ManagedProcess:
    return ManagedProcess(
        name="winback",
        args=[sys.executable, "-m", "winback", "serve", "--port", str(port)],
        env=winback_env(data_dir, port),
        health_url=f"http://127.0.0.1:{port}/healthz",
        log_path=data_dir / "logs" / "winback.log",
    )


def shop_process(
    data_dir: Path, port: int, winback_port: int, connection: Connection, coupons_key: str
) -> ManagedProcess:
    env = {
        "WINBACK_DEMO_DATA_DIR": str(data_dir / "shop"),
        "WINBACK_DEMO_PORT": str(port),
        "WINBACK_DEMO_WINBACK_URL": f"http://127.0.0.1:{winback_port}",
        "WINBACK_DEMO_STORE_ID": connection.store_id,
        "WINBACK_DEMO_API_KEY": connection.api_key,
        "WINBACK_DEMO_COUPONS_KEY": coupons_key,
        "WINBACK_DEMO_SESSION_SECRET": session_secret(data_dir),
    }
    return ManagedProcess(
        name="shop",
        args=[sys.executable, "-m", "winback_demo", "serve"],
        env=env,
        health_url=f"http://127.0.0.1:{port}/healthz",
        log_path=data_dir / "logs" / "shop.log",
    )


def session_secret(data_dir: Path) -> str:
    """One secret per data dir, so shoppers stay logged in across restarts."""
    path = data_dir / "session-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(os.urandom(32).hex())
        path.chmod(0o600)
    return path.read_text().strip()


def create_or_reuse_store(data_dir: Path, winback_port: int) -> Connection:
    """The store this data dir is connected to; created through winback's CLI the first time."""
    saved = data_dir / "connection.json"
    if saved.exists():
        details = json.loads(saved.read_text())
        return Connection(details["store_id"], details["api_key"])
    result = subprocess.run(
        [sys.executable, "-m", "winback", "store", "create", "--name", STORE_NAME],
        env={**os.environ, **winback_env(data_dir, winback_port)},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise LaunchError(f"winback store create failed: {result.stderr.strip()}")
    created = json.loads(result.stdout)
    saved.write_text(json.dumps({"store_id": created["store_id"], "api_key": created["api_key"]}))
    saved.chmod(0o600)
    return Connection(created["store_id"], created["api_key"])


def connect_shop(
    winback_url: str, connection: Connection, shop_url: str, coupons_key: str
) -> list[str]:
    """Give winback the shop's coupon endpoint and feed URL, and sync the feed now.

    Returns what was done, for the start-up banner.
    """
    headers = {"x-api-key": connection.api_key}
    done = []
    with httpx.Client(base_url=winback_url, headers=headers, timeout=30) as client:
        answer = client.put(
            "/api/v1/coupons/endpoint", json={"url": shop_url, "key": coupons_key, "prefix": "TH-"}
        )
        if answer.status_code != 200:
            raise LaunchError(f"winback refused the coupon endpoint: {answer.text}")
        done.append(f"coupon endpoint {shop_url}/discounts checked")
        feed = client.put("/api/v1/feed", json={"url": f"{shop_url}/feed.csv"})
        if feed.status_code == 200:
            client.post("/api/v1/feed/sync").raise_for_status()
            done.append(f"feed {shop_url}/feed.csv set and syncing")
        else:
            done.append(f"feed not set ({feed.status_code}): products come by webhook only")
    return done
