"""A large file read in a child process: the same records, errors and progress as read here."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import Engine

from tests.imports.test_import_service import history, new_store, stored_aggregates
from winback.imports.jobs import CONTACTS, ORDERS
from winback.imports.orders import ImportedOrder
from winback.imports.problems import ImportRefused, RowError
from winback.imports.reader import ImportedRecord, ReadOptions, read_file
from winback.imports.service import import_orders
from winback.imports.source import Progress
from winback.orders.payloads import OrderPayload
from winback.shoppers.payloads import ContactPayload

IN_THIS_PROCESS = 1 << 40
IN_A_CHILD = 0

ORDERS_HEADER = (
    "order_id,order_created_at,order_modified_at,order_status,order_currency,order_total,"
    "order_discount,order_coupon_code,customer_id,customer_email,customer_first_name,"
    "customer_accepts_marketing,product_id,sku,product_name,quantity,price,gift_note\n"
)


def _orders_file(tmp_path: Path, orders: int = 1200) -> Path:
    """Orders with every kind of cell: optional ones left out, flags in three states,
    extra columns, coupons, several lines each, and a bad row now and then."""
    rows = [ORDERS_HEADER]
    flags = ["yes", "no", ""]
    for number in range(orders):
        lines = number % 3 + 1
        for line in range(lines):
            price = "oops" if number % 97 == 5 and line == 0 else f"{number % 50 + 1}.{line}5"
            modified = "2024-02-01T10:00:00+02:00" if number % 2 else ""
            rows.append(
                f"O{number},2024-01-{number % 28 + 1:02d}T08:30:00Z,{modified},complete,"
                f"{'EUR' if number % 5 == 0 else ''},,{'-3.50' if number % 4 == 0 else ''},"
                f"{'SPRING, vip' if number % 6 == 0 else ''},C{number % 150},"
                f"Shopper.{number % 150}@Example.com,Zoë {number},{flags[number % 3]},"
                f"P{line},SKU-{line},Pot {line},{line + 1},{price},"
                f"{'wrap it' if number % 7 == 0 else ''}\n"
            )
    path = tmp_path / "orders.csv"
    path.write_text("".join(rows))
    return path


def _contacts_file(tmp_path: Path, contacts: int = 1200) -> Path:
    rows = ["id,email,first_name,opt_in_status,extra_shopper_tags,birthdate,city,loyalty\n"]
    flags = ["yes", "no", ""]
    for number in range(contacts):
        email = "not-an-address" if number % 101 == 7 else f"C{number}@Example.com"
        rows.append(
            f"C{number},{email},Zoë,{flags[number % 3]},{'vip;spring' if number % 2 else ''},"
            f"{'1990-05-0' + str(number % 9 + 1) if number % 4 else ''},"
            f"{'Lyon' if number % 3 else ''},{'gold' if number % 5 == 0 else ''}\n"
        )
    path = tmp_path / "contacts.csv"
    path.write_text("".join(rows))
    return path


def _read(
    path: Path, options: ReadOptions, threshold: int
) -> tuple[list[ImportedRecord | RowError], list[Progress]]:
    heard: list[Progress] = []
    with read_file(path, options, progress=heard.append, child_threshold=threshold) as records:
        return list(records), heard


def _as_read(found: ImportedRecord | RowError) -> Any:
    """A record as what it says (its payload's JSON), whatever model class holds it."""
    if isinstance(found, RowError):
        return found
    payload_kind = OrderPayload if isinstance(found, ImportedOrder) else ContactPayload
    assert isinstance(found.payload, payload_kind)
    rows = found.rows if isinstance(found, ImportedOrder) else 1
    return (type(found), found.line, rows, found.payload.model_dump_json())


def _fields_set(value: Any) -> Any:
    """Which fields each model in a payload was given, all the way down."""
    if isinstance(value, BaseModel):
        return {name: _fields_set(getattr(value, name)) for name in sorted(value.model_fields_set)}
    if isinstance(value, list):
        return [_fields_set(item) for item in value]
    return None


def _zones(value: Any) -> Any:
    """Each time in a payload, all the way down, as its text and whether it is in UTC."""
    if isinstance(value, BaseModel):
        return [_zones(getattr(value, name)) for name in sorted(value.model_fields_set)]
    if isinstance(value, list):
        return [_zones(item) for item in value]
    if isinstance(value, datetime):
        return (value.isoformat(), value.tzinfo is UTC)
    return None


@pytest.mark.parametrize(
    ("kind", "make_file"), [(ORDERS, _orders_file), (CONTACTS, _contacts_file)]
)
def test_a_child_reads_the_same_records_errors_and_progress_as_this_process(
    tmp_path: Path, kind: str, make_file: Any
) -> None:
    path = make_file(tmp_path)
    options = ReadOptions(kind, "USD")

    here, heard_here = _read(path, options, IN_THIS_PROCESS)
    there, heard_there = _read(path, options, IN_A_CHILD)

    assert any(isinstance(found, RowError) for found in here)
    assert len(here) > 1000
    assert [_as_read(found) for found in there] == [_as_read(found) for found in here]
    for mine, theirs in zip(here, there, strict=True):
        if not isinstance(mine, RowError):
            assert not isinstance(theirs, RowError)
            assert _fields_set(theirs.payload) == _fields_set(mine.payload)
            assert _zones(theirs.payload) == _zones(mine.payload)
    assert heard_there[-1] == heard_here[-1]
    assert [read.rows for read in heard_there] == sorted(read.rows for read in heard_there)


def test_a_refused_header_is_refused_by_the_child_before_any_record(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order_id,order_status\nO1,complete\n")
    options = ReadOptions(ORDERS, "USD")

    with pytest.raises(ImportRefused) as here:
        _read(path, options, IN_THIS_PROCESS)
    with pytest.raises(ImportRefused) as there:
        read_file(path, options, progress=None, child_threshold=IN_A_CHILD).__enter__()

    assert "order_created_at" in there.value.reason
    assert (there.value.reason, there.value.column) == (here.value.reason, here.value.column)


def test_a_child_that_dies_is_an_error_not_a_short_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    children: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def capture(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        children.append(popen(*args, **kwargs))
        return children[-1]

    monkeypatch.setattr(subprocess, "Popen", capture)  # the module winback.pipes calls
    options = ReadOptions(ORDERS, "USD")
    with (
        pytest.raises(RuntimeError, match="the import reader process stopped"),
        read_file(
            _orders_file(tmp_path, 20_000), options, progress=None, child_threshold=0
        ) as records,
    ):
        next(records)
        children[0].kill()
        list(records)
    assert children[0].returncode is not None


def test_an_import_read_by_a_child_is_exact_and_reports_what_one_read_here_does(
    engine: Engine, tmp_path: Path
) -> None:
    content, expected = history(seed=5, orders=1500)
    path = tmp_path / "history.csv"
    path.write_bytes(content + b"O-bad,yesterday,complete,10,C1,C1@example.com,1\n")
    here, there = new_store(engine), new_store(engine)

    summary_here = import_orders(engine, here, path, batch_size=200)
    summary_there = import_orders(engine, there, path, batch_size=200, child_threshold=0)

    assert stored_aggregates(engine, there) == expected
    assert stored_aggregates(engine, here) == expected
    assert summary_there.imported == summary_here.imported == 1500
    assert summary_there.errors == summary_here.errors
    assert [error.line for error in summary_there.errors] == [1502]
    assert (summary_there.rows_read, summary_there.skipped) == (1501, 1)
