"""The job queue on each of its stores: Redis (WINBACK_QUEUE_URL=redis://..., what hosts
share in production) and a SQLite file (the default, or WINBACK_QUEUE_URL=sqlite:///...)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy import Engine

from tests.conftest import free_port
from tests.waiting import healthy, poll
from winback.config import ConfigError, Settings
from winback.jobs.queue import QueueWorkers, make_queue
from winback.stores.service import create_store

REDIS_URL = os.environ.get("WINBACK_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_queue_url() -> Iterator[str]:
    """A Redis database of its own for the test (of the 16 a server has, not the 0th),
    emptied of winback's queue before and after."""
    if not _redis_up():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    url = f"{REDIS_URL}/{1 + secrets.randbelow(15)}"
    queue = make_queue(Settings(queue_url=url))
    queue.flush()
    yield url
    queue.flush()


def _run_one_task(queue: Huey) -> str:
    """Queue a task on ``queue``, run it with winback's consumer, and return what it did."""
    done: list[str] = []
    finished = threading.Event()

    @queue.task()  # type: ignore[untyped-decorator]
    def greet(name: str) -> None:
        done.append(f"hello {name}")
        finished.set()

    greet("queue")
    assert queue.pending_count() == 1  # (waiting in the store, not run at once)
    workers = QueueWorkers(queue)
    workers.start()
    try:
        assert finished.wait(timeout=20), "the task never ran"
    finally:
        workers.stop()
    return done[0]


def test_a_redis_queue_runs_what_is_queued_on_it(redis_queue_url: str, tmp_path: Path) -> None:
    queue = make_queue(Settings(data_dir=tmp_path, queue_url=redis_queue_url))

    assert isinstance(queue, RedisHuey)
    assert _run_one_task(queue) == "hello queue"
    assert list(tmp_path.iterdir()) == []  # (no SQLite queue beside it)


def test_a_sqlite_queue_url_names_the_file_the_queue_is_kept_in(tmp_path: Path) -> None:
    path = tmp_path / "queues" / "winback-queue.db"
    queue = make_queue(Settings(data_dir=tmp_path / "data", queue_url=f"sqlite:///{path}"))

    assert isinstance(queue, SqliteHuey)
    assert _run_one_task(queue) == "hello queue"
    assert path.is_file()


def test_a_sqlite_queue_in_a_place_that_is_no_directory_is_refused_naming_the_setting(
    tmp_path: Path,
) -> None:
    (tmp_path / "queues").touch()

    with pytest.raises(ConfigError) as refused:
        make_queue(Settings(queue_url=f"sqlite:///{tmp_path / 'queues' / 'q.db'}"))

    assert (
        str(refused.value) == f"WINBACK_QUEUE_URL: '{tmp_path}/queues' is a file, not a directory"
    )


@pytest.mark.e2e
def test_with_a_redis_queue_the_worker_runs_the_imports_the_http_process_queues(
    redis_queue_url: str, private_engine: Engine, tmp_path: Path
) -> None:
    _, key = create_store(private_engine, name="Redis queue store")
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("WINBACK_")}
    env |= {
        "WINBACK_DATABASE_URL": private_engine.url.render_as_string(hide_password=False),
        "WINBACK_DATA_DIR": str(tmp_path / "data"),
        "WINBACK_QUEUE_URL": redis_queue_url,
        "WINBACK_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "winback", "serve", "--separate-applier", "--port", str(port)]
    server = subprocess.Popen(command, env=env, start_new_session=True)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"x-api-key": key})
    try:
        poll(lambda: healthy(http), "the server to answer", timeout=60)
        queued = http.post(
            "/api/v1/imports/contacts",
            content=b"id,email,first_name\nC7,cy@example.com,Cy\n",
            headers={"content-type": "text/csv"},
        )
        assert queued.status_code == 202, queued.text
        path = f"/api/v1/imports/{queued.json()['import']['id']}"

        job = poll(
            lambda: (
                (found := http.get(path).json()["import"])["status"] in ("succeeded", "failed")
                and found
            ),
            "the import job to run",
            timeout=60,
        )

        assert job["status"] == "succeeded", job
        assert http.get("/api/v1/customers/C7").json()["first_name"] == "Cy"
        assert not (tmp_path / "data" / "queue.db").exists()
    finally:
        http.close()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
