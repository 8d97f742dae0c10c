"""The contacts CSV: one customer payload per row, or the reasons it cannot be one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from winback.imports import ImportedContact, ImportRefused, RowError, parse_contacts_csv
from winback.shoppers.payloads import CustomerPayload

HEADER = (
    "id,pos_id,email,sms_phone_number,first_name,last_name,created_at,opt_in_status,gender,"
    "birthdate,extra_shopper_tags,country,country_code,region,city,street,zip,phone"
)


def contacts(text: str) -> list[ImportedContact | RowError]:
    return list(parse_contacts_csv(text.encode()))


def test_every_contact_column_fills_its_payload_field() -> None:
    [row] = contacts(
        HEADER + "\n"
        "C1,P1,Ann@Example.com,+49 151 2345 6789,Ann,Lee,2023-05-01T09:30:00Z,1,F,1990-02-28,"
        "vip; newsletter ;vip,Germany,DE,Berlin,Berlin,Main St 1,10115,+49301234567\n"
    )

    assert isinstance(row, ImportedContact)
    customer = row.payload
    assert (row.line, customer.id, customer.pos_id, customer.email) == (
        2,
        "C1",
        "P1",
        "ann@example.com",
    )
    assert customer.sms_phone_number_e164 == "+4915123456789"
    assert (customer.first_name, customer.last_name, customer.gender) == ("Ann", "Lee", "F")
    assert customer.created_at == datetime(2023, 5, 1, 9, 30, tzinfo=UTC)
    assert customer.accepts_marketing is True
    assert customer.birthdate == "1990-02-28"
    assert customer.tags == ["vip", "newsletter"]
    assert customer.append_tags is True
    assert customer.default_address == {
        "country": "Germany",
        "country_code": "DE",
        "region": "Berlin",
        "city": "Berlin",
        "street": "Main St 1",
        "zip": "10115",
        "phone": "+49301234567",
    }


@pytest.mark.parametrize(("cell", "expected"), [("1", True), ("0", False), ("", None)])
def test_opt_in_status_is_one_zero_or_unknown(cell: str, expected: bool | None) -> None:
    [row] = contacts(f"email,opt_in_status\na@example.com,{cell}\n")

    assert isinstance(row, ImportedContact)
    assert row.payload.accepts_marketing is expected


def test_tags_are_appended_even_when_the_file_has_none() -> None:
    [row] = contacts("email\na@example.com\n")

    assert isinstance(row, ImportedContact)
    assert (row.payload.tags, row.payload.append_tags) == ([], True)


def test_unknown_columns_are_kept_in_info() -> None:
    [row] = contacts("email,Loyalty Level,favourite\na@example.com,gold,\n")

    assert isinstance(row, ImportedContact)
    assert row.payload.info == {"Loyalty Level": "gold"}


@pytest.mark.parametrize(
    ("column", "cell", "reason"),
    [
        ("birthdate", "28.02.1990", "'28.02.1990' is not a date written YYYY-MM-DD"),
        ("birthdate", "1990-02-30", "'1990-02-30' is not a real date"),
        (
            "opt_in_status",
            "maybe",
            "'maybe' is not one of 1, 0, true, false, yes, no, y, n (empty: unknown)",
        ),
        (
            "created_at",
            "2023-05-01",
            "'2023-05-01' has no time zone (add Z or an offset such as +02:00)",
        ),
        (
            "sms_phone_number",
            "0151 234",
            "'0151 234' is not a phone number in E.164 form: + (or 00), the country code and"
            " the number, 7 to 15 digits in all",
        ),
    ],
)
def test_a_bad_cell_is_reported_with_its_line_and_column(
    column: str, cell: str, reason: str
) -> None:
    result = contacts(f"email,{column}\na@example.com,{cell}\nb@example.com,\n")

    assert result[0] == RowError(2, column, reason)
    assert isinstance(result[1], ImportedContact) and result[1].payload.email == "b@example.com"


def test_every_bad_cell_of_a_row_is_reported() -> None:
    result = contacts("email,birthdate,opt_in_status\na@example.com,x,maybe\n")

    assert [(e.column) for e in result if isinstance(e, RowError)] == ["opt_in_status", "birthdate"]


def test_an_invalid_email_is_reported_under_the_email_column() -> None:
    [error] = contacts("email\nnot-an-address\n")

    assert isinstance(error, RowError)
    assert (error.line, error.column) == (2, "email")
    assert error.reason.startswith("'not-an-address' is not a valid email address")


def test_a_contact_without_any_identifying_value_is_reported() -> None:
    assert contacts("id,email,first_name\n,,Ann\n") == [
        RowError(2, None, "the contact has none of id, pos_id, email, sms_phone_number")
    ]


def test_a_contact_known_only_by_its_pos_id_is_read() -> None:
    [row] = contacts("pos_id,first_name\nPOS55,Pos\n")

    assert isinstance(row, ImportedContact)
    assert (row.payload.pos_id, row.payload.id, row.payload.email) == ("POS55", None, None)


def test_a_contact_known_only_by_its_phone_number_is_read() -> None:
    [row] = contacts("sms_phone_number,first_name\n+49 151 2345 6789,Ann\n")

    assert isinstance(row, ImportedContact)
    assert (row.payload.sms_phone_number_e164, row.payload.email) == ("+4915123456789", None)


def test_a_contact_known_by_its_id_alone_is_read() -> None:
    [row] = contacts("id,first_name\nC9,Ann\n")

    assert isinstance(row, ImportedContact)
    assert (row.payload.id, row.payload.email, row.payload.first_name) == ("C9", None, "Ann")


def test_a_file_without_any_identifying_column_is_refused() -> None:
    with pytest.raises(ImportRefused) as refused:
        contacts("first_name,last_name\nAnn,Lee\n")

    assert refused.value.reason == (
        "the file needs at least one of the columns 'id', 'pos_id', 'email', 'sms_phone_number'"
    )


def test_a_semicolon_separated_file_is_refused_saying_commas_are_needed() -> None:
    with pytest.raises(ImportRefused) as refused:
        contacts("email;first_name\na@example.com;Ann\n")

    assert refused.value.reason == (
        "the file needs at least one of the columns 'id', 'pos_id', 'email', 'sms_phone_number'"
        "; the header reads as one column holding semicolons: the columns must be separated "
        "by commas"
    )


# (what a check that refused the value gives, told apart from a value kept as None)
REFUSED = "refused"


def read_both_ways(column: str, field: str, cell: str) -> tuple[object, object]:
    """``cell`` as a contacts file's ``column`` and as a webhook's ``field`` reads it:
    the value kept each way, or REFUSED."""
    [row] = contacts(f"email,{column}\na@example.com,{cell}\n")
    by_file = getattr(row.payload, field) if isinstance(row, ImportedContact) else REFUSED
    try:
        by_webhook = getattr(
            CustomerPayload.model_validate({"email": "a@example.com", field: cell}), field
        )
    except ValidationError:
        by_webhook = REFUSED
    return by_file, by_webhook


@pytest.mark.parametrize(
    ("cell", "kept"),
    [
        ("+49 151 2345 6789", "+4915123456789"),
        ("0049 (151) 2345-6789", "+4915123456789"),
        ("+2907123", "+2907123"),
        ("+12345", None),
        ("0151 2345 6789", None),
        ("+1234567890123456", None),
    ],
)
def test_a_phone_number_is_read_as_a_webhook_reads_it(cell: str, kept: str | None) -> None:
    """One store may send a shopper's number in a webhook and in a file: one rule for both."""
    by_file, by_webhook = read_both_ways("sms_phone_number", "sms_phone_number_e164", cell)

    assert by_file == by_webhook == (kept or REFUSED)


@pytest.mark.parametrize(
    ("cell", "kept"),
    [("1990-02-28", "1990-02-28"), ("1990-W09-3", None), ("1990-02-30", None)],
)
def test_a_birthdate_is_read_as_a_webhook_reads_it(cell: str, kept: str | None) -> None:
    by_file, by_webhook = read_both_ways("birthdate", "birthdate", cell)

    assert by_file == by_webhook == (kept or REFUSED)
