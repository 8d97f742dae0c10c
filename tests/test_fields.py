"""The email and tag rules of winback.fields that are not seen over HTTP: what the read
API's filters find, where a refused tag is in its list. (The rules themselves are
tested over HTTP in tests/intake/test_rejections.py and in tests/shoppers.)"""

from __future__ import annotations

import unicodedata

import pytest
from pydantic import TypeAdapter, ValidationError

from winback.fields import MAX_LOCAL_PART_OCTETS, Tags, email_as_stored, to_email

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
