"""An erasure empties the refused deliveries that name the person, and only those."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.conftest import StoreClient
from winback.apply.redact import names_person
from winback.storage.schema import raw_events


def _refused(store: StoreClient, content: bytes) -> None:
    response = store.send("customers/update", None, raw=content)
    assert response.status_code == 400, response.text


def _log(store: StoreClient) -> list[dict[str, Any]]:
    return list(store.read("/api/v1/events", limit=100)["items"])


def _erase(store: StoreClient, person: dict[str, str]) -> None:
    assert store.send("customers/delete", person).status_code == 200
    store.wait_applied()


def _refusals(store: StoreClient) -> list[dict[str, Any]]:
    return [event for event in _log(store) if event["outcome"] == "rejected"]


def _emptied(refusals: list[dict[str, Any]]) -> list[bool]:
    """Per refusal, whether it was emptied (and says when)."""
    return [event["body"] == "" and bool(event["redacted_at"]) for event in refusals]


def _stored_bodies(engine: Engine, store_id: str) -> dict[int, bytes]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(raw_events.c.seq, raw_events.c.body).where(raw_events.c.store_id == store_id)
        )
        return {row.seq: bytes(row.body) for row in rows}


def test_an_erasure_empties_the_refused_deliveries_that_name_the_person(
    store: StoreClient, engine: Engine
) -> None:
    # Given a customer, and refused deliveries naming her by address (in any case, or
    # in a body that is not even JSON), by id alone, by an id escaped as PHP writes it,
    # and one naming somebody else
    ann = {"id": "gid://shop/Customer/1", "email": "ann@example.com", "first_name": "Ann"}
    assert store.send("customers/create", ann).status_code == 200
    _refused(store, b'{"email": "Ann@Example.com", "first_name": "Ann", "accepts_marketing": 2}')
    _refused(store, b'{"email": "ann@example.com", "first_name": "Ann" oops')
    _refused(store, b'{"id": "gid://shop/Customer/1", "first_name": "Ann"}')
    _refused(store, b'{"id": "gid:\\/\\/shop\\/Customer\\/1", "first_name": "Ann"}')
    _refused(store, b'{"email": "bob@example.com", "first_name": "Bob", "tags": 5}')
    store.wait_applied()
    # When she is erased
    _erase(store, {"id": "gid://shop/Customer/1"})
    # Then the refusals naming her are empty, and say when they were emptied
    refusals = _refusals(store)
    emptied = [event for event in refusals if event["redacted_at"]]
    assert len(emptied) == 4 and all(event["body"] == "" for event in emptied)
    stored = _stored_bodies(engine, store.store_id)
    assert all(stored[event["event_id"]] == b"" for event in emptied)
    # And the one naming somebody else, and the applied events, are as they came
    (kept,) = [event for event in refusals if not event["redacted_at"]]
    assert kept["body"] == {"email": "bob@example.com", "first_name": "Bob", "tags": 5}
    applied = [event for event in _log(store) if event["outcome"] != "rejected"]
    assert applied and not any(event["redacted_at"] for event in applied)


def test_an_erasure_of_someone_never_seen_still_empties_refusals_naming_them(
    store: StoreClient,
) -> None:
    _refused(store, b'{"email": "carl@example.com", "first_name": "Carl", "tags": 5}')
    _erase(store, {"email": "carl@example.com"})
    assert _emptied(_refusals(store)) == [True]


def test_an_erasure_finds_an_address_beyond_ascii_or_after_a_zero_byte_on_either_database(
    store: StoreClient,
) -> None:
    # Given refused deliveries naming an address with a letter beyond ASCII, and one
    # naming another address after a zero byte (which SQLite's LIKE stops reading at)
    _refused(store, '{"email": "jörg@example.com", "tags": 5}'.encode())
    _refused(store, b'{"note": "\x00", "email": "dora@example.com"}')
    # When both are erased
    _erase(store, {"email": "jörg@example.com"})
    _erase(store, {"email": "dora@example.com"})
    # Then both refusals are emptied
    assert _emptied(_refusals(store)) == [True, True]


def test_an_erasure_finds_an_id_or_an_address_written_with_unicode_escapes(
    store: StoreClient,
) -> None:
    # Given a customer with an id and an address beyond ASCII, and refused deliveries
    # naming her by each, escaped as PHP's json_encode writes them by default
    ines = {"id": "ésc1", "email": "inès@example.com", "first_name": "Inès"}
    assert store.send("customers/create", ines).status_code == 200
    _refused(store, b'{"id": "\\u00e9sc1", "email": "bad"}')
    _refused(store, b'{"email": "in\\u00e8s@example.com", "tags": 5}')
    store.wait_applied()
    # When she is erased
    _erase(store, {"id": "ésc1"})
    # Then both refusals are emptied
    assert _emptied(_refusals(store)) == [True, True]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b'{"customer": {"id": "c1"}, "note": "x"}', True),
        (b'{"customerId": "c1"}', True),
        (b'{"customer_id": 7}', False),  # (7 is not c1)
        (b'{"id": "c10"}', False),  # (an id that only starts like c1)
        (b'{"id": "c1"}', True),
        (b'{"note": "c1"}', False),  # (c1 where no payload names a person)
        (b"not json, but ANN@example.com", True),
        (b'{"email": "bob@example.com"}', False),
    ],
)
def test_a_refused_body_names_the_person_by_id_where_payloads_do_or_by_email_anywhere(
    body: bytes, named: bool
) -> None:
    assert names_person(body, "customers/update", {"c1"}, {"ann@example.com"}) is named


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b'{"customer_id": 42.0}', True),
        (b'{"customer": {"id": " 42 "}}', True),
        (b'{"id": 42}', True),
        (b'{"id": true, "customer_id": [42]}', False),  # (no id at all: it names no one)
    ],
)
def test_an_id_in_a_refused_body_is_read_as_ids_are_kept(body: bytes, named: bool) -> None:
    assert names_person(body, "customers/update", {"42"}, set()) is named


@pytest.mark.parametrize(
    ("topic", "named"),
    [
        ("customers/create", True),
        ("customers/delete", True),
        ("orders/create", False),
        ("products/update", False),
        ("carts/update", False),
        ("custom", False),
        ("", False),  # (no type: what the id is of cannot be told)
    ],
)
def test_only_a_customer_event_names_its_shopper_by_its_own_id(topic: str, named: bool) -> None:
    assert names_person(b'{"id": 42, "title": "Mug"}', topic, {"42"}, set()) is named


def test_an_erasure_leaves_refused_records_of_other_kinds_sharing_the_id(
    store: StoreClient,
) -> None:
    # Given customer 42, and refused deliveries of product 42 and of order 42
    # (bought by someone else): ids of different tables are often equal
    assert store.send("customers/create", {"id": 42, "email": "ann@example.com"}).status_code == 200
    product = store.send("products/update", None, raw=b'{"id": 42, "price": "x"}')
    order = store.send(
        "orders/create", None, raw=b'{"id": 42, "email": "bob@example.com", "created_at": "soon"}'
    )
    assert (product.status_code, order.status_code) == (400, 400)
    store.wait_applied()
    # When customer 42 is erased
    _erase(store, {"id": "42"})
    # Then both refusals are kept as they came: they are not hers
    assert _emptied(_refusals(store)) == [False, False]


def test_an_emptied_refusal_keeps_its_reason_without_the_value_it_quoted(
    store: StoreClient,
) -> None:
    # Given a refusal naming a customer by id, refused for the phone number she typed
    _refused(store, b'{"id": "c9", "email": "c9@example.com", "sms_phone_number_e164": "+1 5x"}')
    [before] = _refusals(store)
    assert "+1 5x" in before["reason"]
    # When she is erased
    _erase(store, {"id": "c9"})
    # Then the refusal is emptied, and its reason says what was wrong without the number
    [after] = _refusals(store)
    assert _emptied([after]) == [True]
    assert after["reason"].startswith("the value is not a phone number")
    assert after["pointer"] == before["pointer"] == "/sms_phone_number_e164"


def test_an_erasure_empties_refusals_naming_an_address_she_left(store: StoreClient) -> None:
    # Given customer 7, who moved from old@ to new@, and a refusal naming old@
    assert store.send("customers/create", {"id": 7, "email": "old@example.com"}).status_code == 200
    _refused(store, b'{"email": "old@example.com", "birthdate": "soon"}')
    store.wait_applied()
    assert store.send("customers/update", {"id": 7, "email": "new@example.com"}).status_code == 200
    store.wait_applied()
    # When she is erased by her id
    _erase(store, {"id": "7"})
    # Then the refusal naming the address she left is emptied too
    assert _emptied(_refusals(store)) == [True]


def test_an_address_someone_else_took_since_keeps_its_refusals(store: StoreClient) -> None:
    # Given customer 7 who left old@, customer 8 who took it, and a refusal naming it
    assert store.send("customers/create", {"id": 7, "email": "old@example.com"}).status_code == 200
    store.wait_applied()
    assert store.send("customers/update", {"id": 7, "email": "new@example.com"}).status_code == 200
    store.wait_applied()
    assert store.send("customers/create", {"id": 8, "email": "old@example.com"}).status_code == 200
    _refused(store, b'{"email": "old@example.com", "birthdate": "soon"}')
    store.wait_applied()
    # When customer 7 is erased
    _erase(store, {"id": "7"})
    # Then the refusal stays: whose it is cannot be told, and customer 8 still has it
    assert _emptied(_refusals(store)) == [False]
