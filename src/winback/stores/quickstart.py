"""The store ``winback quickstart`` made on a first run, and the file keeping its key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from winback.config import ConfigError
from winback.errors import NotFound, Unauthorized
from winback.stores.service import create_store, get_store, store_for_key


@dataclass(frozen=True)
class QuickstartStore:
    store_id: str
    api_key: str
    key_still_valid: bool  # (false once the key was rotated and its grace ran out)


def quickstart_store(engine: Engine, saved: Path) -> QuickstartStore:
    """The store named in ``saved``; on the first run, a new one, written there.

    A file that cannot be read, or that names a store this database does not hold
    (the database URL changed since), is refused: making a new store over it would
    throw away the only copy of a key."""
    if not saved.exists():
        store, key = create_store(engine, name="My store", currency="USD")
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps({"store_id": store.id, "api_key": key}))
        saved.chmod(0o600)
        return QuickstartStore(store.id, key, key_still_valid=True)
    store_id, key = _read(saved)
    try:
        get_store(engine, store_id)
    except NotFound:
        raise ConfigError(
            f"{saved} names store {store_id!r}, which this database does not hold; "
            "remove the file and quickstart makes a store in this database"
        ) from None
    try:
        still_valid = store_for_key(engine, key).id == store_id
    except Unauthorized:
        still_valid = False
    return QuickstartStore(store_id, key, key_still_valid=still_valid)


def _read(saved: Path) -> tuple[str, str]:
    problem = f"{saved} cannot be read"
    try:
        details = json.loads(saved.read_bytes())
    except (OSError, ValueError) as error:
        raise ConfigError(f"{problem}: {error}; remove it to make a new store") from None
    if not isinstance(details, dict):
        raise ConfigError(f"{problem}: it holds no JSON object; remove it to make a new store")
    missing = [name for name in ("store_id", "api_key") if not isinstance(details.get(name), str)]
    if missing:
        raise ConfigError(
            f"{problem}: it lacks {' and '.join(missing)}; remove it to make a new store"
        )
    return details["store_id"], details["api_key"]
