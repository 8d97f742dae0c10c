"""A code is used once an order carrying it arrives, by webhook or by CSV import."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from tests.conftest import StoreClient
from tests.coupons.conftest import Behaviour, Coupons
from winback.apply.direct import apply_direct
from winback.apply.item import ApplyItem
from winback.imports import ImportedOrder, parse_orders_csv
from winback.intake.topics import Topic


def send_order(store: StoreClient, order_id: int, codes: list[str], **extra: Any) -> None:
    body = {
        "id": order_id,
        "created_at": "2026-11-02T10:00:00+00:00",
        "email": "ada@example.com",
        "total_price": "20.00",
        "discount_codes": [
            {"code": code, "amount": "5.00", "type": "fixed_amount"} for code in codes
        ],
    } | extra
    response = store.send("orders/create", body)
    assert response.status_code == 200, response.text
    store.wait_applied()


def test_an_order_with_the_code_marks_it_used(
    coupons: Coupons, connected: Behaviour, store: StoreClient
) -> None:
    code = coupons.issue(rule_id="TEN_OFF", email="ada@example.com").json()["code"]
    other = coupons.issue(rule_id="TEN_OFF", email="ada@example.com").json()["code"]

    # Stores may change a code's case or pad it.
    send_order(store, 5001, [f" {code.lower()} ", "SOMEONE-ELSES-CODE"])

    used = coupons.list(status="used")
    assert [(c["code"], c["used_order_id"], c["used_at"]) for c in used] == [
        (code, "5001", "2026-11-02T10:00:00+00:00")
    ]
    assert [c["code"] for c in coupons.list(status="created")] == [other]


def test_a_duplicate_or_a_second_order_changes_nothing(
    coupons: Coupons, connected: Behaviour, store: StoreClient
) -> None:
    code = coupons.issue(rule_id="TEN_OFF").json()["code"]
    send_order(store, 5001, [code])
    first = coupons.list()

    send_order(store, 5001, [code])
    send_order(store, 5002, [code], created_at="2026-11-03T10:00:00+00:00")

    assert coupons.list() == first


def test_a_code_in_a_csv_import_is_marked_used(
    coupons: Coupons, connected: Behaviour, store: StoreClient, engine: Engine
) -> None:
    code = coupons.issue(rule_id="TEN_OFF", email="bo@example.com").json()["code"]
    csv = (
        "order_id,order_created_at,order_status,order_coupon_code,customer_email,"
        "product_id,quantity,price\n"
        f"H-1,2025-05-01T09:00:00+00:00,complete,{code},bo@example.com,P1,1,10.00\n"
    ).encode()
    rows = [row for row in parse_orders_csv(csv, store_currency="USD")]
    assert all(isinstance(row, ImportedOrder) for row in rows)
    items = [
        ApplyItem(
            store_id=store.store_id,
            topic=Topic.ORDER_CREATE,
            event_type="orders/create",
            payload=row.payload,
            body={},
            event_time=datetime.now(UTC),
            source="csv",
        )
        for row in rows
        if isinstance(row, ImportedOrder)
    ]

    apply_direct(engine, items)

    [coupon] = coupons.list()
    assert (coupon["status"], coupon["used_order_id"]) == ("used", "H-1")


def test_codes_of_another_store_are_not_touched(
    coupons: Coupons, connected: Behaviour, other_store: StoreClient
) -> None:
    code = coupons.issue(rule_id="TEN_OFF").json()["code"]

    send_order(other_store, 9001, [code])

    assert [c["status"] for c in coupons.list()] == ["created"]
