"""Decoding a webhook body (content type, JSON, object, nesting limit): by unit, and the
content types taken through the live intake."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.conftest import StoreClient
from tests.intake.logbook import log_entry
from winback.errors import InvalidPayload, UnsupportedMediaType
from winback.intake.body import check_content_type, decode_object, nested_deeper_than


def nested(depth: int, container: str = "object") -> Any:
    """A JSON value whose outermost container is level 1 and the innermost is ``depth``."""
    value: Any = {} if container == "object" else []
    for _ in range(depth - 1):
        value = {"child": value} if container == "object" else [value]
    return value


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        "application/vnd.store+json",
    ],
)
def test_json_content_types_and_a_missing_one_are_accepted(
    store: StoreClient, content_type: str | None
) -> None:
    headers = {"x-event-type": "customers/create", "x-token": store.api_key}
    if content_type is not None:
        headers["content-type"] = content_type
    body = {"id": 7, "email": "ada@example.com"}

    response = store.http.post(
        f"/webhooks/store/{store.store_id}", content=orjson.dumps(body), headers=headers
    )

    # (httpx adds no content type of its own to raw content: the one tested is the one sent)
    assert response.request.headers.get("content-type") == content_type
    assert response.status_code == 200, response.text
    store.wait_applied()
    assert log_entry(store, response.json()["event_id"])["outcome"] == "applied"
    assert store.read("/api/v1/customers/7")["email"] == "ada@example.com"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_other_content_types_are_unsupported_media(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType) as raised:
        check_content_type(content_type)
    assert raised.value.status == 415
    assert content_type.split(";")[0] in raised.value.reason


def test_an_object_is_decoded_as_it_was_sent() -> None:
    raw = b'{"id": 1001, "total_price": "24.90", "tags": ["a"], "nested": {"x": null}}'
    assert decode_object(raw, max_depth=32) == {
        "id": 1001,
        "total_price": "24.90",
        "tags": ["a"],
        "nested": {"x": None},
    }


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "the body is empty; a JSON object is expected"),
        (b"  \n ", "the body is empty; a JSON object is expected"),
        (b"[1, 2]", "the body must be a JSON object, got an array"),
        (b"{not json", "the body is not valid JSON"),
        (b"id=1&email=a%40b.c", "the body is not valid JSON"),
        (b'{"a": 1', "the body is not valid JSON"),
        (
            b"\xff\xfe{}",
            "the body is not UTF-8: the byte 0xff at offset 0 cannot be read; JSON is sent"
            " as UTF-8",
        ),
        (
            '{"first_name": "José"}'.encode("latin-1"),
            "the body is not UTF-8: the byte 0xe9 at offset 19 cannot be read",
        ),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused_with_the_reason(
    raw: bytes, reason: str
) -> None:
    with pytest.raises(InvalidPayload) as raised:
        decode_object(raw, max_depth=32)
    assert raised.value.reason.startswith(reason)
    assert raised.value.pointer == ""


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"42", "a number"),
        (b"1.5", "a number"),
        (b'"text"', "a string"),
        (b"true", "true"),
        (b"null", "null"),
        (b"[]", "an array"),
    ],
)
def test_a_json_value_other_than_an_object_is_named_in_json_words(raw: bytes, kind: str) -> None:
    with pytest.raises(InvalidPayload) as raised:
        decode_object(raw, max_depth=32)
    assert raised.value.reason == f"the body must be a JSON object, got {kind}"
    assert raised.value.pointer == ""


@pytest.mark.parametrize("number", [b"1e400", b"-1e400"])
def test_a_number_past_a_doubles_range_is_inexact_at_its_field(number: bytes) -> None:
    with pytest.raises(InvalidPayload) as raised:
        decode_object(b'{"info": {"n": ' + number + b"}}", max_depth=32)
    assert (raised.value.code, raised.value.pointer) == ("inexact_number", "/info/n")


@pytest.mark.parametrize("container", ["object", "array"])
def test_nesting_up_to_the_limit_is_accepted(container: str) -> None:
    body = {"deep": nested(31, container)}
    assert decode_object(dumps(body), max_depth=32) == body


@pytest.mark.parametrize("container", ["object", "array"])
def test_nesting_one_level_past_the_limit_is_refused(container: str) -> None:
    with pytest.raises(InvalidPayload) as raised:
        decode_object(dumps({"deep": nested(32, container)}), max_depth=32)
    assert raised.value.reason == "the body is nested deeper than 32 levels"
    # (at the first container past the limit)
    assert raised.value.pointer == "/deep" + ("/child" if container == "object" else "/0") * 31


def test_the_nesting_limit_is_configurable() -> None:
    body: dict[str, Any] = {"a": {"b": {}}}
    assert decode_object(dumps(body), max_depth=3) == body
    with pytest.raises(InvalidPayload):
        decode_object(dumps(body), max_depth=2)


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        (b'{"total_price": 9007199254740.9931}', "/total_price"),
        (b'{"id": 123456789012345678901}', "/id"),
        (b'{"line_items": [{"price": 1}, {"price": 0.12345678901234567}]}', "/line_items/1/price"),
        (b'{"a/b": {"c~d": 12345678901234567890123}}', "/a~1b/c~0d"),
        (b'{"id": -9223372036854775809}', "/id"),
        (b'{"id": 18446744073709551616}', "/id"),
        (b'{"price": 1e-400}', "/price"),
        (b'{"prices": [1, 2E-500]}', "/prices/1"),
        (b'{"price": 0.10000000000000000001}', "/price"),
        (b'{"line_items": [{"price": 0.0}, {"price": 5e-400}]}', "/line_items/1/price"),
    ],
)
def test_a_number_a_double_cannot_hold_is_refused_with_its_pointer(
    raw: bytes, pointer: str
) -> None:
    with pytest.raises(InvalidPayload) as refused:
        decode_object(raw, max_depth=32)

    assert (refused.value.code, refused.value.pointer) == ("inexact_number", pointer)


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        (
            b'{"total_price": 129.90, "id": 18446744073709551615}',
            {"total_price": 129.9, "id": 18446744073709551615},
        ),
        (
            b'{"id": "123456789012345678901", "total_price": "9007199254740.9931"}',
            {"id": "123456789012345678901", "total_price": "9007199254740.9931"},
        ),
        (b'{"note": "1234567890123456789.5"}', {"note": "1234567890123456789.5"}),
        (b'{"id": -9223372036854775808}', {"id": -9223372036854775808}),
        (
            b'{"price": 1.5e2, "token": "3e4f0a", "ratio": 2E-3}',
            {"price": 150.0, "token": "3e4f0a", "ratio": 0.002},
        ),
        (
            b'{"id": 12345678901234567, "price": 1.5, "zero": 0.0}',
            {"id": 12345678901234567, "price": 1.5, "zero": 0.0},
        ),
    ],
)
def test_numbers_kept_exactly_and_long_digit_strings_pass(
    raw: bytes, decoded: dict[str, Any]
) -> None:
    # (an integer read as a double would differ here: 2**64 - 1 and 12345678901234567 have
    # no double of their own)
    assert decode_object(raw, max_depth=32) == decoded


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        (b'{"first_name": "Ada\\u0000"}', "/first_name"),
        (b'{"tags": ["a", "\\u0000b"]}', "/tags/1"),
        (b'{"info": {"k\\u0000": 1}}', "/info"),
    ],
)
def test_a_nul_character_is_refused_with_its_pointer(raw: bytes, pointer: str) -> None:
    with pytest.raises(InvalidPayload) as refused:
        decode_object(raw, max_depth=32)

    assert (refused.value.code, refused.value.pointer) == ("nul_character", pointer)


def test_an_escaped_backslash_before_u0000_is_not_a_nul() -> None:
    assert decode_object(b'{"path": "C:\\\\u0000"}', max_depth=32) == {"path": "C:\\u0000"}


def test_a_body_deeper_than_the_parser_goes_is_refused_for_its_nesting() -> None:
    with pytest.raises(InvalidPayload) as refused:
        decode_object(b"[" * 2000 + b"]" * 2000, max_depth=32)

    assert refused.value.reason == "the body is nested deeper than 32 levels"


@pytest.mark.parametrize("value", [5, 1.5, "text", None, [[[1]]], {"a": {"b": {"c": 1}}}])
def test_nesting_is_measured_on_any_json_value(value: object) -> None:
    deep = isinstance(value, (list, dict))
    assert nested_deeper_than(value, 2) is deep
    assert nested_deeper_than(value, 3) is False


@pytest.mark.parametrize(
    "raw",
    [
        b'{"n": 1e400, "m": ' + b"1" * 5000 + b"}",  # (past what Python reads as a number)
        b'{"a":' * 1000 + b"1e400" + b"}" * 1000,  # (deeper than Python's recursion)
    ],
    ids=["a 5,000-digit number beside", "nested 1,000 deep"],
)
def test_a_body_too_odd_to_look_into_is_still_refused_as_invalid_json(raw: bytes) -> None:
    with pytest.raises(InvalidPayload) as raised:
        decode_object(raw, max_depth=32)
    assert raised.value.reason.startswith("the body is")
    assert raised.value.pointer == ""
