"""A CSV field longer than csv's field limit: its row is skipped and reported, the rest read."""

from __future__ import annotations

from winback.imports import ImportedContact, RowError, parse_contacts_csv
from winback.imports.table import MAX_FIELD_CHARS


def test_a_field_of_200000_characters_is_read_whole() -> None:
    # given a contact whose note runs to 200,000 characters
    note = "n" * 200_000
    text = f"email,first_name\na@example.com,{note}\nb@example.com,Bo\n".encode()

    # when the file is read
    result = list(parse_contacts_csv(text))

    # then both contacts are read, the long value whole
    assert [type(r).__name__ for r in result] == ["ImportedContact", "ImportedContact"]
    assert isinstance(result[0], ImportedContact) and result[0].payload.first_name == note


def test_a_quoted_field_over_the_limit_over_several_lines_is_one_row_error() -> None:
    # given a quoted value over the limit that goes on over the next lines
    long_cell = '"' + "x" * MAX_FIELD_CHARS + '\nstill, the ""same"" field\n"'
    text = f"email,first_name\na@example.com,{long_cell}\nb@example.com,Bo\n".encode()

    # when the file is read
    result = list(parse_contacts_csv(text))

    # then that row is one row error, and the next row is read from its own line
    reason = f"the value is longer than {MAX_FIELD_CHARS} characters"
    assert result[0] == RowError(2, "first_name", reason)
    assert isinstance(result[1], ImportedContact)
    assert (result[1].line, result[1].payload.email) == (5, "b@example.com")
