"""Settings read from the environment: defaults, and a clear error for a bad value
(what is wrong, with the variable's name and the value given)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.processes import run_winback
from winback.config import (
    APPLY_BATCH_IN_SERVER,
    APPLY_BATCH_IN_WORKER,
    ConfigError,
    load_settings,
)


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
    finished = run_winback([*command, "--port", "99999"], tmp_path)
    assert finished.returncode == 2
    assert "--port" in finished.stderr and "65535" in finished.stderr
    assert "Traceback" not in finished.stdout + finished.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["worker"], ["serve"], ["store", "list"]])
def test_a_bad_setting_stops_the_cli_with_what_is_wrong_and_no_traceback(
    command: list[str], tmp_path: Path
) -> None:
    finished = run_winback(command, tmp_path, WINBACK_APPLY_BATCH_SIZE="0")
    assert finished.returncode == 2
    refusal = "winback: WINBACK_APPLY_BATCH_SIZE must be at least 1, got '0'"
    assert finished.stderr.strip() == refusal
    assert "Traceback" not in finished.stdout + finished.stderr
    assert list(tmp_path.iterdir()) == []  # (nothing was created)


@pytest.mark.parametrize("command", [["store", "list"], ["store", "create", "--name", "Shop"]])
def test_an_unreachable_database_stops_the_cli_with_one_line(
    command: list[str], tmp_path: Path
) -> None:
    nothing_there = "postgresql://postgres@127.0.0.1:1/winback"
    finished = run_winback(command, tmp_path, WINBACK_DATABASE_URL=nothing_there)
    assert finished.returncode == 1
    assert finished.stderr.startswith("winback: the database cannot be reached: ")
    assert "port 1" in finished.stderr and len(finished.stderr.splitlines()) == 1
    assert finished.stdout == ""


@pytest.mark.parametrize("blank", ["", "  ", "\n"])
def test_a_blank_host_or_data_dir_means_unset_and_the_default_holds(blank: str) -> None:
    # (an empty host made `serve` listen on every interface; an empty data dir put the
    # database in the current directory)
    settings = load_settings({"WINBACK_HOST": blank, "WINBACK_DATA_DIR": blank})

    assert (settings.host, settings.data_dir) == ("127.0.0.1", Path("data"))


def test_a_host_and_a_data_dir_are_taken_without_the_blanks_around_them() -> None:
    settings = load_settings({"WINBACK_HOST": " 0.0.0.0\n", "WINBACK_DATA_DIR": "/srv/wb\n"})

    assert (settings.host, settings.data_dir) == ("0.0.0.0", Path("/srv/wb"))


def test_the_admin_token_is_taken_without_the_blanks_around_it() -> None:
    # (a token read from a secret file ends in a newline: kept, it could never match)
    assert load_settings({"WINBACK_ADMIN_TOKEN": " s3cret\n"}).admin_token == "s3cret"


@pytest.mark.parametrize("blank", ["", " ", "\n\t"])
def test_a_blank_admin_token_leaves_the_operator_api_off(blank: str) -> None:
    assert load_settings({"WINBACK_ADMIN_TOKEN": blank}).admin_token == ""


@pytest.mark.parametrize(
    ("raw", "taken"),
    [
        ("https://wb.example.com/", "https://wb.example.com"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://shop.example/winback", "https://shop.example/winback"),
        (" https://wb.example.com\n", "https://wb.example.com"),
        ("", ""),
    ],
)
def test_a_public_url_with_a_scheme_and_a_host_is_taken(raw: str, taken: str) -> None:
    assert load_settings({"WINBACK_PUBLIC_URL": raw}).public_url == taken


PUBLIC_URL_FORM = (
    "must be an absolute http:// or https:// URL with a host and no user, query or fragment,"
    " like https://winback.example.com"
)


@pytest.mark.parametrize(
    "raw",
    [
        "winback.example.com",  # (a path on the shop's own site: nothing would be tracked)
        "/winback",
        "ftp://wb.example.com",
        "https://",
        "https://wb.example.com:99999",
        "https://wb.example.com/?shop=1",
        "https://wb.example.com/#top",
        "https://wb example.com",
    ],
)
def test_a_public_url_that_is_not_an_absolute_http_url_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"WINBACK_PUBLIC_URL": raw})
    assert str(refused.value) == f"WINBACK_PUBLIC_URL {PUBLIC_URL_FORM}, got {raw!r}"


def test_a_public_url_with_a_password_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"WINBACK_PUBLIC_URL": "https://op:hunter2@wb.example.com"})
    assert str(refused.value).endswith(", got 'https://op:***@wb.example.com'")


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://winback:pw@db.example/winback",
        "postgres://db.example/winback",
        "postgresql+psycopg://db.example/winback",
        "postgresql:///winback",
        "sqlite:////srv/winback/winback.db",
        "sqlite:///winback.db",
    ],
)
def test_a_postgresql_or_sqlite_database_url_is_taken(raw: str) -> None:
    assert load_settings({"WINBACK_DATABASE_URL": raw}).database_url == raw


DATABASE_URL_FORM = "must be postgresql://USER@HOST/DATABASE or sqlite:///PATH"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("foo", "foo"),
        ("http://example.com/db", "http://example.com/db"),
        ("mysql://root:Sup3rSecretPw@127.0.0.1/x", "mysql://root:***@127.0.0.1/x"),
        (
            "postgresql+asyncpg://postgres@127.0.0.1/db",
            "postgresql+asyncpg://postgres@127.0.0.1/db",
        ),
        ("postgresql+psycopg2://u:Sup3rSecretPw@h/db", "postgresql+psycopg2://u:***@h/db"),
        ("postgresql://u:Sup3rSecretPw@h:port/db", "postgresql://u:***@h:port/db"),
    ],
)
def test_a_database_url_winback_cannot_use_is_refused_without_its_password(
    raw: str, shown: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"WINBACK_DATABASE_URL": raw})
    assert str(refused.value) == f"WINBACK_DATABASE_URL {DATABASE_URL_FORM}, got {shown!r}"


@pytest.mark.parametrize(
    "raw",
    [
        "redis://127.0.0.1:6379/0",
        "redis://:pw@redis.example",
        "rediss://redis.example:6380/2",
        "sqlite:////srv/winback/queue.db",
        "",
    ],
)
def test_a_redis_or_sqlite_queue_url_is_taken(raw: str) -> None:
    assert load_settings({"WINBACK_QUEUE_URL": raw}).queue_url == raw


QUEUE_URL_FORM = (
    "must be redis://HOST[:PORT][/DB] (rediss:// for TLS) or sqlite:///PATH,"
    " or empty for a SQLite queue in the data dir"
)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        # (each was taken as a relative file path: a private queue per host)
        ("amqp://localhost/q", "amqp://localhost/q"),
        ("redsi://:Sup3rSecretPw@redis.example", "redsi://:***@redis.example"),
        ("postgresql://u:Sup3rSecretPw@h/db", "postgresql://u:***@h/db"),
        ("queue.db", "queue.db"),
        ("redis://", "redis://"),
        ("redis://redis.example:port/0", "redis://redis.example:port/0"),
        ("redis://redis.example/queue", "redis://redis.example/queue"),
        ("sqlite:///", "sqlite:///"),
    ],
)
def test_a_queue_url_winback_cannot_use_is_refused(raw: str, shown: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"WINBACK_QUEUE_URL": raw})
    assert str(refused.value) == f"WINBACK_QUEUE_URL {QUEUE_URL_FORM}, got {shown!r}"


@pytest.mark.parametrize(
    ("name", "raw", "shown"),
    [
        ("WINBACK_DATABASE_URL", "mysql://root:Sup3rSecretPw@127.0.0.1/x", "mysql://root:***@"),
        ("WINBACK_DATABASE_URL", "postgresql+asyncpg://u@127.0.0.1/x", "postgresql+asyncpg"),
        ("WINBACK_QUEUE_URL", "amqp://localhost/q", "amqp://localhost/q"),
        ("WINBACK_PUBLIC_URL", "winback.example.com", "winback.example.com"),
    ],
)
@pytest.mark.parametrize("command", [["worker"], ["store", "list"]])
def test_a_url_winback_cannot_use_stops_the_cli_with_one_line(
    command: list[str], name: str, raw: str, shown: str, tmp_path: Path
) -> None:
    finished = run_winback(command, tmp_path, **{name: raw})

    assert finished.returncode == 2
    assert finished.stderr.startswith(f"winback: {name} must be ")
    assert shown in finished.stderr and len(finished.stderr.splitlines()) == 1
    assert "Sup3rSecretPw" not in finished.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("arrange", "fault"),
    [
        (lambda data: data.write_text(""), "WINBACK_DATA_DIR: '{data}' is a file, not a directory"),
        (
            lambda data: (data.mkdir(), (data / "winback.db").write_text("hello, not a db")),
            "WINBACK_DATA_DIR: the database file '{data}/winback.db' is not a SQLite database",
        ),
        (
            lambda data: (data / "winback.db").mkdir(parents=True),
            "WINBACK_DATA_DIR: the database file '{data}/winback.db' is a directory",
        ),
    ],
    ids=["a file", "no database in winback.db", "winback.db a directory"],
)
def test_a_data_dir_winback_cannot_use_stops_the_cli_with_one_line_naming_it(
    arrange: Callable[[Path], object], fault: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    arrange(data)

    finished = run_winback(["store", "list"], data)

    assert finished.returncode == 2
    assert finished.stderr == f"winback: {fault.format(data=data)}\n"
    assert finished.stdout == ""


def test_a_data_dir_that_cannot_be_made_stops_the_cli_naming_it() -> None:
    # (/proc takes no new directory, even from root)
    finished = run_winback(["store", "list"], Path("/proc/winback-data"))

    assert finished.returncode == 2
    assert finished.stderr.startswith(
        "winback: WINBACK_DATA_DIR: the directory '/proc/winback-data' cannot be made: "
    )
    assert len(finished.stderr.splitlines()) == 1
