"""The ``winback`` command itself: its answers to a mistyped store and to ``--port 0``."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import free_port
from winback.cli import app as cli

WINBACK = str(Path(sys.executable).parent / "winback")


@pytest.mark.parametrize("store_id", ["st_nope", ""])
def test_replaying_a_store_that_does_not_exist_is_refused(
    store_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WINBACK_DATABASE_URL", raising=False)
    monkeypatch.setenv("WINBACK_DATA_DIR", str(tmp_path))

    replayed = CliRunner().invoke(cli, ["replay", store_id])

    assert replayed.exit_code == 2
    assert replayed.stderr.strip() == f"error: no store with id {store_id!r}"
    assert "replayed" not in replayed.stdout


def _environment(data_dir: Path, **variables: str) -> dict[str, str]:
    kept = {name: value for name, value in os.environ.items() if not name.startswith("WINBACK_")}
    return kept | {"WINBACK_DATA_DIR": str(data_dir), "WINBACK_LOG_LEVEL": "warning"} | variables


@contextmanager
def _running(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [WINBACK, *command], env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _listening_ports(pid: int) -> set[int]:
    """The TCP ports process ``pid`` listens on (its sockets, found in /proc/net/tcp*)."""
    sockets = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except FileNotFoundError:  # closed between listing and reading: not a listener
            continue
        with_inode = re.fullmatch(r"socket:\[(\d+)\]", target)
        if with_inode:
            sockets.add(with_inode[1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            listening = fields[3] == "0A"
            if listening and fields[9] in sockets:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _poll_ports(process: subprocess.Popen[str]) -> set[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "winback serve stopped"
        ports = _listening_ports(process.pid)
        if ports:
            return ports
        time.sleep(0.1)
    raise AssertionError("winback serve never listened")


def test_serve_on_port_0_listens_on_a_free_port_not_the_configured_one(tmp_path: Path) -> None:
    configured = free_port()
    env = _environment(tmp_path, WINBACK_PORT=str(configured))

    with _running(["serve", "--port", "0"], env) as process:
        [port] = _poll_ports(process)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)

    assert port != configured
    assert health.status_code == 200


def test_quickstart_on_port_0_names_the_free_port_it_listens_on(tmp_path: Path) -> None:
    configured = free_port()
    env = _environment(tmp_path, WINBACK_PORT=str(configured))

    with _running(["quickstart", "--port", "0"], env) as process:
        assert process.stdout is not None
        announced = ""
        while "winback is starting at" not in announced:
            announced = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", announced)
        assert found is not None, announced
        port = int(found[1])
        assert port not in (0, configured)
        assert _poll_ports(process) == {port}
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)

    assert health.status_code == 200


def _line_naming(process: subprocess.Popen[str], text: str) -> str:
    """The first line ``process`` prints that holds ``text``, waiting 30 s at most."""
    printed = process.stdout
    assert printed is not None
    lines: queue.Queue[str] = queue.Queue()
    # (read apart: a blocking readline could wait past the deadline for good)
    threading.Thread(target=lambda: [*map(lines.put, printed)], daemon=True).start()
    deadline = time.monotonic() + 30
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if text in line:
            return line
    raise AssertionError(f"no line named {text!r}")


@pytest.mark.parametrize("as_json", ["0", "1"])
@pytest.mark.parametrize("separate_applier", [[], ["--separate-applier"]])
def test_serve_says_where_it_listens_in_the_form_of_its_logs(
    tmp_path: Path, as_json: str, separate_applier: list[str]
) -> None:
    env = _environment(tmp_path, WINBACK_LOG_LEVEL="info", WINBACK_LOG_JSON=as_json)

    with _running(["serve", "--port", "0", *separate_applier], env) as process:
        [port] = _poll_ports(process)
        line = _line_naming(process, f"127.0.0.1:{port}")

    if as_json == "1":
        record = json.loads(line)
        assert record["level"] == "info"
        assert f"running on http://127.0.0.1:{port}" in record["event"]
    else:
        assert re.match(r"\d{4}-\d\d-\d\dT[\d:.]+Z \[info\s*\] .*running on http://", line)
