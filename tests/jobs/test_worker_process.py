"""`winback serve --separate-applier`, as production runs it: the HTTP process only
stores and queues; `winback worker` applies the events and runs the queued jobs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tests.conftest import free_port
from winback.imports.runs import ABANDONED_AFTER, end_abandoned_jobs, upload_path
from winback.stores.service import create_store

pytestmark = pytest.mark.e2e

CONTACTS = b"id,email,first_name\nC7,cy@example.com,Cy\n"


@dataclass
class SplitServer:
    http: httpx.Client
    store_id: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        """kill -9 the server and its worker, as a lost machine would stop them."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def webhook(self, event_type: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(
            f"/webhooks/store/{self.store_id}", json=body, headers={"x-event-type": event_type}
        )


def _poll(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _answers(http: httpx.Client) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def split_server(private_engine: Engine, tmp_path: Path) -> Iterator[SplitServer]:
    store, key = create_store(private_engine, name="Split store")
    port = free_port()
    data_dir = tmp_path / "data"
    environment = {
        **os.environ,
        "WINBACK_DATABASE_URL": private_engine.url.render_as_string(hide_password=False),
        "WINBACK_DATA_DIR": str(data_dir),
        "WINBACK_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "winback", "serve", "--separate-applier", "--port", str(port)]
    # (a session of its own: the server and its worker process are stopped together)
    process = subprocess.Popen(command, env=environment, start_new_session=True)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"x-api-key": key})
    try:
        _poll(lambda: _answers(http), "the server to answer")
        yield SplitServer(http, store.id, data_dir, process)
    finally:
        http.close()
        with contextlib.suppress(ProcessLookupError):  # (a test may have killed it)
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_the_worker_process_applies_what_the_http_process_stored(
    split_server: SplitServer,
) -> None:
    sent = split_server.webhook("customers/create", {"id": "C1", "email": "ann@example.com"})
    assert sent.status_code == 200, sent.text

    customer = _poll(
        lambda: (
            (answer := split_server.http.get("/api/v1/customers/C1")).status_code == 200
            and answer.json()
        ),
        "the event to be applied",
    )

    assert customer["email"] == "ann@example.com"
    assert split_server.http.get("/healthz").json()["applier"] == "apart"


def test_the_worker_process_runs_the_jobs_the_http_process_queues(
    split_server: SplitServer,
) -> None:
    queued = split_server.http.post(
        "/api/v1/imports/contacts", content=CONTACTS, headers={"content-type": "text/csv"}
    )
    assert queued.status_code == 202, queued.text
    path = f"/api/v1/imports/{queued.json()['import']['id']}"

    job = _poll(
        lambda: (
            (found := split_server.http.get(path).json()["import"])["status"]
            in ("succeeded", "failed")
            and found
        ),
        "the import job to run",
    )

    assert job["status"] == "succeeded", job
    assert split_server.http.get("/api/v1/customers/C7").json()["first_name"] == "Cy"


def test_an_import_whose_worker_was_killed_is_ended_as_failed(
    split_server: SplitServer, private_engine: Engine
) -> None:
    rows = b"".join(b"C%d,c%d@example.com,Cy\n" % (n, n) for n in range(300_000))
    queued = split_server.http.post(
        "/api/v1/imports/contacts",
        content=b"id,email,first_name\n" + rows,
        headers={"content-type": "text/csv"},
    )
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["import"]["id"]
    path = f"/api/v1/imports/{job_id}"
    _poll(lambda: split_server.http.get(path).json()["import"]["status"] == "running", "a start")

    split_server.kill()
    assert upload_path(split_server.data_dir, job_id).exists()
    # What the next worker's periodic task finds once the job has been silent long enough.
    later = datetime.now(UTC) + ABANDONED_AFTER + timedelta(seconds=1)
    ended = end_abandoned_jobs(private_engine, split_server.data_dir, now=later)

    assert ended == [job_id]
    assert not upload_path(split_server.data_dir, job_id).exists()
