"""A short-lived in-memory view of stores and key hashes for the hot path.

Every webhook must be authenticated; reading the database for each one would
cost more than the rest of the request. Entries live a few seconds, so a new
store, a rotation or an expiry is seen almost at once.
"""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from winback.errors import NotFound, Unauthorized
from winback.storage.schema import store_keys, stores
from winback.stores.keys import hash_api_key
from winback.stores.service import Store, _store_from_row

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class _Entry:
    store: Store
    keys: tuple[tuple[str, datetime | None], ...]
    loaded: float


class StoreDirectory:
    def __init__(self, engine: Engine, *, cache_seconds: float = CACHE_SECONDS) -> None:
        self._engine = engine
        self._cache_seconds = cache_seconds
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def _load(self, store_id: str) -> _Entry | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(stores).where(stores.c.id == store_id)).first()
            if row is None:
                return None
            keys = conn.execute(
                select(store_keys.c.key_hash, store_keys.c.expires_at).where(
                    store_keys.c.store_id == store_id
                )
            ).all()
        return _Entry(
            _store_from_row(row), tuple((k.key_hash, k.expires_at) for k in keys), time.monotonic()
        )

    def _entry(self, store_id: str) -> _Entry:
        entry = self._entries.get(store_id)
        if entry is None or time.monotonic() - entry.loaded > self._cache_seconds:
            entry = self._reload(store_id)
        return entry

    def find(self, store_id: str) -> Store:
        """The store, or NotFound."""
        return self._entry(store_id).store

    def authenticate(self, store_id: str, key: str | None) -> Store:
        """The store if ``key`` is one of its valid keys; Unauthorized otherwise.

        A key the cached entry does not know is checked once more against the
        database, so a key made a moment ago (a rotation) works at once.
        """
        entry = self._entry(store_id)
        if not key:
            raise Unauthorized("send the store's API key in x-token (or x-api-key)")
        candidate = hash_api_key(key)
        if not _accepts(entry, candidate):
            entry = self._reload(store_id)
            if not _accepts(entry, candidate):
                raise Unauthorized("the API key is not valid for this store")
        return entry.store

    def _reload(self, store_id: str) -> _Entry:
        entry = self._load(store_id)
        if entry is None:
            shown = store_id if len(store_id) <= 64 else store_id[:64] + "..."
            raise NotFound(f"unknown store {shown!r}")
        with self._lock:
            self._entries[store_id] = entry
        return entry


def _accepts(entry: _Entry, candidate: str) -> bool:
    now = datetime.now(UTC)
    valid = False
    for key_hash, expires_at in entry.keys:
        # Every key is compared, so the time taken does not tell which one matched.
        matches = hmac.compare_digest(candidate, key_hash)
        valid |= matches and (expires_at is None or expires_at > now)
    return valid
