"""Fixtures shared by the storekit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_winback import FakeWinback


@pytest.fixture
def winback() -> Iterator[FakeWinback]:
    server = FakeWinback()
    yield server
    server.stop()


@pytest.fixture
def outbox_path(tmp_path: Path) -> Path:
    return tmp_path / "outbox.sqlite3"
