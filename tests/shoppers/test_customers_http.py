"""Customers over real HTTP: identity, profile, three-state consent flag, erasure."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import StoreClient
from tests.conftest import applied as send
from tests.intake.logbook import log_entries, log_entry, unix_seconds

ADA = {"id": 7, "email": "ada@example.com", "first_name": "Ada"}


def all_customers(store: StoreClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = store.get("/api/v1/customers").json()["items"]
    return items


def by_email(store: StoreClient, email: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = store.get("/api/v1/customers", email=email).json()["items"]
    return items


def test_a_new_email_for_a_known_id_changes_that_customer_and_creates_no_other(
    store: StoreClient,
) -> None:
    # given customer 7 with one address
    send(store, "customers/create", ADA)

    # when an update with the same id brings a new address
    send(store, "customers/update", {"id": 7, "email": "ada@lovelace.example"})

    # then customer 7 has the new address, keeps its name, and is still the only one
    customer = store.get("/api/v1/customers/7").json()
    assert (customer["email"], customer["first_name"]) == ("ada@lovelace.example", "Ada")
    assert [c["id"] for c in all_customers(store)] == ["7"]
    assert by_email(store, "ada@example.com") == []
    assert [c["id"] for c in by_email(store, "ada@lovelace.example")] == ["7"]


def test_without_an_id_the_email_identifies_the_customer(store: StoreClient) -> None:
    send(store, "customers/create", {"email": "ada@example.com", "first_name": "Ada"})

    send(store, "customers/update", {"email": "ADA@example.com", "last_name": "Lovelace"})

    [customer] = all_customers(store)
    assert customer["id"] is None
    assert (customer["email"], customer["first_name"], customer["last_name"]) == (
        "ada@example.com",
        "Ada",
        "Lovelace",
    )


def test_an_event_without_an_id_updates_the_customer_that_has_one(store: StoreClient) -> None:
    send(store, "customers/create", ADA)

    send(store, "customers/update", {"email": "ada@example.com", "last_name": "Lovelace"})

    [customer] = all_customers(store)
    assert (customer["id"], customer["last_name"]) == ("7", "Lovelace")


def test_a_customer_known_by_email_takes_the_id_of_a_later_event(store: StoreClient) -> None:
    send(store, "customers/create", {"email": "ada@example.com", "first_name": "Ada"})

    send(store, "customers/update", {"id": "C-7", "email": "ada@example.com"})

    [customer] = all_customers(store)
    assert (customer["id"], customer["first_name"]) == ("C-7", "Ada")
    assert store.get("/api/v1/customers/C-7").json() == customer


def test_another_id_with_the_same_email_is_another_customer(store: StoreClient) -> None:
    send(store, "customers/create", ADA)

    send(store, "customers/create", {"id": 8, "email": "ada@example.com", "first_name": "Byron"})

    assert store.get("/api/v1/customers/7").json()["first_name"] == "Ada"
    assert store.get("/api/v1/customers/8").json()["first_name"] == "Byron"
    assert sorted(c["id"] for c in by_email(store, "ada@example.com")) == ["7", "8"]


def test_numeric_and_string_ids_are_the_same_id(store: StoreClient) -> None:
    send(store, "customers/create", {"id": 7, "email": "ada@example.com"})

    send(store, "customers/update", {"id": "7", "email": "ada@example.com", "last_name": "L"})

    assert [(c["id"], c["last_name"]) for c in all_customers(store)] == [("7", "L")]


def test_the_profile_is_stored_as_sent_with_the_email_lower_cased(store: StoreClient) -> None:
    send(
        store,
        "customers/create",
        {
            "id": 7,
            "email": " Ada@Example.COM ",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "title": "Countess",
            "gender": "F",
            "birthdate": "1815-12-10",
            "created_at": "2026-01-02T03:04:05+01:00",
            "updated_at": "2026-02-03T04:05:06Z",
            "tags": "vip, newsletter",
            "groups": [{"id": 1, "name": "Wholesale"}],
            "default_address": {"country_code": "GB", "city": "London", "zip": "W1"},
            "rewards": {"points": 120},
            "verified_email": True,
            "guest": False,
            "sms_phone_number_e164": "+447700900123",
            "info": {"source": "pos"},
        },
    )

    customer = store.get("/api/v1/customers/7").json()
    assert customer == {
        "id": "7",
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "accepts_marketing": None,
        "marketing_status": "unknown",
        "suppressions": [],
        "tags": ["vip", "newsletter"],
        "orders_count": 0,
        "total_spent": "0.00",
        "average_order_value": None,
        "first_order_at": None,
        "last_order_at": None,
        "created_at": "2026-01-02T02:04:05+00:00",
        "updated_at": "2026-02-03T04:05:06+00:00",
        "title": "Countess",
        "gender": "F",
        "birthdate": "1815-12-10",
        "groups": [{"id": 1, "name": "Wholesale"}],
        "default_address": {"country_code": "GB", "city": "London", "zip": "W1"},
        "rewards": {"points": 120},
        "verified_email": True,
        "guest": False,
        "sms_phone_number_e164": "+447700900123",
        "info": {"source": "pos"},
    }


def test_tags_replace_unless_append_tags_is_true(store: StoreClient) -> None:
    send(store, "customers/create", {**ADA, "tags": ["vip", "newsletter"]})

    send(store, "customers/update", {**ADA, "tags": "wholesale"})
    assert store.get("/api/v1/customers/7").json()["tags"] == ["wholesale"]

    send(store, "customers/update", {**ADA, "tags": "vip,wholesale", "append_tags": True})
    assert store.get("/api/v1/customers/7").json()["tags"] == ["wholesale", "vip"]


def test_an_update_without_tags_keeps_them(store: StoreClient) -> None:
    send(store, "customers/create", {**ADA, "tags": ["vip"]})

    send(store, "customers/update", {**ADA, "last_name": "Lovelace"})

    assert store.get("/api/v1/customers/7").json()["tags"] == ["vip"]


@pytest.mark.parametrize(
    ("accepts_marketing", "status"),
    [(True, "subscribed"), (False, "unsubscribed"), (None, "unknown")],
)
def test_accepts_marketing_has_three_states(
    store: StoreClient, accepts_marketing: bool | None, status: str
) -> None:
    send(store, "customers/create", {**ADA, "accepts_marketing": accepts_marketing})

    customer = store.get("/api/v1/customers/7").json()
    assert (customer["accepts_marketing"], customer["marketing_status"]) == (
        accepts_marketing,
        status,
    )
    assert customer["suppressions"] == []


def test_a_customer_who_never_said_is_unknown_not_unsubscribed(store: StoreClient) -> None:
    send(store, "customers/create", ADA)

    customer = store.get("/api/v1/customers/7").json()
    assert (customer["accepts_marketing"], customer["marketing_status"]) == (None, "unknown")


@pytest.mark.parametrize(("known", "status"), [(True, "subscribed"), (False, "unsubscribed")])
def test_a_newer_null_keeps_a_known_flag(store: StoreClient, known: bool, status: str) -> None:
    send(store, "customers/create", {**ADA, "accepts_marketing": known})

    send(store, "customers/update", {**ADA, "accepts_marketing": None, "last_name": "King"})

    customer = store.get("/api/v1/customers/7").json()
    assert (customer["accepts_marketing"], customer["marketing_status"]) == (known, status)
    assert customer["last_name"] == "King"  # (the update itself was applied)


def test_a_subscriber_stays_subscribed_when_the_store_sends_null(store: StoreClient) -> None:
    send(store, "newsletter/subscribe", {"email": ADA["email"], "customerId": ADA["id"]})

    send(store, "customers/update", {**ADA, "accepts_marketing": None})

    assert store.get("/api/v1/customers/7").json()["marketing_status"] == "subscribed"


def test_a_customer_created_with_null_takes_the_opt_in_of_a_later_order(store: StoreClient) -> None:
    send(store, "customers/create", {**ADA, "accepts_marketing": None})

    buyer = {**ADA, "accepts_marketing": True}
    order = {"id": "o-1", "created_at": "2026-03-01T10:00:00Z", "customer": buyer}
    send(store, "orders/create", order)

    assert store.get("/api/v1/customers/7").json()["marketing_status"] == "subscribed"


def test_an_update_that_does_not_mention_the_flag_keeps_it(store: StoreClient) -> None:
    send(store, "customers/create", {**ADA, "accepts_marketing": True})

    send(store, "customers/update", {**ADA, "last_name": "Lovelace"})

    assert store.get("/api/v1/customers/7").json()["marketing_status"] == "subscribed"


def test_extra_fields_of_the_sender_are_kept_on_the_profile(store: StoreClient) -> None:
    send(store, "customers/create", {**ADA, "loyalty_tier": "gold", "external_ref": {"crm": 42}})

    customer = store.get("/api/v1/customers/7").json()
    assert (customer["loyalty_tier"], customer["external_ref"]) == ("gold", {"crm": 42})


def test_a_sender_field_named_like_an_aggregate_never_replaces_the_aggregate(
    store: StoreClient,
) -> None:
    # given a sender whose customer records carry their own average_order_value
    send(store, "customers/create", {**ADA, "average_order_value": "999.00"})

    # when the customer has one order of 10.00
    send(
        store,
        "orders/create",
        {"id": 1, "created_at": "2026-11-01T10:00:00Z", "customer": {"id": 7}, "total_price": 10},
    )

    # then the read API shows winback's figure
    assert store.get("/api/v1/customers/7").json()["average_order_value"] == "10.00"


# -- erasure -------------------------------------------------------------------------------

DELETED_AT = "2026-06-01T00:00:00Z"


def erase(store: StoreClient, body: dict[str, Any], at: str | None = DELETED_AT) -> int:
    """customers/delete, happened at ``at`` (or when it arrives, for ``None``)."""
    headers = {"x-event-time": unix_seconds(at)} if at else {}
    return send(store, "customers/delete", body, **headers)


@pytest.mark.parametrize("identity", [{"id": 7}, {"email": "Ada@Example.com"}])
def test_customers_delete_erases_the_person(store: StoreClient, identity: dict[str, Any]) -> None:
    # given a customer with an order and a cart
    send(store, "customers/create", {**ADA, "updated_at": "2026-05-01T00:00:00Z"})
    send(
        store,
        "orders/create",
        {
            "id": 1001,
            "created_at": "2026-05-02T00:00:00Z",
            "updated_at": "2026-05-02T00:00:00Z",
            "customer": {"id": 7, "email": "ada@example.com", "first_name": "Ada"},
            "total_price": "10.00",
        },
    )
    send(
        store,
        "carts/create",
        {"id": "c1", "customer": {"id": 7}, "updated_at": "2026-05-03T00:00:00Z"},
    )

    # when the store deletes the customer (by id or by email)
    event_id = erase(store, identity)

    # then the person is gone: no record, no cart, and the order no longer names them
    assert log_entry(store, event_id)["outcome"] == "applied"
    assert store.get("/api/v1/customers/7").status_code == 404
    assert all_customers(store) == []
    assert by_email(store, "ada@example.com") == []
    assert store.get("/api/v1/carts/c1").status_code == 404
    order = store.get("/api/v1/orders/1001").json()
    assert (order["customer_id"], order["email"], order["total_price"]) == (None, None, "10.00")


def test_an_event_older_than_the_erasure_does_not_bring_the_person_back(store: StoreClient) -> None:
    send(store, "customers/create", {**ADA, "updated_at": "2026-05-01T00:00:00Z"})
    erase(store, {"id": 7})

    late = send(store, "customers/update", {**ADA, "updated_at": "2026-05-15T00:00:00Z"})

    assert log_entry(store, late)["outcome"] == "stale"
    assert store.get("/api/v1/customers/7").status_code == 404
    assert all_customers(store) == []


def test_an_event_older_than_the_erasure_found_by_email_does_not_bring_the_person_back(
    store: StoreClient,
) -> None:
    send(store, "customers/create", {**ADA, "updated_at": "2026-05-01T00:00:00Z"})
    erase(store, {"id": 7})

    send(
        store,
        "customers/update",
        {"email": "ada@example.com", "first_name": "Ada", "updated_at": "2026-05-15T00:00:00Z"},
    )

    assert all_customers(store) == []


def test_an_event_newer_than_the_erasure_creates_the_customer_anew(store: StoreClient) -> None:
    # given an erased customer who had an order
    send(store, "customers/create", {**ADA, "last_name": "L", "updated_at": "2026-05-01T00:00:00Z"})
    send(
        store,
        "orders/create",
        {
            "id": 1001,
            "created_at": "2026-05-02T00:00:00Z",
            "updated_at": "2026-05-02T00:00:00Z",
            "customer": {"id": 7},
            "total_price": 5,
        },
    )
    erase(store, {"id": 7})

    # when a newer customer event arrives
    event_id = send(store, "customers/create", {**ADA, "updated_at": "2026-06-02T00:00:00Z"})

    # then the customer exists again, with nothing of the erased record
    assert log_entry(store, event_id)["outcome"] == "applied"
    customer = store.get("/api/v1/customers/7").json()
    assert (customer["first_name"], customer["last_name"]) == ("Ada", None)
    assert store.get("/api/v1/orders/1001").json()["customer_id"] is None
    assert (customer["orders_count"], customer["total_spent"]) == (0, "0.00")


def test_an_unknown_customer_deleted_stays_deleted_for_older_events(store: StoreClient) -> None:
    erase(store, {"id": 7})

    late = send(store, "customers/create", {**ADA, "updated_at": "2026-05-01T00:00:00Z"})

    assert log_entry(store, late)["outcome"] == "stale"
    assert store.get("/api/v1/customers/7").status_code == 404


def test_an_older_order_after_the_erasure_keeps_the_sale_but_not_the_person(
    store: StoreClient,
) -> None:
    # given an erased customer
    send(store, "customers/create", {**ADA, "updated_at": "2026-05-01T00:00:00Z"})
    erase(store, {"id": 7})

    # when an order placed before the erasure arrives late
    send(
        store,
        "orders/create",
        {
            "id": 1002,
            "created_at": "2026-05-20T00:00:00Z",
            "updated_at": "2026-05-20T00:00:00Z",
            "email": "ada@example.com",
            "customer": {"id": 7, "email": "ada@example.com", "first_name": "Ada"},
            "total_price": "30.00",
        },
    )

    # then the order is kept without naming the person, and the person stays erased
    order = store.get("/api/v1/orders/1002").json()
    assert (order["customer_id"], order["email"], order["total_price"]) == (None, None, "30.00")
    assert all_customers(store) == []


def test_erasing_one_customer_leaves_the_others_alone(store: StoreClient) -> None:
    send(store, "customers/create", ADA)
    send(store, "customers/create", {"id": 8, "email": "charles@example.com"})

    erase(store, {"id": 7}, at=None)

    assert [c["id"] for c in all_customers(store)] == ["8"]


def test_erasing_in_one_store_leaves_the_same_id_in_another_store(
    store: StoreClient, other_store: StoreClient
) -> None:
    send(store, "customers/create", ADA)
    send(other_store, "customers/create", ADA)

    erase(store, {"id": 7}, at=None)

    assert store.get("/api/v1/customers/7").status_code == 404
    assert other_store.get("/api/v1/customers/7").json()["email"] == "ada@example.com"


def test_a_delete_older_than_the_customers_last_change_keeps_what_came_after(
    store: StoreClient,
) -> None:
    # given a customer who changed after the delete happened (the delete arrives late)
    send(store, "customers/create", {**ADA, "updated_at": "2026-06-02T00:00:00Z"})

    erase(store, {"id": 7}, at=DELETED_AT)

    # then the newer facts survive the older delete
    customer = store.get("/api/v1/customers/7").json()
    assert (customer["email"], customer["first_name"]) == ("ada@example.com", "Ada")


def test_an_older_cart_of_an_erased_person_is_not_stored(store: StoreClient) -> None:
    send(store, "customers/create", {**ADA, "updated_at": "2026-04-01T00:00:00Z"})
    erase(store, {"id": 7})

    late = send(
        store,
        "carts/create",
        {
            "id": "c1",
            "email": "ada@example.com",
            "customer": {**ADA},
            "updated_at": "2026-05-01T00:00:00Z",
        },
    )

    assert log_entry(store, late)["outcome"] == "stale"
    assert store.get("/api/v1/carts/c1").status_code == 404
    assert all_customers(store) == []


def test_a_subscribe_older_than_the_erasure_does_not_bring_the_person_back(
    store: StoreClient,
) -> None:
    # given an erased customer
    send(store, "customers/create", {**ADA, "updated_at": "2026-04-01T00:00:00Z"})
    erase(store, {"id": 7})

    # when a newsletter subscription made before the erasure arrives late
    send(
        store,
        "newsletter/subscribe",
        {"email": "ada@example.com", "first_name": "Ada"},
        **{"x-event-time": unix_seconds("2026-05-01T00:00:00Z")},
    )

    # then the person stays erased
    assert all_customers(store) == []


def test_sender_fields_named_like_winbacks_bookkeeping_change_nothing(store: StoreClient) -> None:
    # given a customer with tags, and a sender whose fields start with "_"
    send(store, "customers/create", {**ADA, "tags": "vip"})
    odd = {"_registers": "x", "_appended_tags": "x", "_purchases": 1, "_id": "abc"}

    # when such fields arrive, then later events about the customer still apply
    send(store, "customers/update", {**ADA, **odd, "first_name": "Ada"})
    send(store, "customers/update", {**ADA, "tags": "new", "append_tags": True})

    customer = store.get("/api/v1/customers/7").json()
    assert customer["tags"] == ["vip", "new"]
    assert not any(name.startswith("_") for name in customer)
    assert [entry["outcome"] for entry in log_entries(store)] == ["applied"] * 3


def test_an_id_sent_as_a_number_in_exponent_form_is_the_number_written(
    store: StoreClient,
) -> None:
    send(store, "customers/create", {"id": 1e23, "email": "e23@example.com"})

    [customer] = by_email(store, "e23@example.com")
    assert customer["id"] == "100000000000000000000000"
    assert store.get("/api/v1/customers/100000000000000000000000").status_code == 200


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("jose\u0301@example.com", "jos\u00e9@example.com"),
        ("a@xn--bcher-kva.de", "a@b\u00fccher.de"),
        ("  Ada@Example.COM ", "ada@example.com"),
    ],
)
def test_customers_and_suppressions_are_found_by_the_address_as_the_store_sent_it(
    store: StoreClient, sent: str, stored: str
) -> None:
    send(store, "customers/create", {"id": 9, "email": sent})
    send(store, "newsletter/unsubscribe", {"email": sent})

    assert [c["email"] for c in by_email(store, sent)] == [stored]
    listed = store.get("/api/v1/suppressions", email=sent).json()["items"]
    assert {entry["email"] for entry in listed} == {stored}


def test_two_versions_of_one_time_end_alike_in_either_order_and_neither_is_a_duplicate(
    store: StoreClient,
) -> None:
    # given two updates of one customer stamped with the same second, Bob's and Alice's
    at = "2026-11-21T00:00:00Z"

    def version(name: str) -> dict[str, Any]:
        return {"email": f"{name.lower()}@example.com", "first_name": name, "updated_at": at}

    # when one customer gets them in one order and another in the other
    outcomes = {}
    for customer_id, names in (("c1", ("Bob", "Alice")), ("c2", ("Alice", "Bob"))):
        for name in names:
            outcomes[customer_id, name] = send(
                store, "customers/update", {"id": customer_id, **version(name)}
            )

    # then both end with the same version, whole, and the other one is stale, not
    # taken for a resend of the first
    ends = [store.get(f"/api/v1/customers/{c}").json() for c in ("c1", "c2")]
    assert {(c["first_name"], c["email"]) for c in ends} in (
        {("Bob", "bob@example.com")},
        {("Alice", "alice@example.com")},
    )
    [kept] = {c["first_name"] for c in ends}
    lost = {"Bob": "Alice", "Alice": "Bob"}[kept]
    late_loser = "c1" if lost == "Alice" else "c2"
    assert log_entry(store, outcomes[late_loser, lost])["outcome"] == "stale"
    assert [e["outcome"] for e in log_entries(store)].count("duplicate") == 0
