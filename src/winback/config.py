"""Typed configuration read once from ``WINBACK_*`` environment variables.

Every setting has a default that works on a laptop, so nothing needs
configuring to try winback. A malformed value fails at start-up, never later.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import SplitResult, urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(ValueError):
    """A ``WINBACK_*`` variable holds a value that cannot be used."""


class Secret(str):
    """A string whose repr never shows the value, so it cannot leak into logs."""

    def __repr__(self) -> str:
        return "Secret('**********')" if self else "Secret('')"


class Sourced(str):
    """A value worked out from a setting, with the variable it came from: a fault found
    only when it is used (a database file that cannot be made) can then name the
    variable to fix, however many hands the value went through."""

    setting: str

    def __new__(cls, value: str, setting: str) -> Sourced:
        made = super().__new__(cls, value)
        made.setting = setting
        return made


def _given(env: Mapping[str, str], name: str) -> str | None:
    """The variable's value; None when it is unset or empty (the default then holds)."""
    raw = env.get(name)
    return None if raw is None or raw == "" else raw


def _within(
    name: str, raw: str, value: float, minimum: float | None, maximum: float | None
) -> None:
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}, got {raw!r}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be at most {maximum:g}, got {raw!r}")


def _int(
    env: Mapping[str, str],
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    raw = _given(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    _within(name, raw, value, minimum, maximum)
    return value


def _positive_int_or_none(env: Mapping[str, str], name: str) -> int | None:
    return None if _given(env, name) is None else _int(env, name, 0, minimum=1)


def _float(
    env: Mapping[str, str],
    name: str,
    default: float,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    unbounded: bool = False,
) -> float:
    raw = _given(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if math.isnan(value) or (math.isinf(value) and not (unbounded and value > 0)):
        raise ConfigError(f"{name} must be a finite number, got {raw!r}")
    _within(name, raw, value, minimum, maximum)
    if above is not None and value <= above:
        raise ConfigError(f"{name} must be more than {above:g}, got {raw!r}")
    return value


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _log_level(env: Mapping[str, str], name: str) -> str:
    raw = env.get(name) or "info"
    if raw.strip().lower() not in LOG_LEVELS:
        raise ConfigError(f"{name} must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return raw.strip().lower()


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _given(env, name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _text(env: Mapping[str, str], name: str, default: str) -> str:
    """The variable's value without the blanks around it (a value read from a file
    often ends in a newline); the default when it is unset or blank."""
    return (env.get(name) or "").strip() or default


# A password in a URL, as user:password@ or ?password=: never echoed in a refusal.
_URL_PASSWORD = re.compile(r"(?<=://)([^:/@]*):[^@]*@|(?<=[?&]password=)[^&]*")


def shown_url(url: str) -> str:
    """``url`` with any password in it masked, to quote in a message."""
    return _URL_PASSWORD.sub(_masked, url)


def _masked(found: re.Match[str]) -> str:
    user = found[1]  # (None for a ?password= in the query)
    return "***" if user is None else f"{user}:***@"


def _split(url: str) -> SplitResult | None:
    """The URL's parts; None when it cannot be split (a port that is no number)."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # (parsed on demand: a bad port raises only here)
    except ValueError:
        return None
    return parts


# The databases winback is built and tested on, with the one driver of each it ships.
DATABASE_DRIVERS = {"postgresql": "psycopg", "sqlite": "pysqlite"}


def _database_url(env: Mapping[str, str], name: str) -> str:
    raw = _text(env, name, "")
    if raw and not _supported_database(normalize_database_url(raw)):
        raise ConfigError(
            f"{name} must be postgresql://USER@HOST/DATABASE or sqlite:///PATH,"
            f" got {shown_url(raw)!r}"
        )
    return raw


def _supported_database(url: str) -> bool:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return False
    backend = parsed.get_backend_name()
    # (the driver is looked up only for a known backend: an unknown one has no dialect)
    return backend in DATABASE_DRIVERS and parsed.get_driver_name() == DATABASE_DRIVERS[backend]


def _queue_url(env: Mapping[str, str], name: str) -> str:
    raw = _text(env, name, "")
    if raw and not (_redis_url(raw) or _sqlite_file_url(raw)):
        # (anything else used to be taken as a file path: a typo gave each host a
        # private queue, whose jobs the other hosts never saw)
        raise ConfigError(
            f"{name} must be redis://HOST[:PORT][/DB] (rediss:// for TLS) or sqlite:///PATH,"
            f" or empty for a SQLite queue in the data dir, got {shown_url(raw)!r}"
        )
    return raw


REDIS_SCHEMES = ("redis://", "rediss://")


def _redis_url(url: str) -> bool:
    parts = _split(url) if url.startswith(REDIS_SCHEMES) else None
    return (
        parts is not None
        and bool(parts.hostname)
        and re.fullmatch(r"/?[0-9]*", parts.path) is not None
    )


def _sqlite_file_url(url: str) -> bool:
    return url.startswith("sqlite:///") and url.removeprefix("sqlite:///").strip() != ""


def _public_url(env: Mapping[str, str], name: str) -> str:
    raw = _text(env, name, "")
    if not raw:
        return ""
    parts = _split(raw)
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
        or any(character.isspace() for character in raw)
    ):
        # (the tracking snippet appends /track.js to it: a value with no scheme makes a
        # path on the shop's own site, and no event is ever tracked)
        raise ConfigError(
            f"{name} must be an absolute http:// or https:// URL with a host and no user,"
            f" query or fragment, like https://winback.example.com, got {shown_url(raw)!r}"
        )
    return raw.rstrip("/")


def normalize_database_url(url: str) -> str:
    """Pick the drivers winback is built on: psycopg 3 for PostgreSQL."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


APPLY_BATCH_IN_SERVER = 100
APPLY_BATCH_IN_WORKER = 250
# A previous key kept longer than a year is not being rotated away.
MAX_KEY_ROTATION_GRACE_HOURS = 24 * 365


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""
    admin_token: Secret = field(default_factory=lambda: Secret(""))
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1024 * 1024
    max_json_depth: int = 32
    rate_limit_per_second: float = 20_000.0
    rate_limit_burst: int = 40_000
    # Events the applier applies in one transaction; None: by where it runs
    # (``batch_size_in``).
    apply_batch_size: int | None = None
    # The intake holds its 200s while the oldest pending event is older than
    # this (intake/backpressure.py); 0 turns it off.
    apply_lag_limit_seconds: float = 0.5
    log_level: str = "info"
    log_json: bool = False
    key_rotation_grace_hours: float = 24.0
    queue_url: str = ""
    outbound_allow_private: bool = False
    outbound_timeout_seconds: float = 10.0
    # Where stores' pages reach winback (the tracking snippet's script URL);
    # empty: http://{host}:{port}.
    public_url: str = ""
    # The tracking collector: browsers are anonymous, so limits are per visitor and per IP.
    tracking_max_body_bytes: int = 64 * 1024
    tracking_max_events: int = 50
    tracking_visitor_per_second: float = 2.0
    tracking_visitor_burst: int = 60
    tracking_ip_per_second: float = 50.0
    tracking_ip_burst: int = 500

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return Sourced(normalize_database_url(self.database_url), "WINBACK_DATABASE_URL")
        return Sourced(f"sqlite:///{(self.data_dir / 'winback.db').resolve()}", "WINBACK_DATA_DIR")

    @property
    def resolved_public_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    def batch_size_in(self, process: Literal["server", "worker"]) -> int:
        """The applier's batch: the setting, else what suits the process it runs in.

        On SQLite a batch holds the write lock the raw log's group commits wait for.
        In the server's process the applier shares the interpreter with the HTTP
        side, and 100 events let more acknowledgements through than 200. ``winback
        worker`` has a core of its own and works a batch out before it takes the
        lock: there 250 applied more per second, and senders waited less at
        saturation, than 100 (docs/benchmarks.md).
        """
        if self.apply_batch_size is not None:
            return self.apply_batch_size
        return APPLY_BATCH_IN_SERVER if process == "server" else APPLY_BATCH_IN_WORKER


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment; raise ConfigError on a bad value."""
    source = os.environ if env is None else env
    return Settings(
        data_dir=Path(_text(source, "WINBACK_DATA_DIR", "data")),
        database_url=_database_url(source, "WINBACK_DATABASE_URL"),
        # (blank: off, as documented; a token with a newline from its secret file
        # would otherwise turn the API on and never match)
        admin_token=Secret(_text(source, "WINBACK_ADMIN_TOKEN", "")),
        host=_text(source, "WINBACK_HOST", "127.0.0.1"),
        port=_int(source, "WINBACK_PORT", 8000, minimum=0, maximum=65535),
        max_body_bytes=_int(source, "WINBACK_MAX_BODY_BYTES", 1024 * 1024, minimum=1),
        max_json_depth=_int(source, "WINBACK_MAX_JSON_DEPTH", 32, minimum=1),
        rate_limit_per_second=_float(
            source, "WINBACK_RATE_LIMIT_PER_SECOND", 20_000.0, above=0.0, unbounded=True
        ),
        rate_limit_burst=_int(source, "WINBACK_RATE_LIMIT_BURST", 40_000, minimum=1),
        apply_batch_size=_positive_int_or_none(source, "WINBACK_APPLY_BATCH_SIZE"),
        apply_lag_limit_seconds=_float(source, "WINBACK_APPLY_LAG_LIMIT_SECONDS", 0.5, minimum=0.0),
        log_level=_log_level(source, "WINBACK_LOG_LEVEL"),
        log_json=_bool(source, "WINBACK_LOG_JSON", False),
        key_rotation_grace_hours=_float(
            source,
            "WINBACK_KEY_ROTATION_GRACE_HOURS",
            24.0,
            minimum=0.0,
            maximum=MAX_KEY_ROTATION_GRACE_HOURS,
        ),
        queue_url=_queue_url(source, "WINBACK_QUEUE_URL"),
        outbound_allow_private=_bool(source, "WINBACK_OUTBOUND_ALLOW_PRIVATE", False),
        outbound_timeout_seconds=_float(
            source, "WINBACK_OUTBOUND_TIMEOUT_SECONDS", 10.0, above=0.0
        ),
        public_url=_public_url(source, "WINBACK_PUBLIC_URL"),
        tracking_max_body_bytes=_int(
            source, "WINBACK_TRACKING_MAX_BODY_BYTES", 64 * 1024, minimum=1
        ),
        tracking_max_events=_int(source, "WINBACK_TRACKING_MAX_EVENTS", 50, minimum=1),
        tracking_visitor_per_second=_float(
            source, "WINBACK_TRACKING_VISITOR_PER_SECOND", 2.0, above=0.0, unbounded=True
        ),
        tracking_visitor_burst=_int(source, "WINBACK_TRACKING_VISITOR_BURST", 60, minimum=1),
        tracking_ip_per_second=_float(
            source, "WINBACK_TRACKING_IP_PER_SECOND", 50.0, above=0.0, unbounded=True
        ),
        tracking_ip_burst=_int(source, "WINBACK_TRACKING_IP_BURST", 500, minimum=1),
    )
