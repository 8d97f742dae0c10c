"""Histories of a store's events, delivered and compared: what the convergence tests
(and the erasure's rewriting of the log) are checked with."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from tests.rawevents import webhook_event
from winback.apply.applier import Applier
from winback.intake.rawlog import append_events
from winback.storage.schema import (
    activities,
    carts,
    customers,
    orders,
    products,
    suppressions,
)
from winback.stores.service import create_store

START = datetime(2026, 1, 1, tzinfo=UTC)
CUSTOMERS = ["c1", "c2", "c3"]
Delivery = tuple[str, dict[str, Any], datetime]


def _email(customer: str, version: int) -> str:
    # Customer c3 changes email back and forth. Events that name a shopper only by
    # email are left out for c3: which person an old address meant depends on
    # when it arrives, and no delivery order can tell.
    return f"{customer}-{version % 2 if customer == 'c3' else 0}@example.com"


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, dict[str, Any], datetime]]:
    """A clean history: each step happens one minute after the one before."""
    kinds = st.sampled_from(
        [
            "customer",
            "order",
            "product",
            "product_delete",
            "cart",
            "subscribe",
            "unsubscribe",
            "custom",
            "customer_delete",
            "order_delete",
        ]
    )
    steps = draw(
        st.lists(
            st.tuples(kinds, st.sampled_from(CUSTOMERS), st.integers(1, 3), st.integers(1, 999)),
            min_size=1,
            max_size=14,
        )
    )
    history = []
    erased: set[str] = set()
    for index, (kind, customer, number, amount) in enumerate(steps):
        if kind == "customer_delete" and customer in erased:
            # A second erasure of one person is left out: when the first arrives
            # last, what the second took cannot be given back (see the test of that
            # below, which shows the result errs towards erasing).
            kind = "customer"
        if kind in ("subscribe", "unsubscribe", "custom") and customer in erased:
            # So is an event naming an erased person's address alone: delivered
            # before the erasure, it joins the record that then held the address,
            # and the erasure, arriving later, cannot tell it from what the id
            # brought (the same reason c3's are left out).
            kind = "customer"
        if kind == "customer_delete":
            erased.add(customer)
        at = START + timedelta(minutes=index)
        stamp = at.isoformat()
        buyer = {"id": customer, "email": _email(customer, index), "first_name": customer.upper()}
        line = {"product_id": f"p{number}", "quantity": number, "price": f"{amount}.10"}
        body: dict[str, Any]
        if kind == "customer":
            event, body = (
                "customers/update",
                {
                    **buyer,
                    "updated_at": stamp,
                    "last_name": f"v{index}",
                    "accepts_marketing": amount % 3 == 0,
                },
            )
        elif kind == "order":
            event, body = (
                "orders/update",
                {
                    "id": f"o{number}",
                    "created_at": (START + timedelta(minutes=number)).isoformat(),
                    "updated_at": stamp,
                    # (a checkout's flag: what the shopper's record does not say)
                    "customer": {"id": customer, "accepts_marketing": amount % 5 == 0},
                    "email": buyer["email"],
                    "line_items": [line],
                    "total_price": f"{amount}.10",
                    "test": amount % 7 == 0,
                },
            )
        elif kind == "product":
            event, body = (
                "products/update",
                {"id": f"p{number}", "title": f"P{index}", "price": amount, "updated_at": stamp},
            )
        elif kind == "product_delete":
            event, body = "products/delete", {"id": f"p{number}"}
        elif kind == "cart":
            event, body = (
                "carts/update",
                {
                    "id": f"k{number}",
                    "updated_at": stamp,
                    "customer": {"id": customer},
                    "line_items": [line],
                    # (sent by some versions only: the others keep the latest one sent)
                    **(
                        {"abandoned_checkout_url": f"https://shop.example/{index}"}
                        if amount % 3
                        else {}
                    ),
                },
            )
        elif kind in ("subscribe", "unsubscribe", "custom") and customer == "c3":
            event, body = "customers/update", {**buyer, "updated_at": stamp}
        elif kind == "subscribe":
            # (a sign-up asking for a double opt-in waits, or not, by the consent as of it)
            event, body = (
                "newsletter/subscribe",
                {"email": buyer["email"], "double_optin_required": amount % 2 == 0},
            )
        elif kind == "unsubscribe":
            event, body = "newsletter/unsubscribe", {"email": buyer["email"]}
        elif kind == "customer_delete":
            event, body = "customers/delete", {"id": customer}
        elif kind == "order_delete":
            event, body = "orders/delete", {"id": f"o{number}"}
        else:
            event, body = "wishlist/added", {"email": buyer["email"], "sku": f"s{amount}"}
        history.append((event, body, at))
    return history


def deliver(
    engine: Engine,
    store_id: str,
    deliveries: list[tuple[str, dict[str, Any], datetime]],
    batch_size: int = 5,
) -> None:
    events = [
        webhook_event(store_id, event_type, body, at=at) for event_type, body, at in deliveries
    ]
    for event in events:  # one append each: every delivery is a separate request
        append_events(engine, [event])
    Applier(engine, batch_size=batch_size).drain()


def snapshot(engine: Engine, store_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        ids = {
            row.uid: row.external_id
            for row in conn.execute(
                select(customers.c.uid, customers.c.external_id).where(
                    customers.c.store_id == store_id
                )
            )
        }

        def rows(table: Any, *columns: str) -> list[tuple[Any, ...]]:
            selected = conn.execute(select(table).where(table.c.store_id == store_id)).all()
            return sorted(
                (
                    tuple(
                        ids.get(getattr(r, c))
                        if c == "customer_uid"
                        else orjson.dumps(getattr(r, c), option=orjson.OPT_SORT_KEYS, default=str)
                        for c in columns
                    )
                )
                for r in selected
            )

        return {
            "customers": rows(
                customers,
                "external_id",
                "email",
                "first_name",
                "last_name",
                "accepts_marketing",
                "tags",
                "orders_count",
                "total_spent",
                "first_order_at",
                "last_order_at",
                "data",
            ),
            "orders": rows(
                orders,
                "external_id",
                "customer_uid",
                "email",
                "total_price",
                "test",
                "line_items",
                "data",
                "created_at",
            ),
            "products": rows(products, "external_id", "status", "title", "price", "variants"),
            "carts": rows(
                carts,
                "external_id",
                "status",
                "customer_uid",
                "line_items",
                "abandoned_checkout_url",
                "data",
            ),
            "suppressions": rows(suppressions, "email", "type"),
            "activities": rows(activities, "type", "properties", "customer_uid", "occurred_at"),
        }


def fresh_store(engine: Engine) -> str:
    store, _ = create_store(engine, name="convergence " + secrets.token_hex(3))
    return store.id


def difference(table: str, messy: list[tuple[Any, ...]], clean: list[tuple[Any, ...]]) -> str:
    """Which values differ, row by row, in full (pytest would cut long rows short)."""
    lines = [f"{table}: {len(messy)} rows after the messy delivery, {len(clean)} clean"]
    for messy_row, clean_row in zip(messy, clean, strict=False):
        for index, (got, want) in enumerate(zip(messy_row, clean_row, strict=True)):
            if got != want:
                lines.append(f"  column {index}: messy {got!r} != clean {want!r}")
    return "\n".join(lines)
