"""The ``winback`` command itself: its answers to a mistyped store and to ``--port 0``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import free_port
from tests.processes import line_naming, listening_ports, running, winback_environment
from winback.cli import app as cli


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


def test_serve_on_port_0_listens_on_a_free_port_not_the_configured_one(tmp_path: Path) -> None:
    configured = free_port()
    env = winback_environment(tmp_path, WINBACK_PORT=str(configured))

    with running(["serve", "--port", "0"], env) as process:
        [port] = listening_ports(process)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)

    assert port != configured
    assert health.status_code == 200


def test_quickstart_on_port_0_names_the_free_port_it_listens_on(tmp_path: Path) -> None:
    configured = free_port()
    env = winback_environment(tmp_path, WINBACK_PORT=str(configured))

    with running(["quickstart", "--port", "0"], env) as process:
        assert process.stdout is not None
        announced = ""
        while "winback is starting at" not in announced:
            announced = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", announced)
        assert found is not None, announced
        port = int(found[1])
        assert port not in (0, configured)
        assert listening_ports(process) == {port}
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)

    assert health.status_code == 200


@pytest.mark.parametrize("as_json", ["0", "1"])
@pytest.mark.parametrize("separate_applier", [[], ["--separate-applier"]])
def test_serve_says_where_it_listens_in_the_form_of_its_logs(
    tmp_path: Path, as_json: str, separate_applier: list[str]
) -> None:
    env = winback_environment(tmp_path, WINBACK_LOG_LEVEL="info", WINBACK_LOG_JSON=as_json)

    with running(["serve", "--port", "0", *separate_applier], env) as process:
        [port] = listening_ports(process)
        line = line_naming(process, f"127.0.0.1:{port}")

    if as_json == "1":
        record = json.loads(line)
        assert record["level"] == "info"
        assert f"running on http://127.0.0.1:{port}" in record["event"]
    else:
        assert re.match(r"\d{4}-\d\d-\d\dT[\d:.]+Z \[info\s*\] .*running on http://", line)
