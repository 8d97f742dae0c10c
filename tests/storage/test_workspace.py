"""The workspace's look-ups (contacts by email and pos_id, a shopper's orders since a time)
follow changes made in the batch."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from winback.catalog.model import Product
from winback.orders.model import Order
from winback.shoppers.model import Customer
from winback.shoppers.profile import IMPLIED, set_field
from winback.storage.flush import flush
from winback.storage.schema import products
from winback.storage.workspace import Workspace
from winback.stores.service import create_store

AT = datetime(2026, 1, 1, tzinfo=UTC)
LATER = AT + timedelta(days=1)


def _customer(store_id: str, email: str | None, external_id: str | None = None) -> Customer:
    return Customer(
        uid=secrets.token_hex(16),
        store_id=store_id,
        version_at=AT,
        external_id=external_id,
        email=email,
    )


def _store(engine: Engine, entity: Any) -> None:
    """Write ``entity`` as a batch of its own would."""
    with engine.begin() as conn:
        ws = Workspace(conn)
        ws.add(entity)
        flush(ws)


def test_contacts_with_email_sees_stored_new_changed_and_removed_contacts(engine: Engine) -> None:
    store, _ = create_store(engine, name="Workspace " + secrets.token_hex(3))
    stored = _customer(store.id, "same@example.com")
    _store(engine, stored)

    with engine.begin() as conn:
        ws = Workspace(conn)
        contact = _customer(store.id, "same@example.com")
        mover = _customer(store.id, "same@example.com")
        with_id = _customer(store.id, "same@example.com", external_id="C1")
        for customer in (contact, mover, with_id):
            ws.add(customer)
        found = ws.contacts_with_email(store.id, "same@example.com")
        assert {c.uid for c in found} == {contact.uid, mover.uid, stored.uid}

        # An email written as a profile register changes without a re-index
        mover.email = "moved@example.com"
        ws.remove_customer(contact)
        assert [c.uid for c in ws.contacts_with_email(store.id, "same@example.com")] == [stored.uid]
        assert [c.uid for c in ws.contacts_with_email(store.id, "moved@example.com")] == [mover.uid]
        assert ws.contacts_with_email("st_other", "same@example.com") == []


def test_a_customer_whose_id_an_erasure_took_becomes_a_contact(engine: Engine) -> None:
    store, _ = create_store(engine, name="Workspace " + secrets.token_hex(3))
    with engine.begin() as conn:
        ws = Workspace(conn)
        customer = _customer(store.id, "kept@example.com", external_id="C9")
        ws.add(customer)
        assert ws.contacts_with_email(store.id, "kept@example.com") == []

        customer.external_id = None
        ws.reindex_customer(customer, customer.email, "C9")
        assert ws.contacts_with_email(store.id, "kept@example.com") == [customer]


def test_a_pos_id_finds_the_customer_holding_it_now_stored_or_made_in_the_batch(
    engine: Engine,
) -> None:
    # Given a stored customer with the pos_id P1
    store, _ = create_store(engine, name="Workspace " + secrets.token_hex(3))
    stored = _customer(store.id, None)
    set_field(stored, "pos_id", "P1", IMPLIED, AT)
    _store(engine, stored)

    with engine.begin() as conn:
        ws = Workspace(conn)
        found = ws.customer_by_pos_id(store.id, "P1")
        assert found is not None and found.uid == stored.uid

        # When the batch moves P1 to a customer it makes, and the stored one takes P2
        made = _customer(store.id, None)
        ws.add(made)
        set_field(made, "pos_id", "P1", IMPLIED, AT)
        ws.reindex_customer(made, None, None)
        set_field(found, "pos_id", "P2", IMPLIED, LATER)
        ws.reindex_customer(found, None, None)

        # Then each value finds who holds it now, and a phone no one has finds no one
        assert ws.customer_by_pos_id(store.id, "P1") is made
        assert ws.customer_by_pos_id(store.id, "P2") is found
        assert ws.customer_by_pos_id("st_other", "P1") is None
        assert ws.customer_by_phone(store.id, "+491512345678") is None


def test_a_product_touched_in_some_columns_has_only_those_written(engine: Engine) -> None:
    # given a stored product
    store, _ = create_store(engine, name="Workspace " + secrets.token_hex(3))
    product = Product(
        uid=secrets.token_hex(16),
        store_id=store.id,
        external_id="P1",
        status="disabled",
        source="line_item",
        version_at=AT,
        title="Mug",
    )
    _store(engine, product)

    # when a batch changes two fields of it but says only one changed
    with engine.begin() as conn:
        ws = Workspace(conn)
        held = ws.product(store.id, "P1")
        assert held is not None
        held.data, held.title = {"note": "new"}, "Not written"
        ws.touch_columns(held, "data")
        assert ws.is_dirty(held) and ws.changed_columns(held) == frozenset({"data"})
        flush(ws)

    # then that one is written, and the other is not
    with engine.connect() as conn:
        row = conn.execute(
            select(products.c.data, products.c.title).where(products.c.uid == product.uid)
        ).one()
    assert (row.data, row.title) == ({"note": "new"}, "Mug")


def test_an_entity_touched_whole_is_written_whole_whatever_else_was_said(engine: Engine) -> None:
    with engine.connect() as conn:
        ws = Workspace(conn)
        stored = _customer("st_x", "a@example.com")
        ws._register(stored)
        ws.touch_columns(stored, "data")
        ws.touch(stored)
        ws.touch_columns(stored, "tags")
        assert ws.is_dirty(stored) and ws.changed_columns(stored) is None


def test_an_order_since_a_time_is_answered_from_the_preload_unless_the_batch_removed_it(
    engine: Engine,
) -> None:
    # Given a stored customer with one stored order, placed LATER
    store, _ = create_store(engine, name="Workspace " + secrets.token_hex(3))
    buyer = _customer(store.id, "buyer@example.com", external_id="C1")
    _store(engine, buyer)
    order = Order(
        uid=secrets.token_hex(16),
        store_id=store.id,
        external_id="O1",
        created_at=LATER,
        version_at=LATER,
        total_price=Decimal("10"),
        customer_uid=buyer.uid,
    )
    _store(engine, order)

    with engine.begin() as conn:
        ws = Workspace(conn)
        ws.preload_last_orders(store.id, [buyer.uid])
        # then the order counts from any time up to its own, not after it
        assert ws.has_order_since(store.id, buyer.uid, AT)
        assert ws.has_order_since(store.id, buyer.uid, LATER)
        assert not ws.has_order_since(store.id, buyer.uid, LATER + timedelta(seconds=1))
        # and once the batch removes it, it no longer counts
        held = ws.order(store.id, "O1")
        assert held is not None
        ws.remove_order(held)
        assert not ws.has_order_since(store.id, buyer.uid, AT)
