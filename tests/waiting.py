"""Waiting on a real process from a test: for a condition, or for a server to answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


def poll(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    """``check()``'s first truthy answer, asked every 0.1 s; fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def healthy(http: httpx.Client) -> bool:
    """Whether the server behind ``http`` answers its health check with a 200."""
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False
