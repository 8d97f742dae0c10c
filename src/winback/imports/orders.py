"""The orders history CSV (integration.md 3): one row per line item, grouped into orders.

The order's own columns repeat on each of its rows; they are read from the
order's first row. A later row may leave them empty but not contradict it:
which of the two to believe cannot be told, so the order is skipped. Rows of
one order must be consecutive: only one order is held in memory at a time, so
a later row of an order that was already handed on is reported as a row error,
saying the order went in without it, instead of silently splitting the order in
two. A row the CSV reader could not use (a value too long, a field too many)
still names its order when its ``order_id`` can be read, and that order is
skipped like one with a bad line item.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from winback.fields import version_ahead
from winback.imports.cells import CellError, parse_flag, parse_timestamp, read_cell, split_list
from winback.imports.csvfile import open_csv_file, require_columns
from winback.imports.mapping import ColumnMapping
from winback.imports.problems import ImportRefused, RowError, row_errors
from winback.imports.source import ByteSource, ProgressHook
from winback.imports.table import TableRow
from winback.orders.payloads import LineItem, OrderPayload

ORDER_COLUMNS = {
    "order_id": "id",
    "order_created_at": "created_at",
    "order_modified_at": "updated_at",
    "order_status": "status",
    "order_financial_status": "financial_status",
    "order_currency": "currency",
    "order_subtotal": "subtotal_price",
    "order_shipping": "total_shipping",
    "order_discount": "total_discounts",
    "order_tax": "total_tax",
    "order_total": "total_price",
}
CUSTOMER_COLUMNS = {
    "customer_id": "id",
    "customer_pos_id": "pos_id",
    "customer_email": "email",
    "customer_first_name": "first_name",
    "customer_last_name": "last_name",
    "customer_accepts_marketing": "accepts_marketing",
}
LINE_COLUMNS = {
    "product_id": "product_id",
    "sku": "sku",
    "product_name": "name",
    "quantity": "quantity",
    "price": "price",
    "product_url": "url",
    "product_image": "image",
}
COUPON_COLUMN = "order_coupon_code"
MANDATORY = ("order_id", "order_created_at", "order_status")
IDENTIFYING = ("customer_id", "customer_pos_id", "customer_email")
KNOWN = {*ORDER_COLUMNS, *CUSTOMER_COLUMNS, *LINE_COLUMNS, COUPON_COLUMN}
# Payload fields the importer fills itself: an extra column of that name would clash.
FILLED_FIELDS = {*ORDER_COLUMNS.values(), "customer", "line_items", "discount_codes"}
MAX_LINES_PER_ORDER = 10_000

# The order's own columns, which each of its rows repeats; amounts agree when their
# values do ("49.9" and "49.90"), an email or a currency whatever its case.
_REPEATED = (*ORDER_COLUMNS, *CUSTOMER_COLUMNS, COUPON_COLUMN)
_AMOUNTS = frozenset(
    {"order_subtotal", "order_shipping", "order_discount", "order_tax", "order_total"}
)
_ANY_CASE = frozenset({"customer_email", "order_currency"})

_ORDER_ERROR_COLUMNS = {payload: column for column, payload in ORDER_COLUMNS.items()} | {
    f"customer.{payload}": column for column, payload in CUSTOMER_COLUMNS.items()
}
_LINE_ERROR_COLUMNS = {payload: column for column, payload in LINE_COLUMNS.items()}


@dataclass(frozen=True, slots=True)
class ImportedOrder:
    """An order ready for ``apply_order``, with the line its first row is on and its row count."""

    line: int
    payload: OrderPayload
    rows: int = 1


def parse_orders_csv(
    source: ByteSource,
    *,
    store_currency: str,
    mapping: ColumnMapping | None = None,
    encoding: str = "utf-8",
    progress: ProgressHook | None = None,
) -> Iterator[ImportedOrder | RowError]:
    """Check the header now (raising ``ImportRefused``), then yield orders and row errors."""
    if len(store_currency) != 3 or not store_currency.isalpha():
        raise ImportRefused(f"the store currency {store_currency!r} is not a 3-letter code")
    table = open_csv_file(
        source, known=KNOWN, mapping=mapping, encoding=encoding, progress=progress
    )
    require_columns(table.header, MANDATORY, IDENTIFYING)
    for column in table.header:
        if column in FILLED_FIELDS:
            raise ImportRefused(
                f"the column {column!r} clashes with the order field filled from our own "
                "columns; map it to another name",
                column=column,
            )
    return _orders(table.rows, store_currency.upper())


def _orders(
    rows: Iterator[TableRow | RowError], currency: str
) -> Iterator[ImportedOrder | RowError]:
    group: _OrderRows | None = None
    # Each order read so far, and whether it was handed on (else skipped): ~100 bytes
    # an order, the price of noticing split orders.
    handed_on: dict[str, bool] = {}
    for row in rows:
        order_id = _order_id(row)
        if isinstance(row, RowError) and not order_id:
            yield row  # (whose row it was cannot be told)
            continue
        if group is not None and order_id == group.order_id:
            group.add(row)
            continue
        if group is not None:
            yield from _close(group, currency, handed_on)
            group = None
        if not order_id:
            yield RowError(row.line, "order_id", "order_id is empty")
        elif order_id in handed_on:
            yield from _split_order(order_id, row, handed_on[order_id])
        else:
            group = _OrderRows(order_id, row)
    if group is not None:
        yield from _close(group, currency, handed_on)


def _order_id(row: TableRow | RowError) -> str:
    values = row.values or {}
    return values.get("order_id", "")


def _close(
    group: _OrderRows, currency: str, handed_on: dict[str, bool]
) -> Iterator[ImportedOrder | RowError]:
    found = list(group.close(currency))
    handed_on[group.order_id] = any(isinstance(item, ImportedOrder) for item in found)
    yield from found


def _split_order(
    order_id: str, row: TableRow | RowError, was_handed_on: bool
) -> Iterator[RowError]:
    """A row of an order already read: the order cannot take it any more."""
    if isinstance(row, RowError):
        yield row
    if was_handed_on:
        happened = (
            f"order {order_id} is imported with its rows before line {row.line} only: "
            "this row is not next to them"
        )
    else:
        happened = (
            f"order {order_id} is skipped for the errors reported before line {row.line}, "
            "and this row is not next to its other rows"
        )
    yield RowError(
        row.line, "order_id", f"{happened}; put all its rows together and import the file again"
    )


@dataclass
class _OrderRows:
    """The rows of the order being read: its first row, its line items, the errors so far."""

    order_id: str
    first: TableRow | RowError  # (a row the reader could not use still names its order)
    items: list[LineItem] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    bad_lines: list[int] = field(default_factory=list)
    rows: int = 0

    def __post_init__(self) -> None:
        self.add(self.first)

    def add(self, row: TableRow | RowError) -> None:
        """Read one more line item; errors are kept and reported with the order, in line order."""
        self.rows += 1
        if isinstance(row, RowError):
            self._fail(row.line, [row])
            return
        if len(self.items) + len(self.bad_lines) >= MAX_LINES_PER_ORDER:
            reason = f"order {self.order_id} has more than {MAX_LINES_PER_ORDER} line items"
            self._fail(row.line, [RowError(row.line, "order_id", reason)])
            return
        contradicted = self._contradicted(row)
        if contradicted is not None:
            self._fail(row.line, [contradicted])
            return
        try:
            item = _line_item(row.values)
        except ValidationError as error:
            self._fail(row.line, row_errors(error, line=row.line, columns=_LINE_ERROR_COLUMNS))
            return
        if item is not None:
            self.items.append(item)

    def _contradicted(self, row: TableRow) -> RowError | None:
        """A later row that gives one of the order's own columns another value than
        the first row (an empty cell agrees with anything)."""
        if row is self.first or not isinstance(self.first, TableRow):
            return None
        first = self.first.values
        for column in _REPEATED:
            said = row.values.get(column)
            if not said or _agree(column, said, first.get(column) or ""):
                continue
            was = first.get(column)
            there = (
                f"{was!r} on line {self.first.line}"
                if was
                else f"nothing on line {self.first.line}"
            )
            reason = (
                f"order {self.order_id} has {column} {said!r} here but {there}, its first "
                "row: an order's own columns must agree on all its rows"
            )
            return RowError(row.line, column, reason)
        return None

    def _fail(self, line: int, errors: list[RowError]) -> None:
        self.bad_lines.append(line)
        self.errors.extend(errors)

    def close(self, currency: str) -> Iterator[ImportedOrder | RowError]:
        """The order, or why it is skipped: an order missing a line would have wrong totals."""
        line = self.first.line
        problems = list(self.errors)
        payload: OrderPayload | None = None
        try:
            if isinstance(self.first, TableRow):
                payload = _order(self.first.values, self.items, currency)
        except CellError as error:
            problems.append(RowError(line, error.column, error.reason))
        except ValidationError as error:
            problems.extend(row_errors(error, line=line, columns=_ORDER_ERROR_COLUMNS))
        if self.bad_lines:
            lines = ", ".join(str(bad) for bad in self.bad_lines)
            reason = f"order {self.order_id} is skipped because line(s) {lines} have errors"
            problems.append(RowError(line, "order_id", reason))
        if payload is None or problems:
            yield from sorted(problems, key=lambda problem: problem.line)
        else:
            yield ImportedOrder(line=line, payload=payload, rows=self.rows)


def _agree(column: str, said: str, first: str) -> bool:
    if said == first:
        return True
    if column in _ANY_CASE:
        return said.casefold() == first.casefold()
    if column in _AMOUNTS:
        try:
            return Decimal(said) == Decimal(first)
        except InvalidOperation:
            return False
    return False


def _filled(values: Mapping[str, str], columns: Mapping[str, str]) -> dict[str, Any]:
    return {field: values[column] for column, field in columns.items() if values.get(column)}


def _line_item(values: Mapping[str, str]) -> LineItem | None:
    data = _filled(values, LINE_COLUMNS)
    return LineItem.model_validate(data) if data else None


def _currency(values: Mapping[str, str], default: str) -> str:
    # Checked here rather than by the payload, whose pattern error names no column.
    text = values.get("order_currency") or default
    if len(text) != 3 or not (text.isascii() and text.isalpha()):
        reason = f"order_currency must be a 3-letter currency code (such as EUR), not {text!r}"
        raise CellError("order_currency", reason)
    return text.upper()


def _order(values: Mapping[str, str], items: list[LineItem], currency: str) -> OrderPayload:
    for column in MANDATORY:
        if not values.get(column):
            raise CellError(column, f"{column} is empty")
    data: dict[str, Any] = {
        name: value for name, value in values.items() if name not in KNOWN and value
    }
    data |= _filled(values, ORDER_COLUMNS)
    data["created_at"] = read_cell(values, "order_created_at", parse_timestamp)
    if values.get("order_modified_at"):
        data["updated_at"] = read_cell(values, "order_modified_at", parse_timestamp)
        problem = version_ahead(data["updated_at"], datetime.now(UTC))
        if problem is not None:
            raise CellError("order_modified_at", f"order_modified_at {problem}")
    data["currency"] = _currency(values, currency)
    if values.get(COUPON_COLUMN):
        data["discount_codes"] = [{"code": code} for code in split_list(values[COUPON_COLUMN], ",")]
    customer = _filled(values, CUSTOMER_COLUMNS)
    if "accepts_marketing" in customer:
        customer["accepts_marketing"] = read_cell(values, "customer_accepts_marketing", parse_flag)
    if customer:
        data["customer"] = customer
    data["line_items"] = items
    return OrderPayload.model_validate(data)
