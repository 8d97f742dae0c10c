"""The raw log's digest of a delivery: what makes a resend a duplicate."""

from __future__ import annotations

import hashlib

import orjson
import pytest

from winback.intake.rawlog import event_digest


@pytest.mark.parametrize("size", [0, 1, 2046, 2047, 2048, 4095, 4096, 10_000])
def test_the_digest_of_a_body_of_any_size_is_its_sha256_as_it_always_was(size: int) -> None:
    # Digests already stored must keep matching their resends, whatever the body's size.
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    expected = hashlib.sha256(b"orders/create\n1700000000\n" + body).hexdigest()
    assert event_digest("orders/create", "1700000000", body) == expected


def test_a_parsed_body_is_digested_in_a_key_order_of_its_own() -> None:
    first = {"id": 1, "email": "a@example.com", "note": "é" * 3000}
    reordered = {"note": "é" * 3000, "email": "a@example.com", "id": 1}
    canonical = orjson.dumps(first, option=orjson.OPT_SORT_KEYS)
    assert event_digest("customers/update", None, first) == event_digest(
        "customers/update", None, reordered
    )
    assert event_digest("customers/update", None, first) == event_digest(
        "customers/update", None, canonical
    )


def test_the_type_and_the_event_time_are_part_of_the_identity() -> None:
    body = b"{}"
    assert event_digest("orders/create", None, body) != event_digest("orders/update", None, body)
    assert event_digest("orders/create", "1", body) != event_digest("orders/create", "2", body)
