"""The contacts CSV (integration.md 3): one contact per row, as contact payloads.

Tags from ``extra_shopper_tags`` are appended to a contact's tags, never
replacing them; an empty ``opt_in_status`` means unknown, not "no". Columns we
do not know are kept in the customer's free ``info`` object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from winback.fields import calendar_date, phone_e164
from winback.imports.cells import (
    CellError,
    parse_flag,
    parse_timestamp,
    read_cell,
    split_list,
)
from winback.imports.csvfile import open_csv_file, require_columns
from winback.imports.mapping import ColumnMapping
from winback.imports.problems import RowError, row_errors
from winback.imports.source import ByteSource, ProgressHook
from winback.imports.table import TableRow
from winback.shoppers.payloads import ContactPayload

IDENTIFYING = ("id", "pos_id", "email", "sms_phone_number")
PLAIN_COLUMNS = ("id", "pos_id", "email", "first_name", "last_name", "gender")
ADDRESS_COLUMNS = (
    "country",
    "country_code",
    "region",
    "province_code",
    "city",
    "street",
    "zip",
    "phone",
)
# Columns read with a parser: column -> (payload field, parser).
PARSED_COLUMNS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "sms_phone_number": ("sms_phone_number_e164", phone_e164),
    "created_at": ("created_at", parse_timestamp),
    "opt_in_status": ("accepts_marketing", parse_flag),
    "birthdate": ("birthdate", calendar_date),
    "extra_shopper_tags": ("tags", lambda text: split_list(text, ";")),
}
KNOWN = {*PLAIN_COLUMNS, *ADDRESS_COLUMNS, *PARSED_COLUMNS}

_ERROR_COLUMNS = (
    {name: name for name in PLAIN_COLUMNS}
    | {field: column for column, (field, _) in PARSED_COLUMNS.items()}
    | {f"default_address.{name}": name for name in ADDRESS_COLUMNS}
)


@dataclass(frozen=True, slots=True)
class ImportedContact:
    """A contact ready for ``apply_customer``, with the line it is on."""

    line: int
    payload: ContactPayload


def parse_contacts_csv(
    source: ByteSource,
    *,
    mapping: ColumnMapping | None = None,
    encoding: str = "utf-8",
    progress: ProgressHook | None = None,
) -> Iterator[ImportedContact | RowError]:
    """Check the header now (raising ``ImportRefused``), then yield contacts and row errors."""
    table = open_csv_file(
        source, known=KNOWN, mapping=mapping, encoding=encoding, progress=progress
    )
    require_columns(table.header, (), IDENTIFYING)
    return _contacts(table.rows)


def _contacts(rows: Iterator[TableRow | RowError]) -> Iterator[ImportedContact | RowError]:
    for row in rows:
        if isinstance(row, RowError):
            yield row
        else:
            yield from _contact(row)


def _contact(row: TableRow) -> Iterator[ImportedContact | RowError]:
    values = row.values
    if not any(values.get(column) for column in IDENTIFYING):
        names = ", ".join(IDENTIFYING)
        yield RowError(row.line, None, f"the contact has none of {names}")
        return
    data, errors = _customer_data(values)
    if errors:
        yield from (RowError(row.line, error.column, error.reason) for error in errors)
        return
    try:
        payload = ContactPayload.model_validate(data)
    except ValidationError as error:
        yield from row_errors(error, line=row.line, columns=_ERROR_COLUMNS)
    else:
        yield ImportedContact(line=row.line, payload=payload)


def _customer_data(values: Mapping[str, str]) -> tuple[dict[str, Any], list[CellError]]:
    data: dict[str, Any] = {name: values[name] for name in PLAIN_COLUMNS if values.get(name)}
    errors: list[CellError] = []
    for column, (field, parse) in PARSED_COLUMNS.items():
        if not values.get(column):
            continue
        try:
            data[field] = read_cell(values, column, parse)
        except CellError as error:
            errors.append(error)
    data["append_tags"] = True
    address = {name: values[name] for name in ADDRESS_COLUMNS if values.get(name)}
    if address:
        data["default_address"] = address
    info = {name: value for name, value in values.items() if name not in KNOWN and value}
    if info:
        data["info"] = info
    return data, errors
