"""Create, list and authenticate stores; rotate their keys."""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pycountry
from sqlalchemy import Connection, Engine, insert, select, update

from winback.config import MAX_KEY_ROTATION_GRACE_HOURS
from winback.errors import InvalidPayload, NotFound, Unauthorized
from winback.storage.schema import store_keys, stores
from winback.stores.keys import generate_api_key, generate_store_id, hash_api_key
from winback.tracking.origins import site_of

CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Store:
    id: str
    name: str
    domain: str | None
    currency: str
    created_at: datetime
    # Settings may hold secrets (the coupon endpoint's key): kept out of reprs and views.
    settings: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def double_opt_in(self) -> bool:
        return bool(self.settings.get("double_opt_in", False))

    def to_dict(self) -> dict[str, Any]:
        return {
            "store_id": self.id,
            "name": self.name,
            "domain": self.domain,
            "currency": self.currency,
            "created_at": self.created_at.isoformat(),
            "settings": _without_secrets(self.settings),
        }


SECRET_NAMES = frozenset({"key", "api_key", "secret", "password", "token"})


def _without_secrets(value: Any) -> Any:
    """Settings as shown to people: every secret-named entry reads as set, never its value."""
    if isinstance(value, dict):
        return {
            name: ("********" if name in SECRET_NAMES and inner else _without_secrets(inner))
            for name, inner in value.items()
        }
    return value


def _store_from_row(row: Any) -> Store:
    return Store(
        id=row.id,
        name=row.name,
        domain=row.domain,
        currency=row.currency,
        created_at=row.created_at,
        settings=dict(row.settings or {}),
    )


# The same limits whether the store is made by the CLI or over HTTP.
MAX_NAME_LENGTH = 200
MAX_DOMAIN_LENGTH = 255


# ISO 4217 codes that name no money a shop is paid in: "no currency", the code kept
# for tests, precious metals, and the funds' and settlement units.
NOT_MONEY = frozenset(
    {"XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XDR", "XSU", "XUA", "XBA", "XBB", "XBC", "XBD"}
)
# A host name as its pages' origins carry it (IDNA-encoded): dot-separated labels
# of letters, digits and inner hyphens.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def _checked_domain(domain: str | None) -> str | None:
    """The store's domain as given (a host, or a URL of its site), or None for none.

    The tracking collector takes browser events only from pages of this domain, so
    one that names no host would refuse every page of the store."""
    if domain is None or not domain.strip():
        return None
    _check_text("domain", domain, MAX_DOMAIN_LENGTH)
    try:
        problem = _site_url_problem(domain)
        host = site_of(domain)
    except ValueError:  # (a bracket no URL can hold, "http://[", or a port that is no number)
        problem, host = None, ""
    if problem is None and not _HOST.fullmatch(host):
        problem = "must be the shop's host name, like shop.example"
    if problem is not None:
        raise InvalidPayload(f"domain {problem}; got {domain[:60]!r}", pointer="/domain")
    return domain.strip()


def _site_url_problem(domain: str) -> str | None:
    """What makes a domain given as a URL no URL of a shop's pages (None: nothing)."""
    text = domain.strip()
    parts = urlsplit(text if "//" in text else "//" + text)
    if "//" in text and parts.scheme not in ("", "http", "https"):
        return "given as a URL must start with http:// or https://"
    if parts.username is not None:
        return "must not hold a user name or password"
    parts.port  # noqa: B018 (raises ValueError when the port is no number: "javascript:x")
    return None


def _check_text(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidPayload(f"{field} must be at most {limit} characters", pointer=f"/{field}")
    if "\x00" in value:  # (PostgreSQL text cannot hold one; no database keeps it)
        raise InvalidPayload(
            f"{field} must not contain the NUL character", pointer=f"/{field}", code="nul_character"
        )


def create_store(
    engine: Engine, *, name: str, domain: str | None = None, currency: str = "USD"
) -> tuple[Store, str]:
    """Create a store and its first key; the key is returned once and never stored."""
    if not name.strip():
        raise InvalidPayload("a store needs a non-empty name", pointer="/name")
    _check_text("name", name, MAX_NAME_LENGTH)
    domain = _checked_domain(domain)
    currency = currency.strip().upper()
    # A store's currency is what its revenue is counted in: an order in any other
    # counts no spend, so a typo ("UDS") would silently count none at all.
    if (
        not CURRENCY_PATTERN.match(currency)
        or pycountry.currencies.get(alpha_3=currency) is None
        or currency in NOT_MONEY
    ):
        raise InvalidPayload(
            f"currency must be an ISO 4217 code, like USD or EUR; got {currency[:10]!r}",
            pointer="/currency",
        )
    now = datetime.now(UTC)
    store = Store(
        id=generate_store_id(), name=name.strip(), domain=domain, currency=currency, created_at=now
    )
    key = generate_api_key()
    with engine.begin() as conn:
        conn.execute(
            insert(stores).values(
                id=store.id,
                name=store.name,
                domain=domain,
                currency=currency,
                settings={},
                created_at=now,
            )
        )
        conn.execute(
            insert(store_keys).values(store_id=store.id, key_hash=hash_api_key(key), created_at=now)
        )
    return store, key


def list_stores(engine: Engine) -> list[Store]:
    with engine.connect() as conn:
        rows = conn.execute(select(stores).order_by(stores.c.created_at)).all()
    return [_store_from_row(row) for row in rows]


def stores_by_id(conn: Connection, store_ids: Collection[str]) -> dict[str, Store]:
    """The stores of ``store_ids`` that exist, by id."""
    rows = conn.execute(select(stores).where(stores.c.id.in_(store_ids)))
    return {row.id: _store_from_row(row) for row in rows}


def get_store(engine: Engine, store_id: str) -> Store:
    with engine.connect() as conn:
        row = conn.execute(select(stores).where(stores.c.id == store_id)).first()
    if row is None:
        raise NotFound(f"no store with id {store_id!r}")
    return _store_from_row(row)


def grace_period(hours: float) -> timedelta:
    """A key rotation's grace period given in hours (the CLI's option, the API's field)."""
    if not math.isfinite(hours):
        problem = "must be a number of hours"
    elif hours < 0:
        problem = "must not be negative"
    elif hours > MAX_KEY_ROTATION_GRACE_HOURS:
        problem = f"must be at most {MAX_KEY_ROTATION_GRACE_HOURS} hours (a year)"
    else:
        return timedelta(hours=hours)
    raise InvalidPayload(
        f"the grace period {problem}; got {hours!r}", pointer="/grace_hours", code="invalid_grace"
    )


def rotate_key(engine: Engine, store_id: str, *, grace: timedelta) -> str:
    """Issue a new key; the current one stays valid for ``grace``, then expires.

    At most two keys are valid at a time: a key still in the grace period of an
    earlier rotation expires now (a second rotation that soon usually means the
    key it replaced should stop working).
    """
    grace_period(grace / timedelta(hours=1))
    get_store(engine, store_id)
    key = generate_api_key()
    with engine.begin() as conn:
        # One rotation of a store at a time: two at once (under PostgreSQL's read
        # committed) would each miss the other's new key and leave both valid.
        conn.execute(select(stores.c.id).where(stores.c.id == store_id).with_for_update())
        now = datetime.now(UTC)
        keys = store_keys.c
        conn.execute(
            update(store_keys)
            .where(keys.store_id == store_id, keys.expires_at > now)
            .values(expires_at=now)
        )
        conn.execute(
            update(store_keys)
            .where(keys.store_id == store_id, keys.expires_at.is_(None))
            .values(expires_at=now + grace)
        )
        conn.execute(
            insert(store_keys).values(store_id=store_id, key_hash=hash_api_key(key), created_at=now)
        )
    return key


def store_for_key(engine: Engine, key: str) -> Store:
    """The store a key belongs to, if the key is valid now."""
    now = datetime.now(UTC)
    with engine.connect() as conn:
        row = conn.execute(
            select(stores, store_keys.c.expires_at)
            .join(store_keys, store_keys.c.store_id == stores.c.id)
            .where(store_keys.c.key_hash == hash_api_key(key))
        ).first()
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        raise Unauthorized("the API key is not valid")
    return _store_from_row(row)


def update_settings(engine: Engine, store_id: str, changes: dict[str, Any]) -> Store:
    store = get_store(engine, store_id)
    merged = {**store.settings, **changes}
    with engine.begin() as conn:
        conn.execute(update(stores).where(stores.c.id == store_id).values(settings=merged))
    return get_store(engine, store_id)
