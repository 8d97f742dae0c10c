"""The write gate: the busiest SQLite writers queue at a lock file beside the database."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from winback.storage.engine import GATED, gated, make_engine
from winback.storage.writegate import GatedConnection, gate_path, queue_path


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "winback.db"


@pytest.fixture
def sqlite_engine(database: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (body TEXT)"))
    yield engine
    engine.dispose()


def _gate_is_free(database: Path) -> bool:
    """Whether another open file could take the gate now (it never waits to find out).

    A file opened here is another holder to flock, as another process's would be."""
    probe = os.open(gate_path(str(database)), os.O_RDWR)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(probe)
    return True


def test_a_gated_transaction_holds_the_gate_until_it_commits(
    sqlite_engine: Engine, database: Path
) -> None:
    with gated(sqlite_engine).begin() as conn:
        conn.execute(text("INSERT INTO notes VALUES ('kept')"))
        held_inside = not _gate_is_free(database)

    assert held_inside
    assert _gate_is_free(database)
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM notes")).scalars().all() == ["kept"]


def test_a_gated_transaction_that_fails_lets_the_gate_go_and_writes_nothing(
    sqlite_engine: Engine, database: Path
) -> None:
    with pytest.raises(RuntimeError), gated(sqlite_engine).begin() as conn:
        conn.execute(text("INSERT INTO notes VALUES ('lost')"))
        raise RuntimeError("the batch failed")

    assert _gate_is_free(database)
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0


def test_other_transactions_do_not_pass_the_gate(sqlite_engine: Engine, database: Path) -> None:
    with sqlite_engine.begin() as conn:
        conn.execute(text("INSERT INTO notes VALUES ('ungated')"))
        assert _gate_is_free(database)


def test_a_begin_that_fails_lets_the_gate_go(sqlite_engine: Engine, database: Path) -> None:
    # Another program holds SQLite's write lock and never passes the gate.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
            " c.execute('BEGIN IMMEDIATE'); print('held', flush=True); sys.stdin.read()",
            str(database),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with sqlite_engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA busy_timeout=50")  # (not through SQLAlchemy: that would begin)
            gated_conn = conn.execution_options(**{GATED: True})
            with pytest.raises(OperationalError, match="locked"):
                gated_conn.begin()
            assert _gate_is_free(database)
    finally:
        holder.communicate("")


def _someone_is_queued(database: Path) -> bool:
    """Whether a writer holds its shared lock on the queue file, as it does only while
    it waits for the gate (read from the kernel's table, without taking any lock)."""
    inode = os.stat(queue_path(str(database))).st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields:  # a request still waiting, not a lock held
            continue
        if "FLOCK" in fields and "READ" in fields and fields[5].endswith(f":{inode}"):
            return True
    return False


def _who_gets_the_gate_first(busy: GatedConnection, database: Path) -> list[str]:
    """``busy`` holds the gate while another writer queues, then lets go and asks again at once."""
    waiting = GatedConnection(str(database), check_same_thread=False)
    order: list[str] = []

    def wait_for_the_gate() -> None:
        waiting.enter_gate()
        order.append("waiting")
        waiting.leave_gate()

    busy.enter_gate()
    waiter = threading.Thread(target=wait_for_the_gate)
    waiter.start()
    deadline = time.monotonic() + 10
    while not _someone_is_queued(database):
        assert time.monotonic() < deadline, "the other writer never queued"
        time.sleep(0.001)
    busy.leave_gate()
    busy.enter_gate()
    order.append("busy")
    busy.leave_gate()
    waiter.join(timeout=10)
    waiting.close()
    return order


def test_a_holder_that_comes_straight_back_lets_the_waiting_writer_in_first(
    sqlite_engine: Engine, database: Path
) -> None:
    # The raw log's writer under overload: it lets go and asks again at once.
    # Left to the kernel it would often take the gate again before the applier woke.
    busy = GatedConnection(str(database))
    orders = [_who_gets_the_gate_first(busy, database) for _ in range(20)]
    busy.close()

    assert orders == [["waiting", "busy"]] * 20
