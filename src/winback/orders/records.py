"""What an order keeps of its payload: its lines, its codes and the rest of its data.

They are JSON values worked out from the payload when the order is applied. A
large import's reader process works them out beside the payload and hands them
over with it (``imports/reader.py``), so the applying process does not have to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from winback.orders.payloads import LineItem, OrderPayload

_DATA_EXCLUDE = {"line_items", "discount_codes", "customer"}


@dataclass(frozen=True, slots=True)
class OrderRecords:
    line_items: list[dict[str, Any]]
    discount_codes: list[dict[str, Any]]
    data: dict[str, Any]


def line_record(line: LineItem) -> dict[str, Any]:
    record = line.model_dump(mode="json", exclude_none=True)
    record["name"] = line.display_name
    return record


def records_of(payload: OrderPayload) -> OrderRecords:
    data = payload.model_dump(mode="json", exclude=_DATA_EXCLUDE, exclude_none=True)
    if payload.customer is not None:
        data["customer"] = payload.customer.model_dump(mode="json", exclude_none=True)
    return OrderRecords(
        line_items=[line_record(line) for line in payload.line_items],
        discount_codes=[code.model_dump(mode="json") for code in payload.discount_codes],
        data=data,
    )


def order_records(payload: OrderPayload) -> OrderRecords:
    """The payload's records: as handed over with it, else worked out now."""
    handed = payload._records
    return handed if isinstance(handed, OrderRecords) else records_of(payload)


def hand_over(payload: OrderPayload, records: OrderRecords) -> None:
    """Attach records worked out elsewhere from this same payload."""
    payload._records = records
