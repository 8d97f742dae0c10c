"""A webhook body naming a member twice: refused, shown in the log as it came,
and nothing stored is changed by it."""

from __future__ import annotations

from tests.conftest import StoreClient
from tests.intake.logbook import log_entries


def test_an_email_given_twice_is_refused_where_it_is_and_changes_nothing(
    store: StoreClient,
) -> None:
    store.send("customers/create", {"id": 7, "email": "ada@example.com"})
    store.wait_applied()
    before = store.read("/api/v1/customers/7")
    raw = b'{"id": 7, "email": "ada@example.com", "email": "eve@example.com"}'

    response = store.send("customers/update", None, raw=raw)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "repeated_member",
        "reason": "the member 'email' is given twice in this object;"
        " which value was meant cannot be told",
        "pointer": "/email",
    }
    store.wait_applied()
    assert store.read("/api/v1/customers/7") == before
    [refused] = log_entries(store, outcome="rejected")
    # As text: as JSON it would read back with one of the two addresses only.
    assert (refused["pointer"], refused["body"]) == ("/email", raw.decode())


def test_a_line_naming_its_sku_twice_is_refused_at_that_line(store: StoreClient) -> None:
    raw = (
        b'{"id": 1, "created_at": "2026-11-01T10:00:00Z", "email": "ada@example.com",'
        b' "line_items": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 1, "sku": "C"}]}'
    )

    response = store.send("orders/create", None, raw=raw)

    assert response.status_code == 400
    assert response.json()["error"]["pointer"] == "/line_items/1/sku"
    assert store.get("/api/v1/orders/1").status_code == 404


def test_members_that_only_look_alike_are_taken(store: StoreClient) -> None:
    # A blank before a colon and strings holding '":' keep the quick count from
    # deciding: the body is read in full, and passes.
    raw = b'{"id" : 8, "email": "bo@example.com", "first_name": "\\":)", "last_name": ":\\""}'

    response = store.send("customers/create", None, raw=raw)

    assert response.status_code == 200, response.text
    store.wait_applied()
    assert store.read("/api/v1/customers/8")["first_name"] == '":)'
