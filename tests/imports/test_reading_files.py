"""What every CSV import shares: encodings, BOMs, mappings, headers, row shapes, progress."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from winback.imports import (
    ImportedContact,
    ImportRefused,
    Progress,
    RowError,
    load_column_mapping,
    parse_contacts_csv,
)


def test_a_file_that_is_not_utf8_is_refused_before_any_row() -> None:
    latin1 = "email,first_name\nzoe@example.com,Zoë\n".encode("latin-1")

    with pytest.raises(ImportRefused) as refused:
        parse_contacts_csv(latin1)

    assert refused.value.reason == (
        "the file is not valid UTF-8 text (byte 0xeb at offset 35); save it as UTF-8, "
        "or name the encoding it is written in"
    )


def test_bad_utf8_after_the_first_64_kib_stops_the_file_at_that_line() -> None:
    good = b"email\n" + b"".join(b"a%d@example.com\n" % i for i in range(6000))
    rows = parse_contacts_csv(good + b"z\xe9@example.com\n")

    with pytest.raises(ImportRefused, match="is not valid UTF-8 text"):
        list(rows)


def test_a_named_encoding_reads_a_file_that_is_not_utf8() -> None:
    latin1 = "email,first_name\nzoe@example.com,Zoë\n".encode("latin-1")

    [row] = list(parse_contacts_csv(latin1, encoding="latin-1"))

    assert isinstance(row, ImportedContact) and row.payload.first_name == "Zoë"


def test_an_unknown_encoding_name_is_refused() -> None:
    with pytest.raises(ImportRefused, match="unknown text encoding 'klingon'"):
        parse_contacts_csv(b"email\n", encoding="klingon")


def test_a_utf8_byte_order_mark_is_tolerated() -> None:
    [row] = list(parse_contacts_csv(b"\xef\xbb\xbfemail\r\na@example.com\r\n"))

    assert isinstance(row, ImportedContact) and row.payload.email == "a@example.com"


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ImportRefused, match="the file is empty: it has no header row"):
        parse_contacts_csv(b"")


def test_a_column_named_twice_is_refused() -> None:
    with pytest.raises(ImportRefused, match="the column 'email' appears twice"):
        parse_contacts_csv(b"email,Email\n")


def test_headers_match_our_names_whatever_their_case_and_spacing() -> None:
    [row] = list(parse_contacts_csv(b" EMAIL , First_Name\na@example.com,Ann\n"))

    assert isinstance(row, ImportedContact) and row.payload.first_name == "Ann"


def test_a_row_with_the_wrong_number_of_fields_is_reported_and_the_rest_read() -> None:
    result = list(
        parse_contacts_csv(b"email,first_name\na@example.com,Ann,extra\nb@example.com,Bo\n")
    )

    assert result[0] == RowError(2, None, "the row has 3 fields but the header has 2")
    assert isinstance(result[1], ImportedContact) and result[1].line == 3


def test_a_quoted_cell_over_several_lines_keeps_the_line_numbers_right() -> None:
    text = b'email,first_name\n"a@example.com","Ann\nMarie"\nnobody,Bo\n'

    result = list(parse_contacts_csv(text))

    assert isinstance(result[0], ImportedContact) and result[0].payload.first_name == "Ann\nMarie"
    assert isinstance(result[1], RowError) and result[1].line == 4


def test_blank_lines_are_skipped() -> None:
    result = list(parse_contacts_csv(b"email,first_name\n\n,\na@example.com,Ann\n"))

    assert [(type(r).__name__, r.line) for r in result] == [("ImportedContact", 4)]


def test_a_mapping_file_maps_their_headers_to_ours(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps({"E-Mail Address": "email", "Vorname": "first_name"}))

    mapping = load_column_mapping(path)
    [row] = list(
        parse_contacts_csv(b"e-mail address,Vorname\na@example.com,Ann\n", mapping=mapping)
    )

    assert mapping == {"E-Mail Address": "email", "Vorname": "first_name"}
    assert isinstance(row, ImportedContact)
    assert (row.payload.email, row.payload.first_name) == ("a@example.com", "Ann")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("[1, 2]", "the column mapping must be a JSON object {their header: our header}"),
        ('{"a": 3}', "the column mapping entry 'a' must map to a column name"),
        ("{nope", "the column mapping is not valid JSON"),
    ],
)
def test_a_bad_mapping_file_is_refused(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(content)

    with pytest.raises(ImportRefused) as refused:
        load_column_mapping(path)

    assert refused.value.reason.startswith(reason)


def test_the_progress_hook_hears_bytes_and_rows() -> None:
    text = b"email\n" + b"".join(b"a%d@example.com\n" % i for i in range(2500))
    heard: list[Progress] = []

    list(parse_contacts_csv(io.BytesIO(text), progress=heard.append))

    assert [p.rows for p in heard] == [1000, 2000, 2500]
    assert heard[-1].bytes_read == len(text)


def test_a_source_of_small_chunks_reads_like_a_file() -> None:
    text = b"email,first_name\na@example.com,Ann\nb@example.com,Bo\n"
    chunks = [text[i : i + 3] for i in range(0, len(text), 3)]

    result = list(parse_contacts_csv(iter(chunks)))

    assert [r.payload.email for r in result if isinstance(r, ImportedContact)] == [
        "a@example.com",
        "b@example.com",
    ]
