"""The workspace's look-up of customers by email follows changes made in the batch."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import Engine

from winback.shoppers.model import Customer
from winback.storage.flush import flush
from winback.storage.workspace import Workspace
from winback.stores.service import create_store

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _customer(store_id: str, email: str | None, external_id: str | None = None) -> Customer:
    return Customer(
        uid=secrets.token_hex(16),
        store_id=store_id,
        version_at=AT,
        external_id=external_id,
        email=email,
    )


def test_customers_with_email_sees_stored_new_changed_and_removed(engine: Engine) -> None:
    store, _ = create_store(engine, name="Workspace " + secrets.token_hex(3))
    stored = _customer(store.id, "same@example.com")
    with engine.begin() as conn:
        ws = Workspace(conn)
        ws.add(stored)
        flush(ws)

    with engine.begin() as conn:
        ws = Workspace(conn)
        twin = _customer(store.id, "same@example.com", external_id="C1")
        mover = _customer(store.id, "same@example.com", external_id="C2")
        ws.add(twin)
        ws.add(mover)
        found = ws.customers_with_email(store.id, "same@example.com")
        assert {c.uid for c in found} == {twin.uid, mover.uid, stored.uid}

        mover.email = "moved@example.com"
        ws.reindex_customer(mover, "same@example.com", mover.external_id)
        ws.remove_customer(twin)
        assert [c.uid for c in ws.customers_with_email(store.id, "same@example.com")] == [
            stored.uid
        ]
        assert [c.uid for c in ws.customers_with_email(store.id, "moved@example.com")] == [
            mover.uid
        ]
        assert ws.customers_with_email("st_other", "same@example.com") == []
