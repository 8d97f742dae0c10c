"""`winback serve --separate-applier`, as production runs it: the HTTP process only
stores and queues; `winback worker` applies the events and runs the queued jobs,
and serve watches it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, select

from tests.conftest import POSTGRES_UP, POSTGRES_URL, free_port, fresh_postgres_store
from tests.rawevents import webhook_event
from tests.waiting import healthy, poll
from winback.imports.runs import ABANDONED_AFTER, end_abandoned_jobs, upload_path
from winback.intake.rawlog import append_events
from winback.storage.schema import raw_events
from winback.stores.service import create_store
from winback.supervise import running

pytestmark = pytest.mark.e2e

CONTACTS = b"id,email,first_name\nC7,cy@example.com,Cy\n"


@dataclass
class SplitServer:
    http: httpx.Client
    store_id: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """kill -9 the server and its worker, as a lost machine would stop them."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def webhook(self, event_type: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(
            f"/webhooks/store/{self.store_id}", json=body, headers={"x-event-type": event_type}
        )

    def started(self) -> dict[int, str]:
        """The processes serve started that run, by pid, each with its command line."""
        return {
            pid: command for pid, command in _children(self.process.pid).items() if running(pid)
        }

    def worker_pid(self) -> int | None:
        workers = [pid for pid, command in self.started().items() if "winback worker" in command]
        return workers[0] if len(workers) == 1 else None

    def logged(self) -> list[dict[str, Any]]:
        """serve's own log lines (JSON), those of the processes it started included."""
        lines = self.log.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        answer = self.http.get(f"/api/v1/customers/{customer_id}")
        return answer.json() if answer.status_code == 200 else None


def _children(parent: int) -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # (the parent's pid is the second field after the command's name)
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                if int(fields[1]) == parent:
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                    found[int(entry.name)] = command.decode()
    return found


@contextmanager
def serving_apart(engine: Engine, tmp_path: Path, *options: str) -> Iterator[SplitServer]:
    """``winback serve --separate-applier`` and ``options`` on ``engine``'s database."""
    store, key = create_store(engine, name="Split store")
    port = free_port()
    data_dir = tmp_path / "data"
    environment = {
        **os.environ,
        "WINBACK_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "WINBACK_DATA_DIR": str(data_dir),
        "WINBACK_LOG_LEVEL": "warning",
        "WINBACK_LOG_JSON": "true",
    }
    command = [sys.executable, "-m", "winback", "serve", "--separate-applier", "--port", str(port)]
    log = tmp_path / "serve.log"
    # (a session of its own: the server and its worker process are stopped together)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, *options],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"x-api-key": key})
    try:
        poll(lambda: healthy(http), "the server to answer")
        yield SplitServer(http, store.id, data_dir, process, log)
    finally:
        http.close()
        with contextlib.suppress(ProcessLookupError):  # (a test may have stopped it)
            os.kill(process.pid, signal.SIGCONT)
        with contextlib.suppress(ProcessLookupError):  # (a test may have killed them)
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def split_server(private_engine: Engine, tmp_path: Path) -> Iterator[SplitServer]:
    with serving_apart(private_engine, tmp_path) as server:
        yield server


def test_the_worker_process_applies_what_the_http_process_stored(
    split_server: SplitServer,
) -> None:
    sent = split_server.webhook("customers/create", {"id": "C1", "email": "ann@example.com"})
    assert sent.status_code == 200, sent.text

    customer = poll(
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

    job = poll(
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
    poll(lambda: split_server.http.get(path).json()["import"]["status"] == "running", "a start")

    split_server.kill()
    assert upload_path(split_server.data_dir, job_id).exists()
    # What the next worker's periodic task finds once the job has been silent long enough.
    later = datetime.now(UTC) + ABANDONED_AFTER + timedelta(seconds=1)
    ended = end_abandoned_jobs(private_engine, split_server.data_dir, now=later)

    assert ended == [job_id]
    assert not upload_path(split_server.data_dir, job_id).exists()


def test_a_worker_that_dies_is_started_again_and_meanwhile_the_health_check_fails(
    split_server: SplitServer,
) -> None:
    first = poll(split_server.worker_pid, "the worker to start")
    serve = split_server.process.pid
    # (stopped, serve cannot start another worker until it is let go: what /healthz
    # says in between is then certain to be seen)
    os.kill(serve, signal.SIGSTOP)
    try:
        os.kill(first, signal.SIGKILL)  # (an OOM kill, say)
        down = poll(
            lambda: (found := split_server.http.get("/healthz")).status_code == 503 and found,
            "the health check to fail",
        )
        sent = split_server.webhook("customers/create", {"id": "C2", "email": "bo@example.com"})
    finally:
        os.kill(serve, signal.SIGCONT)

    assert (down.json()["status"], down.json()["applier"]) == ("unavailable", "stopped")
    assert sent.status_code == 200, sent.text
    second = poll(
        lambda: (pid := split_server.worker_pid()) not in (None, first) and pid,
        "serve to start another worker",
    )
    customer = poll(lambda: split_server.customer("C2"), "the event to be applied")
    assert customer["email"] == "bo@example.com"
    health = split_server.http.get("/healthz")
    assert (health.status_code, health.json()["applier"]) == (200, "apart")
    exits = [line for line in split_server.logged() if line["event"].startswith("winback worker")]
    assert exits == [
        {
            "event": "winback worker exited; starting it again",
            "pid": first,
            "exit_status": "SIGKILL",
            "exits_in_a_row": 1,
            "restart_in_seconds": 1.0,
            "level": "error",
            "timestamp": exits[0]["timestamp"],
        }
    ]
    assert second != first


def test_the_processes_serve_started_stop_once_serve_is_killed(
    split_server: SplitServer,
) -> None:
    poll(split_server.worker_pid, "the worker to start")
    started = split_server.started()  # (the worker, the HTTP process, uvicorn's helper)

    os.kill(split_server.process.pid, signal.SIGKILL)  # (serve alone: it cannot stop them)
    split_server.process.wait(timeout=30)

    poll(lambda: not any(running(pid) for pid in started), "serve's processes to stop")
    events = [line["event"] for line in split_server.logged()]
    # (the worker and the HTTP process each)
    assert events.count("the winback serve that started this process is gone: stopping") == 2


def _samples(text: str) -> dict[str, float]:
    """Each sample of a scrape, by its name and labels as Prometheus shows them."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{key}="{value}"' for key, value in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def test_metrics_add_up_every_process_the_applier_included(
    private_engine: Engine, tmp_path: Path
) -> None:
    with serving_apart(private_engine, tmp_path, "--workers", "2") as server:
        for n in range(20):
            # (a connection each, for the HTTP processes to share them)
            sent = httpx.post(
                server.http.base_url.join(f"/webhooks/store/{server.store_id}"),
                json={"id": f"M{n}", "email": f"m{n}@example.com"},
                headers={"x-event-type": "customers/create", "x-token": _key(server)},
            )
            assert sent.status_code == 200, sent.text

        # (the applier counts an event once it is committed: the scrape may come first)
        scraped = poll(
            lambda: (
                (found := _samples(server.http.get("/metrics").text)).get(
                    'winback_events_applied_total{outcome="applied"}'
                )
                == 20
                and found
            ),
            "the applied events to be counted",
        )

    assert scraped['winback_events_received_total{outcome="accepted",source="webhook"}'] == 20
    assert scraped["winback_apply_lag_seconds_count"] == 20
    assert scraped["winback_apply_pending"] == 0


def _key(server: SplitServer) -> str:
    return str(server.http.headers["x-api-key"])


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_UP, reason="PostgreSQL is not reachable")
def test_the_postgresql_worker_applies_again_once_its_connections_were_cut(
    tmp_path: Path,
) -> None:
    fresh = fresh_postgres_store("Cut")
    url, name, engine, store = fresh.url, fresh.database, fresh.engine, fresh.store
    environment = {
        **os.environ,
        "WINBACK_DATABASE_URL": url,
        "WINBACK_DATA_DIR": str(tmp_path / "data"),
        "WINBACK_LOG_JSON": "true",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "winback", "worker"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            poll(lambda: _listening(admin, name), "the worker to listen")
            # when the database drops the worker's connections (a restart, a failover)
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
        engine.dispose()  # (this test's own were cut too)
        seqs = append_events(
            engine,
            [
                webhook_event(store.id, "customers/create", {"id": n, "email": f"c{n}@x.com"})
                for n in range(3)
            ],
        )

        # then the worker goes on, and applies what is sent afterwards
        poll(lambda: _outcomes(engine, seqs) == {"applied"}, "the events to be applied")
        assert worker.poll() is None
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode()
        engine.dispose()
    # and says what happened in its structured log: one JSON object per line (a task
    # cut off mid-query may log its exception, inside its line), no printed traceback
    logged = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert "applier error" in [line["event"] for line in logged]


def _listening(admin: psycopg.Connection[Any], database: str) -> bool:
    found = admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND query LIKE 'LISTEN %%'",
        (database,),
    ).fetchone()
    return found is not None and found[0] > 0


def _outcomes(engine: Engine, seqs: list[int]) -> set[str]:
    with engine.connect() as conn:
        query = select(raw_events.c.outcome).where(raw_events.c.seq.in_(seqs))
        return set(conn.execute(query).scalars())
