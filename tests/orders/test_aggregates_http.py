"""A customer's order aggregates, recomputed from the orders on every change."""

from __future__ import annotations

from typing import Any

from tests.conftest import StoreClient
from tests.conftest import applied as send
from tests.intake.logbook import outcomes

ADA = {"id": 7, "email": "ada@example.com"}


def place(store: StoreClient, order_id: int, created_at: str, total: Any, **fields: Any) -> None:
    body = {"id": order_id, "created_at": created_at, "customer": ADA, "total_price": total}
    send(store, "orders/create", body | fields)


def aggregates(store: StoreClient, customer_id: str = "7") -> tuple[Any, ...]:
    c = store.get(f"/api/v1/customers/{customer_id}").json()
    return (
        c["orders_count"],
        c["total_spent"],
        c["average_order_value"],
        c["first_order_at"],
        c["last_order_at"],
    )


def test_several_orders_add_up(store: StoreClient) -> None:
    # given three orders, delivered out of their chronological order
    place(store, 2, "2026-10-05T12:00:00Z", "30.00")
    place(store, 1, "2026-10-01T09:30:00+02:00", "10.00")
    place(store, 3, "2026-10-09T08:00:00Z", "20.00")

    # then count, sum, average, first and last order reflect all three
    assert aggregates(store) == (
        3,
        "60.00",
        "20.00",
        "2026-10-01T07:30:00+00:00",
        "2026-10-09T08:00:00+00:00",
    )


def test_decimal_amounts_add_up_exactly(store: StoreClient) -> None:
    place(store, 1, "2026-10-01T00:00:00Z", "0.10")
    place(store, 2, "2026-10-02T00:00:00Z", "0.20")

    assert aggregates(store)[:3] == (2, "0.30", "0.15")


def test_json_number_amounts_add_up_exactly(store: StoreClient) -> None:
    for order_id in range(1, 11):
        place(store, order_id, f"2026-10-{order_id:02d}T00:00:00Z", 0.1)

    assert aggregates(store)[:3] == (10, "1.00", "0.10")


def test_an_update_that_changes_the_total_changes_the_aggregates(store: StoreClient) -> None:
    place(store, 1, "2026-10-01T00:00:00Z", "10.00", updated_at="2026-10-01T00:00:00Z")
    place(store, 2, "2026-10-02T00:00:00Z", "30.00", updated_at="2026-10-02T00:00:00Z")

    # when order 2 is partly refunded
    send(
        store,
        "orders/update",
        {
            "id": 2,
            "created_at": "2026-10-02T00:00:00Z",
            "updated_at": "2026-10-03T00:00:00Z",
            "customer": ADA,
            "total_price": "15.50",
        },
    )

    assert aggregates(store)[:3] == (2, "25.50", "12.75")


def test_deleting_an_order_takes_it_out_of_the_aggregates(store: StoreClient) -> None:
    place(store, 1, "2026-10-01T00:00:00Z", "10.00")
    place(store, 2, "2026-10-02T00:00:00Z", "30.00")
    place(store, 3, "2026-10-03T00:00:00Z", "5.00")

    send(store, "orders/delete", {"id": 3})

    assert aggregates(store) == (
        2,
        "40.00",
        "20.00",
        "2026-10-01T00:00:00+00:00",
        "2026-10-02T00:00:00+00:00",
    )


def test_deleting_the_only_order_resets_the_aggregates(store: StoreClient) -> None:
    place(store, 1, "2026-10-01T00:00:00Z", "10.00")

    send(store, "orders/delete", {"id": 1})

    assert aggregates(store) == (0, "0.00", None, None, None)


def test_test_orders_are_left_out_of_every_aggregate(store: StoreClient) -> None:
    place(store, 1, "2026-10-01T00:00:00Z", "10.00")
    place(store, 2, "2026-10-09T00:00:00Z", "1000.00", test=True)
    place(store, 3, "2026-09-01T00:00:00Z", "1000.00", test=True)

    assert aggregates(store) == (
        1,
        "10.00",
        "10.00",
        "2026-10-01T00:00:00+00:00",
        "2026-10-01T00:00:00+00:00",
    )


def test_an_order_moved_to_another_customer_moves_its_revenue(store: StoreClient) -> None:
    place(store, 1, "2026-10-01T00:00:00Z", "10.00", updated_at="2026-10-01T00:00:00Z")
    place(store, 2, "2026-10-02T00:00:00Z", "20.00", updated_at="2026-10-02T00:00:00Z")

    # when the store corrects the buyer of order 2
    send(
        store,
        "orders/update",
        {
            "id": 2,
            "created_at": "2026-10-02T00:00:00Z",
            "updated_at": "2026-10-03T00:00:00Z",
            "customer": {"id": 8, "email": "charles@example.com"},
            "total_price": "20.00",
        },
    )

    # then each customer counts only their own orders
    assert aggregates(store)[:3] == (1, "10.00", "10.00")
    assert aggregates(store, "8")[:3] == (1, "20.00", "20.00")


def test_aggregates_of_one_customer_leave_the_others_alone(store: StoreClient) -> None:
    send(store, "customers/create", {"id": 8, "email": "charles@example.com"})

    place(store, 1, "2026-10-01T00:00:00Z", "10.00")

    assert aggregates(store, "8") == (0, "0.00", None, None, None)


def test_spend_is_summed_in_the_stores_currency_only(store: StoreClient) -> None:
    # given a store in USD, an order in its currency and one in yen
    place(store, 1, "2026-10-01T09:00:00Z", "10.00")
    place(store, 2, "2026-10-02T09:00:00Z", "1000", currency="JPY")

    # then both are orders, but only the dollars are spend (no rate to add the yen)
    assert aggregates(store) == (
        2,
        "10.00",
        "10.00",
        "2026-10-01T09:00:00+00:00",
        "2026-10-02T09:00:00+00:00",
    )


LARGEST = "99999999999999.9999"  # the largest amount an order may have


def test_the_largest_orders_add_up_to_the_last_digit(store: StoreClient) -> None:
    # given nine orders of the largest amount
    for order_id in range(1, 10):
        place(store, order_id, f"2026-10-{order_id:02d}T00:00:00Z", LARGEST)

    # then the total spent is their exact sum
    assert aggregates(store)[:3] == (9, "899999999999999.9991", LARGEST)


def test_a_total_spent_past_what_money_holds_stops_there_and_fails_nothing(
    store: StoreClient,
) -> None:
    # given orders whose sum no money column holds on SQLite (past 922 trillion)
    for order_id in range(1, 12):
        place(store, order_id, f"2026-10-{order_id:02d}T00:00:00Z", LARGEST)

    # then every order is applied, the total spent stops at 900 trillion,
    # and the average is worked out from the exact sum
    assert set(outcomes(store)) == {"applied"}
    assert aggregates(store)[:3] == (11, "900000000000000.00", LARGEST)
