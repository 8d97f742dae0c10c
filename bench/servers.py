"""Start the servers under test as production runs them, and stop them.

winback is started with its own command (``winback serve --port P --workers W``)
on a fresh database: SQLite in a temporary data directory, or a new PostgreSQL
database. The floor app is started with uvicorn's command line, same loop,
same HTTP parser, same worker count. Each server gets its own process group,
so that stopping it, or killing it with SIGKILL, reaches its workers and
winback's applier process too.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VENV_BIN = Path(sys.executable).parent
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# High enough that the limiter never answers 429 during a benchmark.
RATE_LIMIT = "100000000"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Database:
    """Where one winback run keeps its data; removed by :meth:`drop`."""

    kind: str
    env: dict[str, str]
    sqlite_file: Path | None = None
    postgres_url: str | None = None
    _cleanup: list[Any] = field(default_factory=list)

    @classmethod
    def create(cls, kind: str) -> Database:
        if kind == "sqlite":
            data_dir = Path(tempfile.mkdtemp(prefix="winback-bench-"))
            database = cls(kind, {"WINBACK_DATA_DIR": str(data_dir)}, data_dir / "winback.db")
            database._cleanup.append(lambda: shutil.rmtree(data_dir, ignore_errors=True))
            return database
        name = f"winback_bench_{secrets.token_hex(4)}"
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        database = cls(kind, {"WINBACK_DATABASE_URL": url}, postgres_url=url)
        database._cleanup.append(lambda: _drop_postgres(name))
        return database

    def drop(self) -> None:
        for step in self._cleanup:
            step()


def _drop_postgres(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def winback_env(database: Database) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WINBACK_")}
    env |= database.env
    env |= {
        "WINBACK_RATE_LIMIT_PER_SECOND": RATE_LIMIT,
        "WINBACK_RATE_LIMIT_BURST": RATE_LIMIT,
        "WINBACK_LOG_LEVEL": "warning",
    }
    # A setting under trial reaches the server as BENCH_WINBACK_X=... (the shell's own
    # WINBACK_ variables never do: they would change what is measured unseen).
    env |= {k[len("BENCH_") :]: v for k, v in os.environ.items() if k.startswith("BENCH_WINBACK_")}
    return env


def create_store(database: Database) -> dict[str, Any]:
    """``winback store create``: the store id and its API key (JSON on stdout)."""
    out = subprocess.run(
        [str(VENV_BIN / "winback"), "store", "create", "--name", "Benchmark store"],
        env=winback_env(database),
        capture_output=True,
        check=True,
        timeout=120,
    )
    store: dict[str, Any] = json.loads(out.stdout)
    return store


def answers(url: str) -> bool:
    """True when ``url`` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


@dataclass
class Server:
    """A server process group on 127.0.0.1:``port``."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_file: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str = "/healthz") -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start: see {self.log_file}")
            if answers(self.base_url + path):
                # Every worker imports and starts its runtime; give the others a moment.
                time.sleep(1.0)
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer {path} in {START_TIMEOUT_SECONDS}s")

    def pids(self) -> list[int]:
        """Every live process of the group: the server, its workers, winback's applier."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, ProcessLookupError):
                    if os.getpgid(int(entry.name)) == self.process.pid:
                        found.append(int(entry.name))
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the processes of the group."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def kill(self) -> None:
        """SIGKILL to the whole group: nothing gets to flush or clean up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
        # A worker that outlived its parent is still in the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def _spawn(name: str, command: list[str], env: dict[str, str], port: int, logs: Path) -> Server:
    logs.mkdir(parents=True, exist_ok=True)
    log_file = logs / f"{name}-{port}.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Server(name, port, process, log_file)


def start_winback(
    database: Database, workers: int, logs: Path, port: int = 0, *, separate_applier: bool = False
) -> Server:
    port = port or free_port()
    command = [str(VENV_BIN / "winback"), "serve", "--port", str(port), "--workers", str(workers)]
    if separate_applier:
        command.append("--separate-applier")
    server = _spawn("winback", command, winback_env(database), port, logs)
    server.wait_ready()
    return server


def start_floor(workers: int, logs: Path) -> Server:
    port = free_port()
    command = [
        str(VENV_BIN / "uvicorn"),
        "--app-dir",
        str(BENCH_DIR),
        "floor_app:app",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    server = _spawn("floor", command, dict(os.environ), port, logs)
    server.wait_ready()
    return server
