"""Any delivery of a history, with duplicates and in any order, ends in the same state."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from winback.apply.applier import Applier
from winback.intake.rawlog import RawEvent, append_events, event_digest
from winback.intake.topics import topic_for
from winback.storage.schema import activities, carts, customers, orders, products, suppressions
from winback.stores.service import create_store

START = datetime(2026, 1, 1, tzinfo=UTC)
CUSTOMERS = ["c1", "c2", "c3"]


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
    for index, (kind, customer, number, amount) in enumerate(steps):
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
                    "customer": {"id": customer},
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
                },
            )
        elif kind in ("subscribe", "unsubscribe", "custom") and customer == "c3":
            event, body = "customers/update", {**buyer, "updated_at": stamp}
        elif kind == "subscribe":
            event, body = "newsletter/subscribe", {"email": buyer["email"]}
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


def _deliver(
    engine: Engine, store_id: str, deliveries: list[tuple[str, dict[str, Any], datetime]]
) -> None:
    events = []
    for event_type, body, at in deliveries:
        raw = orjson.dumps(body)
        time_header = str(at.timestamp())
        topic = topic_for(event_type)
        events.append(
            RawEvent(
                store_id=store_id,
                source="webhook",
                event_type=event_type,
                topic=topic.value,
                received_at=datetime.now(UTC),
                event_time=at,
                headers={"x-event-time": time_header},
                body=raw,
                digest=event_digest(
                    topic.value if topic.value != "custom" else event_type, time_header, body
                ),
            )
        )
    for event in events:  # one append each: every delivery is a separate request
        append_events(engine, [event])
    Applier(engine, batch_size=5).drain()


def _snapshot(engine: Engine, store_id: str) -> dict[str, Any]:
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
            "carts": rows(carts, "external_id", "status", "customer_uid", "line_items"),
            "suppressions": rows(suppressions, "email", "type"),
            "activities": rows(activities, "type", "properties", "customer_uid", "occurred_at"),
        }


def _fresh_store(engine: Engine) -> str:
    store, _ = create_store(engine, name="convergence " + secrets.token_hex(3))
    return store.id


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories(), data=st.data())
def test_duplicated_and_reordered_deliveries_converge_to_the_clean_state(
    engine: Engine, history: list[tuple[str, dict[str, Any], datetime]], data: st.DataObject
) -> None:
    # Given the clean history applied in order
    clean_store = _fresh_store(engine)
    _deliver(engine, clean_store, history)
    # When the same events arrive shuffled, some of them several times
    repeats = data.draw(st.lists(st.sampled_from(history), max_size=len(history)))
    messy = data.draw(st.permutations(history + repeats))
    messy_store = _fresh_store(engine)
    _deliver(engine, messy_store, messy)
    # Then both stores hold exactly the same state (table by table, for a readable diff)
    messy_state, clean_state = _snapshot(engine, messy_store), _snapshot(engine, clean_store)
    for table in clean_state:
        assert messy_state[table] == clean_state[table], _difference(
            table, messy_state[table], clean_state[table]
        )


def _difference(table: str, messy: list[tuple[Any, ...]], clean: list[tuple[Any, ...]]) -> str:
    """Which values differ, row by row, in full (pytest would cut long rows short)."""
    lines = [f"{table}: {len(messy)} rows after the messy delivery, {len(clean)} clean"]
    for messy_row, clean_row in zip(messy, clean, strict=False):
        for index, (got, want) in enumerate(zip(messy_row, clean_row, strict=True)):
            if got != want:
                lines.append(f"  column {index}: messy {got!r} != clean {want!r}")
    return "\n".join(lines)
