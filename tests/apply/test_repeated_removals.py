"""A removal sent again with the same body, after something undid it, is applied again.

Senders send an unsubscribe as ``{"email": ...}`` and a deletion as ``{"id": ...}``,
often without ``x-event-time``: the second unsubscribe of a shopper has the first
one's body. Taken for its resend, it was dropped, and the shopper stayed subscribed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.conftest import StoreClient


def _deliver(store: StoreClient, event_type: str, body: dict[str, Any]) -> None:
    response = store.send(event_type, body)
    assert response.status_code == 200, response.text
    store.wait_applied()


def _marketing_status(store: StoreClient, email: str) -> str:
    status: str = store.read("/api/v1/customers", email=email)["items"][0]["marketing_status"]
    return status


def test_a_second_unsubscribe_after_a_subscribe_unsubscribes_again(store: StoreClient) -> None:
    email = "again@example.com"
    _deliver(store, "newsletter/unsubscribe", {"email": email})
    _deliver(store, "newsletter/subscribe", {"email": email, "first_name": "Ann"})
    assert _marketing_status(store, email) == "subscribed"

    _deliver(store, "newsletter/unsubscribe", {"email": email})

    assert _marketing_status(store, email) == "unsubscribed"


def test_a_product_deleted_again_after_it_came_back_is_unavailable(store: StoreClient) -> None:
    _deliver(store, "products/create", {"id": "p1", "title": "Mug"})
    _deliver(store, "products/delete", {"id": "p1"})
    _deliver(store, "products/update", {"id": "p1", "title": "Mug", "updated_at": _now()})
    assert store.read("/api/v1/products/p1")["status"] == "active"

    _deliver(store, "products/delete", {"id": "p1"})

    assert store.read("/api/v1/products/p1")["status"] == "unavailable"


def test_a_customer_erased_again_after_signing_up_again_is_erased(store: StoreClient) -> None:
    signup = {"id": "c9", "email": "c9@example.com", "first_name": "Nine"}
    _deliver(store, "customers/create", signup)
    _deliver(store, "customers/delete", {"id": "c9"})
    _deliver(store, "customers/update", {**signup, "updated_at": _now()})
    assert store.get("/api/v1/customers/c9").status_code == 200

    _deliver(store, "customers/delete", {"id": "c9"})

    assert store.get("/api/v1/customers/c9").status_code == 404


def test_a_subscribe_with_an_earlier_ones_body_is_its_resend_and_undoes_no_unsubscribe(
    store: StoreClient,
) -> None:
    email = "resent@example.com"
    _deliver(store, "newsletter/subscribe", {"email": email})
    _deliver(store, "newsletter/unsubscribe", {"email": email})

    _deliver(store, "newsletter/subscribe", {"email": email})

    assert _marketing_status(store, email) == "unsubscribed"
    assert store.read("/api/v1/events", limit=1)["items"][0]["outcome"] == "duplicate"


def test_a_subscribe_stamped_with_its_own_time_is_a_new_one(store: StoreClient) -> None:
    email = "stamped@example.com"
    now = int(datetime.now(UTC).timestamp())
    for offset, kind in ((-2, "subscribe"), (-1, "unsubscribe"), (0, "subscribe")):
        response = store.send(
            f"newsletter/{kind}", {"email": email}, headers={"x-event-time": str(now + offset)}
        )
        assert response.status_code == 200, response.text
    store.wait_applied()

    assert _marketing_status(store, email) == "subscribed"


def _now() -> str:
    return datetime.now(UTC).isoformat()
