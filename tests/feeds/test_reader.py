"""The reader child process: records in order, read ahead, and nothing left behind."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from winback.feeds import FeedProduct, reader

ROWS = 30_000  # far more than the queue and the pipe hold, so the child must wait


def _feed(tmp_path: Path, rows: int = ROWS) -> Path:
    lines = ["id,title,link,price"]
    lines += [f"P{n},Pot {n},https://shop.example/p/{n},{n % 90 + 1}.50 USD" for n in range(rows)]
    path = tmp_path / "feed.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _pumps() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "feed-reader-pump"]


def _capture_children(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def capture(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        child = popen(*args, **kwargs)
        started.append(child)
        return child

    monkeypatch.setattr(subprocess, "Popen", capture)  # the module winback.pipes calls
    return started


def test_every_record_arrives_in_order_with_progress(tmp_path: Path) -> None:
    heard: list[int] = []
    with reader.feed_records(
        _feed(tmp_path),
        progress=lambda read: heard.append(read.rows),
        on_rejected=lambda _: None,
        child_threshold=0,
    ) as records:
        ids = [record.id for record in records if isinstance(record, FeedProduct)]

    assert ids == [f"P{n}" for n in range(ROWS)]
    assert heard[-1] == ROWS
    assert heard == sorted(heard)
    assert _pumps() == []


def test_leaving_early_stops_the_child_and_the_thread_that_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    children = _capture_children(monkeypatch)
    with reader.feed_records(
        _feed(tmp_path), progress=lambda _: None, on_rejected=lambda _: None, child_threshold=0
    ) as records:
        first = next(records)

    assert isinstance(first, FeedProduct)
    assert first.id == "P0"
    [child] = children
    assert child.returncode is not None
    assert _pumps() == []


def test_a_child_that_dies_is_an_error_not_a_short_feed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    children = _capture_children(monkeypatch)
    with (
        pytest.raises(RuntimeError, match="the feed reader process stopped"),
        reader.feed_records(
            _feed(tmp_path), progress=lambda _: None, on_rejected=lambda _: None, child_threshold=0
        ) as records,
    ):
        next(records)
        children[0].kill()
        list(records)
    assert _pumps() == []
