"""What the apply tests share: a store of their own."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import Engine

from winback.stores.service import create_store


@pytest.fixture
def store_id(engine: Engine) -> str:
    store, _ = create_store(engine, name="Apply test " + secrets.token_hex(3))
    return store.id
