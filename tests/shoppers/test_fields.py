"""Unit: the field types every payload shares (ids, money, emails, tags, times)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from email_validator import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from winback.fields import (
    Email,
    ExternalId,
    Money,
    Tags,
    UTCTime,
    _plain_email,
    format_money,
    to_decimal,
)


@pytest.mark.parametrize(
    ("sent", "exact"),
    [
        ("0.10", "0.10"),
        (" 129.90 ", "129.90"),
        (19.99, "19.99"),
        (0.1, "0.1"),
        (129.9, "129.9"),
        (7, "7"),
        ("-4.50", "-4.50"),
        ("1e2", "1E+2"),
        (Decimal("2.5"), "2.5"),
    ],
)
def test_to_decimal_keeps_the_exact_amount_sent(sent: str | float | Decimal, exact: str) -> None:
    result = to_decimal(sent)
    assert isinstance(result, Decimal)
    assert str(result) == exact


def test_to_decimal_of_json_floats_adds_up_exactly() -> None:
    assert to_decimal(0.1) + to_decimal(0.2) == Decimal("0.3")


@pytest.mark.parametrize(
    "sent",
    [
        "abc",
        "",
        "1,299.00",
        "NaN",
        "Infinity",
        "-inf",
        "1_000",
        "\u0661\u0662",  # (Arabic-Indic digits: Decimal takes them)
        "0x10",
        True,
        False,
        None,
        [1],
        {"a": 1},
    ],
)
def test_to_decimal_refuses_what_is_not_a_finite_number(sent: object) -> None:
    with pytest.raises(ValueError):
        to_decimal(sent)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("129.9"), "129.90"),
        (Decimal("24.90"), "24.90"),
        (Decimal("0"), "0.00"),
        (Decimal("0.3000"), "0.30"),
        (Decimal("100"), "100.00"),
        (Decimal("1E+2"), "100.00"),
        (Decimal("12.345"), "12.345"),
        (Decimal("1.2345"), "1.2345"),
        (Decimal("-5.5"), "-5.50"),
        (Decimal("12.3400"), "12.34"),
        (Decimal("99999999999999.9999"), "99999999999999.9999"),
        (Decimal("0.0001"), "0.0001"),
        (Decimal("7.10E+3"), "7100.00"),
        (Decimal("-0.0000"), "-0.00"),
        (None, None),
    ],
)
def test_format_money_shows_at_least_two_places_and_never_loses_digits(
    amount: Decimal | None, shown: str | None
) -> None:
    assert format_money(amount) == shown


def test_money_fields_read_json_numbers_and_strings_alike() -> None:
    money = TypeAdapter(Money)
    assert money.validate_python(19.99) == money.validate_python("19.99") == Decimal("19.99")
    assert money.dump_python(Decimal("19.9"), mode="json") == "19.90"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Ada@Example.COM", "ada@example.com"),
        ("  ADA.LOVELACE@example.com ", "ada.lovelace@example.com"),
        ("ada@example.com", "ada@example.com"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(sent: str, stored: str) -> None:
    assert TypeAdapter(Email).validate_python(sent) == stored


@pytest.mark.parametrize(
    "sent",
    [
        "not-an-email",
        "ada@",
        "@example.com",
        "",
        42,
        None,
        "ada..lovelace@example.com",
        ".ada@example.com",
        "ada@example..com",
        "ada@-example.com",
        "ada@example.test",
        "ada@shop.localhost",
        "ada@ab--cd.com",
        "ada@" + "a" * 64 + ".com",
    ],
)
def test_an_invalid_email_is_refused(sent: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Email).validate_python(sent)


@pytest.mark.parametrize(
    ("sent", "tags"),
    [
        ("vip, new ,vip,,", ["vip", "new"]),
        ("vip", ["vip"]),
        (["vip", " new ", "vip", ""], ["vip", "new"]),
        ([2026, "x"], ["2026", "x"]),
        (None, []),
        ("", []),
    ],
)
def test_tags_come_from_a_list_or_a_comma_separated_string(
    sent: str | list[str | int] | None, tags: list[str]
) -> None:
    assert TypeAdapter(Tags).validate_python(sent) == tags


@pytest.mark.parametrize("sent", [{"a": 1}, 5, [{"a": 1}], [None]])
def test_tags_of_another_shape_are_refused(sent: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Tags).validate_python(sent)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (7, "7"),
        ("7", "7"),
        (7.0, "7"),
        (" 7 ", "7"),
        ("A-17", "A-17"),
        # the number as written, not the double nearest to it (99999999999999991611392)
        (1e23, "100000000000000000000000"),
        (4.2e1, "42"),
    ],
)
def test_ids_arrive_as_numbers_or_strings_and_are_kept_as_strings(
    sent: float | str, stored: str
) -> None:
    assert TypeAdapter(ExternalId).validate_python(sent) == stored


@pytest.mark.parametrize("sent", [7.5, True, {"id": 7}, [7], "", "   ", "x" * 256])
def test_ids_of_another_shape_are_refused(sent: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(ExternalId).validate_python(sent)


def test_times_need_a_zone_and_are_kept_in_utc() -> None:
    time = TypeAdapter(UTCTime)
    assert time.validate_python("2026-11-01T10:00:00+02:00") == datetime(
        2026, 11, 1, 8, 0, tzinfo=UTC
    )
    assert time.validate_python("2026-11-01T08:00:00Z") == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    with pytest.raises(ValidationError):
        time.validate_python("2026-11-01T10:00:00")


_LOCAL = st.text(alphabet="aZ09._%+-!#", min_size=1, max_size=70)
_LABEL = st.text(alphabet="aZ09-", min_size=1, max_size=66)
_TLD = st.sampled_from(["com", "COM", "de", "test", "local", "onion", "c0m", "x", "xn--p1ai"])


@settings(max_examples=3000, deadline=None)
@given(
    address=st.one_of(
        st.emails(),
        st.builds(
            lambda local, labels, tld: f"{local}@{'.'.join([*labels, tld])}",
            _LOCAL,
            st.lists(_LABEL, min_size=1, max_size=4),
            _TLD,
        ),
    )
)
def test_the_quick_check_of_plain_addresses_agrees_with_the_full_one(address: str) -> None:
    quick = _plain_email(address)
    if quick is None:
        return  # the full check decides
    full = validate_email(address, check_deliverability=False)
    assert quick == full.normalized.lower()


@pytest.mark.parametrize("sent", [1795780800, "1795780800", 1795780800000, 1795780800.0])
def test_a_time_may_be_unix_seconds_or_milliseconds(sent: float | str) -> None:
    # (as docs/integration.md says: ISO 8601, or UNIX time past 2e10 read as milliseconds)
    assert TypeAdapter(UTCTime).validate_python(sent) == datetime(2026, 11, 27, 12, tzinfo=UTC)
