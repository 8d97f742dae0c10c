"""A bulk load's WAL checkpoints run beside its commits, not inside them (SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

from winback.storage.checkpoints import DEFAULT_AUTOCHECKPOINT_PAGES, BackgroundCheckpointer
from winback.storage.engine import make_engine

ROWS_PER_COMMIT = 2000  # with 4 KB pages, well past the 1,000 pages that trigger a checkpoint
FILLER = "x" * 3000


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    path = tmp_path / "winback.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)"))
    yield engine, path
    engine.dispose()


def _write_batch(writer: Connection, first: int) -> None:
    with writer.begin():
        writer.execute(
            text("INSERT INTO filler (id, body) VALUES (:id, :body)"),
            [{"id": first + n, "body": FILLER} for n in range(ROWS_PER_COMMIT)],
        )


def _pages_in_file(writer: Connection, path: Path) -> tuple[int, int]:
    """The pages the database holds, and those its file holds (the rest are in the log)."""
    page_size = writer.execute(text("PRAGMA page_size")).scalar_one()
    pages = writer.execute(text("PRAGMA page_count")).scalar_one()
    writer.rollback()  # (those reads began a transaction)
    return pages, path.stat().st_size // page_size


def _autocheckpoint(writer: Connection) -> int:
    pages = writer.execute(text("PRAGMA wal_autocheckpoint")).scalar_one()
    writer.rollback()
    return int(pages)


@contextmanager
def _checkpointed(engine: Engine, writer: Connection) -> Iterator[BackgroundCheckpointer]:
    """The writer with a checkpointer attached, closed on the way out."""
    checkpointer = BackgroundCheckpointer(engine)
    checkpointer.attach(writer)
    try:
        yield checkpointer
    finally:
        checkpointer.close()


def test_the_writers_commits_leave_the_checkpoint_to_the_thread(
    database: tuple[Engine, Path],
) -> None:
    engine, path = database
    with engine.connect() as writer:
        with _checkpointed(engine, writer) as checkpointer:
            _write_batch(writer, 0)
            pages, in_file = _pages_in_file(writer, path)
            assert in_file < pages / 2, "the commit itself copied the log into the file"
            assert _autocheckpoint(writer) == 0
            checkpointer.request()
            for batch in (1, 2):
                _write_batch(writer, batch * ROWS_PER_COMMIT)
                checkpointer.request()
        pages, in_file = _pages_in_file(writer, path)
        assert in_file == pages, "the thread did not copy the whole log into the file"
        # The connection goes back to the pool as it came: checkpointing its own commits.
        assert _autocheckpoint(writer) == DEFAULT_AUTOCHECKPOINT_PAGES
        count = writer.execute(text("SELECT count(*) FROM filler")).scalar_one()
    assert count == 3 * ROWS_PER_COMMIT
