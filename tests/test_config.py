"""Settings read from the environment: defaults, and a clear error for a bad value
(what is wrong, with the variable's name and the value given)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from winback.config import (
    APPLY_BATCH_IN_SERVER,
    APPLY_BATCH_IN_WORKER,
    ConfigError,
    load_settings,
)

WINBACK = str(Path(sys.executable).parent / "winback")


def test_the_applier_batch_defaults_by_the_process_it_runs_in() -> None:
    settings = load_settings({})
    assert settings.batch_size_in("server") == APPLY_BATCH_IN_SERVER == 100
    assert settings.batch_size_in("worker") == APPLY_BATCH_IN_WORKER == 250


def test_a_set_applier_batch_holds_in_every_process() -> None:
    settings = load_settings({"WINBACK_APPLY_BATCH_SIZE": "60"})
    assert settings.batch_size_in("server") == settings.batch_size_in("worker") == 60
    assert load_settings({"WINBACK_APPLY_BATCH_SIZE": ""}).apply_batch_size is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("0", "WINBACK_APPLY_BATCH_SIZE must be at least 1, got '0'"),
        ("-5", "WINBACK_APPLY_BATCH_SIZE must be at least 1, got '-5'"),
        ("ten", "WINBACK_APPLY_BATCH_SIZE must be an integer, got 'ten'"),
    ],
)
def test_an_applier_batch_that_could_apply_nothing_is_refused(raw: str, reason: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"WINBACK_APPLY_BATCH_SIZE": raw})
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("WINBACK_PORT", "70000", "must be at most 65535"),
        ("WINBACK_PORT", "-1", "must be at least 0"),
        ("WINBACK_PORT", "http", "must be an integer"),
        ("WINBACK_MAX_BODY_BYTES", "0", "must be at least 1"),
        ("WINBACK_MAX_JSON_DEPTH", "0", "must be at least 1"),
        ("WINBACK_RATE_LIMIT_PER_SECOND", "0", "must be more than 0"),
        ("WINBACK_RATE_LIMIT_PER_SECOND", "nan", "must be a finite number"),
        ("WINBACK_RATE_LIMIT_BURST", "0", "must be at least 1"),
        ("WINBACK_OUTBOUND_TIMEOUT_SECONDS", "-2", "must be more than 0"),
        ("WINBACK_APPLY_LAG_LIMIT_SECONDS", "inf", "must be a finite number"),
        ("WINBACK_TRACKING_MAX_BODY_BYTES", "0", "must be at least 1"),
        ("WINBACK_TRACKING_MAX_EVENTS", "0", "must be at least 1"),
        ("WINBACK_TRACKING_VISITOR_PER_SECOND", "0", "must be more than 0"),
        ("WINBACK_TRACKING_VISITOR_BURST", "-3", "must be at least 1"),
        ("WINBACK_TRACKING_IP_PER_SECOND", "-1", "must be more than 0"),
        ("WINBACK_TRACKING_IP_BURST", "0", "must be at least 1"),
        ("WINBACK_TRACKING_IP_PER_SECOND", "-inf", "must be a finite number"),
        ("WINBACK_OUTBOUND_TIMEOUT_SECONDS", "inf", "must be a finite number"),
        ("WINBACK_LOG_LEVEL", "verbose", "must be one of debug, info, warning, error, critical"),
    ],
)
def test_a_setting_out_of_its_range_is_refused_by_name_and_value(
    name: str, raw: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({name: raw})
    assert str(refused.value) == f"{name} {reason}, got {raw!r}"


def test_settings_at_the_edges_of_their_ranges_are_taken() -> None:
    settings = load_settings(
        {
            "WINBACK_PORT": "0",
            "WINBACK_MAX_BODY_BYTES": "1",
            "WINBACK_RATE_LIMIT_PER_SECOND": "0.5",
            "WINBACK_LOG_LEVEL": " WARNING ",
            "WINBACK_APPLY_LAG_LIMIT_SECONDS": "0",
        }
    )
    assert (settings.port, settings.max_body_bytes, settings.rate_limit_per_second) == (0, 1, 0.5)
    assert (settings.log_level, settings.apply_lag_limit_seconds) == ("warning", 0.0)


def test_a_rate_limit_may_be_infinite_meaning_no_limit() -> None:
    settings = load_settings(
        {"WINBACK_RATE_LIMIT_PER_SECOND": "inf", "WINBACK_LOG_LEVEL": "critical"}
    )
    assert settings.rate_limit_per_second == float("inf")
    assert settings.log_level == "critical"


@pytest.mark.parametrize("command", [["quickstart"], ["serve"]])
def test_a_port_option_out_of_range_is_refused_before_anything_is_made(
    command: list[str], tmp_path: Path
) -> None:
    env = {**os.environ, "WINBACK_DATA_DIR": str(tmp_path)}
    env.pop("WINBACK_DATABASE_URL", None)
    finished = subprocess.run(
        [WINBACK, *command, "--port", "99999"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert "--port" in finished.stderr and "65535" in finished.stderr
    assert "Traceback" not in finished.stdout + finished.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["worker"], ["serve"], ["store", "list"]])
def test_a_bad_setting_stops_the_cli_with_what_is_wrong_and_no_traceback(
    command: list[str], tmp_path: Path
) -> None:
    env = {**os.environ, "WINBACK_DATA_DIR": str(tmp_path), "WINBACK_APPLY_BATCH_SIZE": "0"}
    env.pop("WINBACK_DATABASE_URL", None)
    finished = subprocess.run(
        [WINBACK, *command], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert finished.returncode == 2
    refusal = "winback: WINBACK_APPLY_BATCH_SIZE must be at least 1, got '0'"
    assert finished.stderr.strip() == refusal
    assert "Traceback" not in finished.stdout + finished.stderr
    assert list(tmp_path.iterdir()) == []  # (nothing was created)


@pytest.mark.parametrize("command", [["store", "list"], ["store", "create", "--name", "Shop"]])
def test_an_unreachable_database_stops_the_cli_with_one_line(
    command: list[str], tmp_path: Path
) -> None:
    env = {**os.environ, "WINBACK_DATA_DIR": str(tmp_path)}
    env["WINBACK_DATABASE_URL"] = "postgresql://postgres@127.0.0.1:1/winback"  # (nothing there)
    finished = subprocess.run(
        [WINBACK, *command], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert finished.returncode == 1
    assert finished.stderr.startswith("winback: the database cannot be reached: ")
    assert "port 1" in finished.stderr and len(finished.stderr.splitlines()) == 1
    assert finished.stdout == ""
