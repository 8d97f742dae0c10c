"""A member named twice in one JSON object: found wherever it is, and only then."""

from __future__ import annotations

import orjson
import pytest

from winback.web.json_members import count_members, repeated_member


def refusal_pointer(raw: bytes) -> str | None:
    refusal = repeated_member(raw, count_members(orjson.loads(raw)))
    return None if refusal is None else refusal.pointer


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        (b'{"email": "a@example.com", "email": "b@example.com"}', "/email"),
        (b'{"customer": {"id": 1, "id": 2}}', "/customer/id"),
        (b'{"line_items": [{"sku": "a"}, {"sku": "b", "sku": "c"}]}', "/line_items/1/sku"),
        (b'{"a/b": {"~x": 1, "~x": 1}}', "/a~1b/~0x"),
        # The same value twice is still two members: a sender's bug worth knowing of.
        (b'{"id": 1, "id": 1}', "/id"),
        # Written around the quick count: a blank before the colon, a quote escaped.
        (b'{"id" : 1, "id" : 2}', "/id"),
        (b'{"note": "he said \\":\\"", "note": 2}', "/note"),
    ],
)
def test_a_member_named_twice_is_found_at_its_place(raw: bytes, pointer: str) -> None:
    assert refusal_pointer(raw) == pointer


def test_the_first_in_the_body_is_the_one_named() -> None:
    raw = b'{"a": {"x": 1, "x": 2}, "b": {"y": 1, "y": 2}}'

    assert refusal_pointer(raw) == "/a/x"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id": 1, "customer": {"id": 1}, "lines": [{"id": 1}, {"id": 2}]}',
        # Strings that look like member names to a count: all read as what they are.
        b'{"face": ":)", "say": "\\":\\"", "url": "https://x.example/a\\":b"}',
        b'{"id" : 1, "name"\n:\t"x"}',
        b"{}",
    ],
)
def test_a_body_naming_each_member_once_passes(raw: bytes) -> None:
    assert refusal_pointer(raw) is None


def test_the_refusal_names_the_member_and_says_why() -> None:
    refusal = repeated_member(b'{"email": 1, "email": 2}', 1)

    assert refusal is not None
    assert (refusal.status, refusal.code) == (400, "repeated_member")
    assert refusal.reason == (
        "the member 'email' is given twice in this object; which value was meant cannot be told"
    )
