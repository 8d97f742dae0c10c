"""The email, tag and time rules of winback.fields that are not seen over HTTP: what the
read API's filters find, where a refused tag is in its list, how a time is read and what
a refusal of one says. (The rules themselves are tested over HTTP in
tests/intake/test_rejections.py and in tests/shoppers.)"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from winback.fields import (
    MAX_LOCAL_PART_OCTETS,
    Tags,
    UTCTime,
    email_as_stored,
    stored_input,
    to_email,
)
from winback.reasons import validation_reason

# An address as a store could send one before the 64-byte limit: accepted then, kept.
STORED_LONG = "\u00e9" * 40 + "@example.com"


def test_an_address_over_the_limit_is_refused_as_new_input() -> None:
    with pytest.raises(ValueError) as refused:
        to_email(STORED_LONG)

    assert str(refused.value).endswith(
        "the part before the @-sign must be at most 64 bytes long in UTF-8 (RFC 5321),"
        " this one is 80"
    )


def test_a_filter_by_an_address_stored_before_the_limit_finds_it_in_any_spelling() -> None:
    # given an address over the limit, written decomposed and in capitals
    sent = unicodedata.normalize("NFD", STORED_LONG.upper())

    # then a reader's filter looks it up as it was stored (composed, lower-case)
    assert len(STORED_LONG.split("@")[0].encode()) > MAX_LOCAL_PART_OCTETS
    assert email_as_stored(sent) == STORED_LONG


def test_text_that_is_no_address_is_only_lower_cased_for_a_filter() -> None:
    assert email_as_stored(" Not An Address ") == "not an address"


def test_a_refused_tag_is_located_in_its_list() -> None:
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(Tags).validate_python(["vip", "new", {"name": "x"}])

    [error] = refused.value.errors()
    assert error["loc"] == (2,)
    assert error["msg"] == "Value error, a tag must be a string, got an object"


def test_tags_are_still_trimmed_and_each_kept_once_in_the_order_sent() -> None:
    assert TypeAdapter(Tags).validate_python([" b", "a", "b ", "", 7, "7"]) == ["b", "a", "7"]


_TIME: TypeAdapter[datetime] = TypeAdapter(UTCTime)


def _time_refusal(value: object) -> str:
    with pytest.raises(ValidationError) as refused:
        _TIME.validate_python(value)
    return validation_reason(refused.value.errors()[0])


@pytest.mark.parametrize("value", ["+5", "-5", ".5", "5.", "1.e5", "1e9"])
def test_a_unix_time_as_text_must_be_digits_not_any_number(value: str) -> None:
    assert _time_refusal(value) == (
        "a UNIX time sent as text must be digits, with a fraction if any, like"
        f" '1795780800'; got {value!r}"
    )


@pytest.mark.parametrize("value", [-5, -1795780800.5])
def test_a_unix_time_as_a_number_cannot_be_negative(value: float) -> None:
    assert _time_refusal(value) == (
        f"a UNIX time counts seconds since 1970-01-01 and cannot be negative; got {value!r}"
    )


def test_a_negative_unix_time_stored_before_it_was_refused_is_still_read() -> None:
    with stored_input():
        assert _TIME.validate_python(-5) == datetime(1969, 12, 31, 23, 59, 55, tzinfo=UTC)


def test_a_unix_time_as_digits_or_a_number_is_read() -> None:
    expected = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert _TIME.validate_python("1795780800") == expected
    assert _TIME.validate_python(1795780800) == expected
    assert _TIME.validate_python("1795780800.5") == expected.replace(microsecond=500_000)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2026-11-29T24:00:00Z", ": hour must be in 0..23"),
        ("2026-02-30T10:00:00Z", ": day is out of range for month"),
        ("2026-11-29T10:00:00+24:00", ": the zone offset must be less than 24 hours"),
        ("soon", ""),
    ],
)
def test_a_time_that_cannot_be_read_says_what_is_wrong_and_shows_it(
    value: str, problem: str
) -> None:
    assert _time_refusal(value) == (
        "must be a time in ISO 8601 with its time zone, like 2026-11-01T10:00:00Z or +02:00"
        f"{problem}; got {value!r}"
    )


@pytest.mark.parametrize(
    "value", ["20261129T100000Z", " 2026-11-29T10:00:00Z ", "2026-11-29T11:00:00+0100"]
)
def test_iso_8601_in_its_basic_form_or_with_spaces_around_is_read(value: str) -> None:
    assert _TIME.validate_python(value) == datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def test_a_time_without_a_zone_is_still_refused_as_such() -> None:
    assert _time_refusal("2026-11-29T10:00:00").startswith("this time has no time zone")
