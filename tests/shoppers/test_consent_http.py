"""Consent over real HTTP: unsubscribe wins, only a subscribe lifts it, double opt-in."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.conftest import StoreClient
from tests.conftest import applied as send
from tests.intake.logbook import log_entry, unix_seconds
from winback.storage.schema import former_emails
from winback.stores.service import update_settings

ADA = {"id": 7, "email": "ada@example.com", "first_name": "Ada"}


def status(store: StoreClient, email: str = "ada@example.com") -> str:
    [customer] = store.get("/api/v1/customers", email=email).json()["items"]
    return str(customer["marketing_status"])


def suppression_types(store: StoreClient, email: str = "ada@example.com") -> list[str]:
    rows = store.get("/api/v1/suppressions", email=email).json()["items"]
    return [row["type"] for row in rows]


def test_unsubscribe_puts_the_address_on_the_suppression_list(store: StoreClient) -> None:
    send(store, "customers/create", {**ADA, "accepts_marketing": True})

    send(store, "newsletter/unsubscribe", {"email": "Ada@Example.com"})

    [row] = store.get("/api/v1/suppressions").json()["items"]
    assert (row["email"], row["type"], row["reason"]) == (
        "ada@example.com",
        "unsubscribed",
        "newsletter/unsubscribe",
    )
    customer = store.get("/api/v1/customers/7").json()
    assert customer["marketing_status"] == "unsubscribed"
    assert customer["suppressions"] == ["unsubscribed"]


def test_unsubscribe_wins_over_a_later_customer_update_that_accepts_marketing(
    store: StoreClient,
) -> None:
    # given a customer who unsubscribed
    send(store, "customers/create", ADA)
    send(store, "newsletter/unsubscribe", {"email": "ada@example.com"})

    # when the store later sends accepts_marketing: true for them
    send(store, "customers/update", {**ADA, "accepts_marketing": True})

    # then they stay unsubscribed and suppressed
    assert store.get("/api/v1/customers/7").json()["marketing_status"] == "unsubscribed"
    assert suppression_types(store) == ["unsubscribed"]


def test_unsubscribe_wins_over_a_later_order_that_accepts_marketing(store: StoreClient) -> None:
    send(store, "customers/create", ADA)
    send(store, "newsletter/unsubscribe", {"email": "ada@example.com"})

    send(
        store,
        "orders/create",
        {
            "id": 1001,
            "created_at": "2026-11-01T10:00:00Z",
            "customer": {**ADA, "accepts_marketing": True},
            "total_price": "10.00",
        },
    )

    assert store.get("/api/v1/customers/7").json()["marketing_status"] == "unsubscribed"


def test_unsubscribe_wins_over_a_later_cart_that_accepts_marketing(store: StoreClient) -> None:
    send(store, "newsletter/unsubscribe", {"email": "ada@example.com"})

    send(
        store,
        "carts/create",
        {"id": "c1", "email": "ada@example.com", "accepts_marketing": True},
    )

    assert status(store) == "unsubscribed"


def test_an_unsubscribed_address_stays_unsubscribed_when_the_customer_appears_later(
    store: StoreClient,
) -> None:
    # given an address unsubscribed before winback knew any customer with it
    send(store, "newsletter/unsubscribe", {"email": "ada@example.com"})
    assert store.get("/api/v1/customers").json()["items"] == []

    # when the customer is created accepting marketing
    send(store, "customers/create", {**ADA, "accepts_marketing": True})

    # then the unsubscribe still wins
    assert store.get("/api/v1/customers/7").json()["marketing_status"] == "unsubscribed"


def test_only_an_explicit_subscribe_lifts_an_unsubscribe(store: StoreClient) -> None:
    send(store, "customers/create", ADA)
    send(store, "newsletter/unsubscribe", {"email": "ada@example.com"})

    send(store, "newsletter/subscribe", {"email": "ada@example.com"})

    customer = store.get("/api/v1/customers/7").json()
    assert (customer["accepts_marketing"], customer["marketing_status"]) == (True, "subscribed")
    assert suppression_types(store) == []


def test_a_subscribe_older_than_the_unsubscribe_does_not_lift_it(store: StoreClient) -> None:
    send(
        store,
        "newsletter/unsubscribe",
        {"email": "ada@example.com"},
        **{"x-event-time": unix_seconds("2026-06-02T00:00:00Z")},
    )

    late = send(
        store,
        "newsletter/subscribe",
        {"email": "ada@example.com"},
        **{"x-event-time": unix_seconds("2026-06-01T00:00:00Z")},
    )

    assert log_entry(store, late)["outcome"] == "stale"
    assert suppression_types(store) == ["unsubscribed"]


def test_an_unsubscribe_older_than_a_subscribe_does_not_undo_it(store: StoreClient) -> None:
    send(
        store,
        "newsletter/subscribe",
        {"email": "ada@example.com"},
        **{"x-event-time": unix_seconds("2026-06-02T00:00:00Z")},
    )

    late = send(
        store,
        "newsletter/unsubscribe",
        {"email": "ada@example.com"},
        **{"x-event-time": unix_seconds("2026-06-01T00:00:00Z")},
    )

    assert log_entry(store, late)["outcome"] == "stale"
    assert (status(store), suppression_types(store)) == ("subscribed", [])


def test_subscribe_creates_an_unknown_contact_with_what_the_form_said(store: StoreClient) -> None:
    send(
        store,
        "newsletter/subscribe",
        {
            "email": "Ada@Example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "tags": "footer-form, 2026",
            "sms_phone_number_e164": "+447700900123",
        },
    )

    [customer] = store.get("/api/v1/customers").json()["items"]
    assert customer["email"] == "ada@example.com"
    assert (customer["first_name"], customer["last_name"]) == ("Ada", "Lovelace")
    assert customer["tags"] == ["footer-form", "2026"]
    assert customer["sms_phone_number_e164"] == "+447700900123"
    assert (customer["accepts_marketing"], customer["marketing_status"]) == (True, "subscribed")


def test_a_sign_up_adds_its_tags_to_a_known_customers_and_keeps_their_name(
    store: StoreClient,
) -> None:
    # given a customer the store tagged and named
    send(
        store,
        "customers/create",
        {"id": 7, "email": "ada@example.com", "first_name": "Ada", "tags": ["vip"]},
    )

    # when they sign up through a form that tags where it was and asks a name
    send(
        store,
        "newsletter/subscribe",
        {"email": "ada@example.com", "first_name": "A.", "tags": ["newsletter-popup"]},
    )

    # then the form's tag is added to theirs, and the store's name for them stays
    customer = store.get("/api/v1/customers/7").json()
    assert customer["tags"] == ["vip", "newsletter-popup"]
    assert customer["first_name"] == "Ada"
    assert customer["marketing_status"] == "subscribed"


def test_subscribe_with_a_customer_id_subscribes_that_customer(store: StoreClient) -> None:
    send(store, "customers/create", ADA)

    send(store, "newsletter/subscribe", {"email": "ada@example.com", "customerId": 7})

    assert [c["id"] for c in store.get("/api/v1/customers").json()["items"]] == ["7"]
    assert store.get("/api/v1/customers/7").json()["marketing_status"] == "subscribed"


def test_subscribe_does_not_override_the_stores_name_for_a_known_customer(
    store: StoreClient,
) -> None:
    send(store, "customers/create", ADA)

    send(store, "newsletter/subscribe", {"email": "ada@example.com", "first_name": "A."})

    assert store.get("/api/v1/customers/7").json()["first_name"] == "Ada"


def test_double_opt_in_required_by_the_event_leaves_the_contact_pending(store: StoreClient) -> None:
    send(store, "newsletter/subscribe", {"email": "ada@example.com", "double_optin_required": True})

    [customer] = store.get("/api/v1/customers").json()["items"]
    assert customer["marketing_status"] == "pending"
    assert customer["accepts_marketing"] is not True
    assert customer["suppressions"] == ["pending_opt_in"]


def test_double_opt_in_replaces_an_unsubscribe_by_pending(store: StoreClient) -> None:
    send(store, "customers/create", ADA)
    send(store, "newsletter/unsubscribe", {"email": "ada@example.com"})

    send(store, "newsletter/subscribe", {"email": "ada@example.com", "double_optin_required": True})

    assert store.get("/api/v1/customers/7").json()["marketing_status"] == "pending"
    assert suppression_types(store) == ["pending_opt_in"]


def test_an_opt_in_flag_the_unsubscribe_overruled_does_not_skip_the_confirmation(
    store: StoreClient,
) -> None:
    # given an unsubscribed shopper whose store then sends accepts_marketing: true
    send(store, "customers/create", {**ADA, "accepts_marketing": True})
    send(store, "newsletter/unsubscribe", {"email": "ada@example.com"})
    send(store, "customers/update", {**ADA, "accepts_marketing": True})
    assert status(store) == "unsubscribed"

    # when the address subscribes again, with a confirmation required
    send(store, "newsletter/subscribe", {"email": "ada@example.com", "double_optin_required": True})

    # then it waits for the confirmation: the flag proved no consent
    assert (status(store), suppression_types(store)) == ("pending", ["pending_opt_in"])


def test_an_opt_in_in_force_needs_no_confirmation(store: StoreClient) -> None:
    send(store, "customers/create", {**ADA, "accepts_marketing": True})

    send(store, "newsletter/subscribe", {"email": "ada@example.com", "double_optin_required": True})

    assert (status(store), suppression_types(store)) == ("subscribed", [])


@pytest.mark.parametrize(("required", "expected"), [(None, "pending"), (False, "subscribed")])
def test_double_opt_in_required_by_the_store_setting_unless_the_event_says_otherwise(
    store: StoreClient, engine: Engine, required: bool | None, expected: str
) -> None:
    # given a store that requires double opt-in
    update_settings(engine, store.store_id, {"double_opt_in": True})

    # when an address subscribes (the event may say whether double opt-in is required)
    body: dict[str, Any] = {"email": "ada@example.com"}
    if required is not None:
        body["double_optin_required"] = required
    send(store, "newsletter/subscribe", body)

    # then it is pending unless the event said double opt-in is not required
    assert status(store) == expected


def test_unsubscribe_of_a_pending_contact_clears_the_pending_state(store: StoreClient) -> None:
    send(store, "newsletter/subscribe", {"email": "ada@example.com", "double_optin_required": True})

    send(store, "newsletter/unsubscribe", {"email": "ada@example.com"})

    assert (status(store), suppression_types(store)) == ("unsubscribed", ["unsubscribed"])


def test_unsubscribe_of_an_unknown_address_creates_no_customer(store: StoreClient) -> None:
    send(store, "newsletter/unsubscribe", {"email": "nobody@example.com"})

    assert store.get("/api/v1/customers").json()["items"] == []
    assert suppression_types(store, "nobody@example.com") == ["unsubscribed"]


def test_unsubscribing_twice_keeps_one_entry(store: StoreClient) -> None:
    send(store, "newsletter/unsubscribe", {"email": "ada@example.com", "source": "footer"})
    send(store, "newsletter/unsubscribe", {"email": "ada@example.com", "source": "mail"})

    assert suppression_types(store) == ["unsubscribed"]


def test_one_stores_unsubscribe_does_not_touch_another_store(
    store: StoreClient, other_store: StoreClient
) -> None:
    send(other_store, "customers/create", {**ADA, "accepts_marketing": True})

    send(store, "newsletter/unsubscribe", {"email": "ada@example.com"})

    other_store.wait_applied()
    assert other_store.get("/api/v1/customers/7").json()["marketing_status"] == "subscribed"
    assert other_store.get("/api/v1/suppressions").json()["items"] == []


def test_a_new_email_without_the_flag_keeps_an_unsubscribed_customer_unsubscribed(
    store: StoreClient,
) -> None:
    send(store, "customers/create", ADA)
    send(store, "newsletter/unsubscribe", {"email": "ada@example.com"})

    send(store, "customers/update", {"id": 7, "email": "ada@lovelace.example"})

    assert store.get("/api/v1/customers/7").json()["marketing_status"] == "unsubscribed"


def test_unsubscribe_wins_over_a_later_update_that_changes_the_email_and_accepts_marketing(
    store: StoreClient,
) -> None:
    # given customer 7 who unsubscribed
    send(store, "customers/create", ADA)
    send(store, "newsletter/unsubscribe", {"email": "ada@example.com"})

    # when the store later sends a new address for them with accepts_marketing: true
    send(
        store,
        "customers/update",
        {"id": 7, "email": "ada@lovelace.example", "accepts_marketing": True},
    )

    # then the person stays unsubscribed: only an explicit subscribe lifts it
    assert store.get("/api/v1/customers/7").json()["marketing_status"] == "unsubscribed"


@pytest.mark.parametrize(
    "new_address",
    [
        {"customer": {"id": 7, "email": "ada@lovelace.example"}},
        {"customer": {"id": 7}, "email": "ada@lovelace.example"},
    ],
    ids=["in the order's customer", "as the order's own email"],
)
def test_an_unsubscribe_follows_the_shopper_to_the_address_an_order_gives(
    store: StoreClient, new_address: dict[str, Any]
) -> None:
    # given customer 7, known from an order, who unsubscribed
    order = {"created_at": "2026-11-01T10:00:00Z", "total_price": "5.00"}
    send(store, "orders/create", order | {"id": 1, "customer": {"id": 7}, "email": ADA["email"]})
    send(
        store, "newsletter/unsubscribe", {"email": "ada@example.com"}, **_at("2026-11-01T11:00:00Z")
    )

    # when a later order gives them a new address, and an update then opts them in
    later = {"id": 2, "created_at": "2026-11-01T12:00:00Z"}
    send(store, "orders/create", order | later | new_address)
    send(
        store,
        "customers/update",
        {"id": 7, "email": "ada@lovelace.example", "accepts_marketing": True},
    )

    # then the person stays unsubscribed, whichever field carried the address
    customer = store.get("/api/v1/customers/7").json()
    assert (customer["email"], customer["marketing_status"]) == (
        "ada@lovelace.example",
        "unsubscribed",
    )


def test_an_explicit_subscribe_of_the_new_address_lifts_the_carried_unsubscribe(
    store: StoreClient,
) -> None:
    send(store, "customers/create", ADA)
    send(store, "newsletter/unsubscribe", {"email": "ada@example.com"})
    send(store, "customers/update", {"id": 7, "email": "ada@lovelace.example"})

    send(store, "newsletter/subscribe", {"email": "ada@lovelace.example"})

    assert store.get("/api/v1/customers/7").json()["marketing_status"] == "subscribed"


def test_a_pending_contact_is_subscribed_when_the_store_says_accepts_marketing(
    store: StoreClient,
) -> None:
    # given a contact waiting for the double opt-in confirmation
    send(store, "newsletter/subscribe", {"email": "ada@example.com", "double_optin_required": True})

    # when the store sends accepts_marketing: true for them
    send(store, "customers/update", {"email": "ada@example.com", "accepts_marketing": True})

    # then their consent stands, as it would had the store said so before the sign-up
    assert (status(store), suppression_types(store)) == ("subscribed", [])

    # and when the store takes it back, the sign-up waits again
    send(store, "customers/update", {"email": "ada@example.com", "accepts_marketing": False})
    assert (status(store), suppression_types(store)) == ("pending", ["pending_opt_in"])


def test_a_flag_given_after_an_unsubscribe_does_not_end_the_wait_of_a_later_sign_up(
    store: StoreClient,
) -> None:
    # given an unsubscribed address, then a sign-up asking for a double opt-in
    send(store, "customers/create", {**ADA, "accepts_marketing": True})
    send(store, "newsletter/unsubscribe", {"email": "ada@example.com"})
    send(store, "newsletter/subscribe", {"email": "ada@example.com", "double_optin_required": True})

    # when the store then says accepts_marketing: true
    send(store, "customers/update", {**ADA, "accepts_marketing": True})

    # then the sign-up still waits: the address was unsubscribed when it was made
    assert (status(store), suppression_types(store)) == ("pending", ["pending_opt_in"])


def _at(iso: str) -> dict[str, str]:
    return {"x-event-time": unix_seconds(iso)}


def test_an_unsubscribe_delivered_late_reaches_the_customer_who_has_moved_since(
    store: StoreClient, engine: Engine
) -> None:
    # given customer 7, who moved to a new address at noon
    send(store, "customers/create", ADA, **_at("2026-11-01T10:00:00Z"))
    moved = {"id": 7, "email": "ada@lovelace.example"}
    send(store, "customers/update", moved, **_at("2026-11-01T12:00:00Z"))

    # when an unsubscribe of the old address, made at eleven, arrives only now
    send(
        store, "newsletter/unsubscribe", {"email": "ada@example.com"}, **_at("2026-11-01T11:00:00Z")
    )

    # then it reached them, and followed them to the new address, as if on time
    customer = store.get("/api/v1/customers/7").json()
    assert (customer["accepts_marketing"], customer["marketing_status"]) == (False, "unsubscribed")
    assert suppression_types(store, "ada@lovelace.example") == ["unsubscribed"]
    assert suppression_types(store, "ada@example.com") == ["unsubscribed"]

    # and erasing them forgets the address they had
    send(store, "customers/delete", {"id": 7}, **_at("2026-11-01T13:00:00Z"))
    with engine.connect() as conn:
        kept = conn.execute(
            select(former_emails.c.email).where(former_emails.c.store_id == store.store_id)
        ).all()
    assert kept == []
