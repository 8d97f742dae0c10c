"""The orders history import: how long ``winback import orders`` takes, and whether it is exact.

    .venv/bin/python bench/import_bench.py [--db sqlite|postgresql|both] [--runs 1]
        [--line-items 1000000] [--seed 11] [--profile] [--again]

Per database and run, on fresh databases:
1. ``winback store create``, then ``winback import orders FILE --store S --json``
   as a person would run it, timed end to end (process start to exit), with
   the CPU time of that process.
2. The result checked against the file's own figures, computed here with
   ``Decimal``: per shopper the number of orders, the money spent (the sum of
   ``order_total`` over the shopper's orders) and the first and last order
   time; and the number of orders and line items, and the sum of all order
   totals, with SQL over the tables.
   With ``--again``, the same file is then imported a second time into the same
   store, timed the same way: its summary must count every order as unchanged,
   and the check must still hold.
3. The floor: the same rows (customers with their aggregates, orders, order
   lines) read from the same file and bulk-inserted into the same tables of
   another fresh database with the driver's fastest plain path:
   ``executemany`` in one transaction on SQLite (WAL, ``synchronous=FULL`` as
   winback runs it), ``COPY`` on PostgreSQL.

The input is generated once by ``gen_orders_csv.py`` (fixed seed) and kept in
``bench/out/``. Results go to ``bench/out/import-*.json``; ``--profile`` also
records a py-spy profile of the import (``bench/out/profile-import-*.txt``).
"""

from __future__ import annotations

import argparse
import csv
import resource
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import psycopg
from gen_orders_csv import HEADER, rows
from report import machine, write_results
from servers import BENCH_DIR, VENV_BIN, Database, create_store, winback_env
from sqlalchemy import func, select, type_coerce
from stats import median

from winback.config import normalize_database_url
from winback.storage.engine import make_engine
from winback.storage.migrate import upgrade_to_head
from winback.storage.schema import Money, customers, order_lines, orders

TARGET_SECONDS = 120.0
COLUMN = {name: index for index, name in enumerate(HEADER)}


# -- the input and its own figures --------------------------------------------------------


def input_file(line_items: int, seed: int) -> Path:
    path = BENCH_DIR / "out" / f"orders-{line_items}-seed{seed}.csv"
    if not path.exists():
        print(f"generating {path} ...")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with partial.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(HEADER)
            writer.writerows(rows(line_items, 100_000, 5_000, seed))
        partial.rename(path)
    return path


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass
class Buyer:
    external_id: str | None
    email: str
    first_name: str
    last_name: str
    accepts_marketing: bool | None
    orders: int = 0
    spent: Decimal = Decimal(0)
    first: datetime | None = None
    last: datetime | None = None

    def add(self, created: datetime, total: Decimal) -> None:
        self.orders += 1
        self.spent += total
        self.first = created if self.first is None else min(self.first, created)
        self.last = created if self.last is None else max(self.last, created)


@dataclass
class FileFigures:
    """What the file says, order by order (its first row), per shopper and in total."""

    buyers: dict[str, Buyer] = field(default_factory=dict)
    orders: int = 0
    line_items: int = 0
    total: Decimal = Decimal(0)


def read_rows(path: Path) -> Iterator[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        yield from reader


def buyer_key(row: list[str]) -> str:
    return row[COLUMN["customer_id"]] or "email:" + row[COLUMN["customer_email"]].lower()


def file_figures(path: Path) -> FileFigures:
    figures = FileFigures()
    previous = None
    for row in read_rows(path):
        figures.line_items += 1
        if row[COLUMN["order_id"]] == previous:
            continue
        previous = row[COLUMN["order_id"]]
        figures.orders += 1
        total = Decimal(row[COLUMN["order_total"]])
        figures.total += total
        buyer = figures.buyers.get(buyer_key(row))
        if buyer is None:
            buyer = figures.buyers[buyer_key(row)] = _buyer(row)
        buyer.add(_time(row[COLUMN["order_created_at"]]), total)
    return figures


def _buyer(row: list[str]) -> Buyer:
    marketing = row[COLUMN["customer_accepts_marketing"]]
    return Buyer(
        external_id=row[COLUMN["customer_id"]] or None,
        email=row[COLUMN["customer_email"]].lower(),
        first_name=row[COLUMN["customer_first_name"]],
        last_name=row[COLUMN["customer_last_name"]],
        accepts_marketing=None if marketing == "" else marketing == "1",
    )


# -- checking winback's result ------------------------------------------------------------


def database_url(database: Database) -> str:
    if database.sqlite_file is not None:
        return f"sqlite:///{database.sqlite_file}"
    assert database.postgres_url is not None
    return normalize_database_url(database.postgres_url)


def check(database: Database, store_id: str, figures: FileFigures) -> dict[str, Any]:
    """Compare what winback stored with the file's own figures; count every difference."""
    engine = make_engine(database_url(database))
    try:
        with engine.connect() as conn:
            # Through the tables' own types, so money reads back exactly on both
            # databases (SQLite keeps it as integer ten-thousandths).
            mine = orders.c.store_id == store_id
            totals = conn.execute(
                select(
                    select(func.count()).select_from(orders).where(mine).scalar_subquery(),
                    select(func.count())
                    .select_from(order_lines)
                    .where(order_lines.c.store_id == store_id)
                    .scalar_subquery(),
                    select(type_coerce(func.sum(orders.c.total_price), Money))
                    .where(mine)
                    .scalar_subquery(),
                    select(func.count())
                    .select_from(customers)
                    .where(customers.c.store_id == store_id)
                    .scalar_subquery(),
                )
            ).one()
            stored = conn.execute(
                select(
                    customers.c.external_id,
                    customers.c.email,
                    customers.c.orders_count,
                    customers.c.total_spent,
                    customers.c.first_order_at,
                    customers.c.last_order_at,
                ).where(customers.c.store_id == store_id)
            ).all()
    finally:
        engine.dispose()
    mismatches = _mismatches(stored, figures)
    order_count, line_count, total, customer_count = totals
    return {
        "orders": order_count,
        "order_lines": line_count,
        "customers": customer_count,
        "sum_total_price": str(total),
        "expected_orders": figures.orders,
        "expected_order_lines": figures.line_items,
        "expected_customers": len(figures.buyers),
        "expected_sum_total_price": str(figures.total),
        "aggregate_mismatches": len(mismatches),
        "first_mismatches": mismatches[:5],
        "exact": (
            not mismatches
            and (order_count, line_count, customer_count)
            == (figures.orders, figures.line_items, len(figures.buyers))
            and _cents(total) == _cents(figures.total)
        ),
    }


def _cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _stored_time(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite through text(): the stored text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _mismatches(stored: Sequence[Sequence[Any]], figures: FileFigures) -> list[str]:
    found: list[str] = []
    seen: set[str] = set()
    for external_id, email, count, spent, first, last in stored:
        key = external_id or f"email:{email}"
        seen.add(key)
        buyer = figures.buyers.get(key)
        if buyer is None:
            found.append(f"{key}: not in the file")
            continue
        got = (count, Decimal(str(spent)).normalize(), _stored_time(first), _stored_time(last))
        want = (buyer.orders, buyer.spent.normalize(), buyer.first, buyer.last)
        if got != want:
            found.append(f"{key}: stored {got}, the file says {want}")
    found.extend(f"{key}: missing" for key in figures.buyers.keys() - seen)
    return found


# -- the run ------------------------------------------------------------------------------


def run_import(
    database: Database, path: Path, profile: bool, store_id: str | None = None
) -> dict[str, Any]:
    """``winback import orders`` into a new store (or ``store_id``), timed end to end."""
    if store_id is None:
        store_id = create_store(database)["store_id"]
    command = [
        str(VENV_BIN / "winback"),
        "import",
        "orders",
        str(path),
        "--store",
        store_id,
        "--json",
    ]
    if profile:
        out = BENCH_DIR / "out" / f"profile-import-{database.kind}-{time.strftime('%H%M%S')}.raw"
        spy = [str(VENV_BIN / "py-spy"), "record", "-r", "50", "-f", "raw", "-o", str(out)]
        command = [*spy, "--", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command, env=winback_env(database), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"winback import failed ({done.returncode}): {done.stderr[-2000:]}")
    return {
        "store_id": store_id,
        "seconds": seconds,
        "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "summary": orjson.loads(_without_profiler_lines(done.stdout)),
    }


def _without_profiler_lines(stdout: str) -> str:
    # py-spy, when it wraps the import, says what it does on the same stdout.
    return "\n".join(line for line in stdout.splitlines() if not line.startswith("py-spy> "))


def one_run(
    kind: str, path: Path, figures: FileFigures, profile: bool, again: bool
) -> dict[str, Any]:
    database = Database.create(kind)
    try:
        result = run_import(database, path, profile)
        result["check"] = check(database, result["store_id"], figures)
        if again:
            second = run_import(database, path, False, result["store_id"])
            second["check"] = check(database, result["store_id"], figures)
            result["again"] = second
    finally:
        database.drop()
    floor = Database.create(kind)
    try:
        result["floor"] = bulk_insert_floor(floor, path)
    finally:
        floor.drop()
    result["ratio"] = result["seconds"] / result["floor"]["seconds"]
    return result


# -- the floor ----------------------------------------------------------------------------


def floor_rows(path: Path, store_id: str) -> tuple[list[tuple[Any, ...]], ...]:
    """Customers (with their aggregates), orders and order lines as plain tuples."""
    buyers: dict[str, tuple[str, Buyer]] = {}
    orders: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    order_uid, previous, position = "", None, 0
    for row in read_rows(path):
        if row[COLUMN["order_id"]] != previous:
            previous, position = row[COLUMN["order_id"]], 0
            key = buyer_key(row)
            if key not in buyers:
                buyers[key] = (uuid.uuid4().hex, _buyer(row))
            customer_uid, buyer = buyers[key]
            created = _time(row[COLUMN["order_created_at"]])
            total = Decimal(row[COLUMN["order_total"]])
            buyer.add(created, total)
            order_uid = uuid.uuid4().hex
            orders.append(_order_tuple(row, order_uid, store_id, customer_uid, created))
        lines.append(
            (
                order_uid,
                position,
                store_id,
                row[COLUMN["product_id"]],
                None,
                row[COLUMN["sku"]],
                row[COLUMN["product_name"]],
                row[COLUMN["quantity"]],
                row[COLUMN["price"]],
            )
        )
        position += 1
    customers = [_customer_tuple(uid, store_id, buyer) for uid, buyer in buyers.values()]
    return customers, orders, lines


def _order_tuple(
    row: list[str], uid: str, store_id: str, customer_uid: str, created: datetime
) -> tuple[Any, ...]:
    modified = row[COLUMN["order_modified_at"]]
    updated = _time(modified) if modified else None
    return (
        uid,
        store_id,
        row[COLUMN["order_id"]],
        customer_uid,
        row[COLUMN["customer_email"]].lower(),
        row[COLUMN["order_status"]],
        row[COLUMN["order_financial_status"]],
        row[COLUMN["order_currency"]] or "USD",
        row[COLUMN["order_subtotal"]],
        row[COLUMN["order_discount"]],
        row[COLUMN["order_tax"]],
        row[COLUMN["order_shipping"]],
        row[COLUMN["order_total"]],
        False,
        "[]",
        "[]",
        "{}",
        created,
        updated,
        updated or created,
    )


def _customer_tuple(uid: str, store_id: str, buyer: Buyer) -> tuple[Any, ...]:
    return (
        uid,
        store_id,
        buyer.external_id,
        buyer.email,
        buyer.first_name,
        buyer.last_name,
        buyer.accepts_marketing,
        "[]",
        "{}",
        buyer.first,
        buyer.orders,
        str(buyer.spent),
        str((buyer.spent / buyer.orders).quantize(Decimal("0.0001"))),
        buyer.first,
        buyer.last,
    )


CUSTOMER_COLUMNS = (
    "uid, store_id, external_id, email, first_name, last_name, accepts_marketing, tags, data,"
    " version_at, orders_count, total_spent, average_order_value, first_order_at, last_order_at"
)
ORDER_COLUMNS = (
    "uid, store_id, external_id, customer_uid, email, status, financial_status, currency,"
    " subtotal_price, total_discounts, total_tax, total_shipping, total_price, test,"
    " discount_codes, line_items, data, created_at, updated_at, version_at"
)
LINE_COLUMNS = "order_uid, position, store_id, product_id, variant_id, sku, name, quantity, price"


def bulk_insert_floor(database: Database, path: Path) -> dict[str, Any]:
    engine = make_engine(database_url(database))
    upgrade_to_head(engine)
    engine.dispose()
    started = time.perf_counter()
    customers, orders, lines = floor_rows(path, "floor-store")
    built = time.perf_counter()
    if database.sqlite_file is not None:
        _sqlite_insert(database.sqlite_file, customers, orders, lines)
    else:
        assert database.postgres_url is not None
        _postgres_copy(database.postgres_url, customers, orders, lines)
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "read_seconds": built - started,
        "insert_seconds": done - built,
        "rows": {"customers": len(customers), "orders": len(orders), "order_lines": len(lines)},
    }


def _sqlite_time(value: datetime | None) -> str | None:
    # How SQLAlchemy stores a DateTime on SQLite: naive UTC text.
    return None if value is None else value.replace(tzinfo=None).isoformat(" ")


def _sqlite_customer(values: tuple[Any, ...]) -> tuple[Any, ...]:
    times = tuple(map(_sqlite_time, values[13:]))
    return (*values[:9], _sqlite_time(values[9]), *values[10:13], *times)


def _sqlite_insert(file: Path, customers: list[Any], orders: list[Any], lines: list[Any]) -> None:
    conn = sqlite3.connect(file, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        f"INSERT INTO customers ({CUSTOMER_COLUMNS}) VALUES ({', '.join('?' * 15)})",
        (_sqlite_customer(customer) for customer in customers),
    )
    conn.executemany(
        f"INSERT INTO orders ({ORDER_COLUMNS}) VALUES ({', '.join('?' * 20)})",
        (o[:17] + tuple(map(_sqlite_time, o[17:])) for o in orders),
    )
    line_sql = f"INSERT INTO order_lines ({LINE_COLUMNS}) VALUES ({', '.join('?' * 9)})"
    conn.executemany(line_sql, lines)
    conn.execute("COMMIT")
    conn.close()


def _postgres_copy(url: str, customers: list[Any], orders: list[Any], lines: list[Any]) -> None:
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        for table, columns, values in (
            ("customers", CUSTOMER_COLUMNS, customers),
            ("orders", ORDER_COLUMNS, orders),
            ("order_lines", LINE_COLUMNS, lines),
        ):
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)


# -- report -------------------------------------------------------------------------------


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    items = runs[0]["check"]["expected_order_lines"]
    orders = runs[0]["check"]["expected_orders"]
    seconds = median([run["seconds"] for run in runs])
    assert seconds is not None
    return {
        "runs": len(runs),
        "seconds": seconds,
        "cpu_seconds": median([run["cpu_seconds"] for run in runs]),
        "line_items_per_second": items / seconds,
        "orders_per_second": orders / seconds,
        "floor_seconds": median([run["floor"]["seconds"] for run in runs]),
        "floor_insert_seconds": median([run["floor"]["insert_seconds"] for run in runs]),
        "ratio": median([run["ratio"] for run in runs]),
        "exact": all(run["check"]["exact"] for run in runs),
        "aggregate_mismatches": max(run["check"]["aggregate_mismatches"] for run in runs),
        # The target is for the full file: a smaller one says nothing about it.
        "target_met": (
            seconds <= TARGET_SECONDS and all(run["check"]["exact"] for run in runs)
            if items >= 1_000_000
            else "n/a"
        ),
    }


def print_table(summaries: dict[str, dict[str, Any]]) -> None:
    kinds = list(summaries)
    rows_out = [
        ("winback import, seconds (median)", "seconds", "{:.1f}"),
        ("winback import, CPU seconds of the process", "cpu_seconds", "{:.1f}"),
        ("line items per second", "line_items_per_second", "{:,.0f}"),
        ("orders per second", "orders_per_second", "{:,.0f}"),
        ("floor (read + bulk insert), seconds", "floor_seconds", "{:.1f}"),
        ("floor: of which the bulk insert", "floor_insert_seconds", "{:.1f}"),
        ("winback / floor", "ratio", "{:.1f}x"),
        ("aggregates exact", "exact", "{}"),
        (f"target: <= {TARGET_SECONDS:.0f} s and exact", "target_met", "{}"),
    ]
    print("| metric | " + " | ".join(kinds) + " |")
    print("|---|" + "---:|" * len(kinds))
    for label, key, fmt in rows_out:
        cells = [fmt.format(summaries[kind][key]) for kind in kinds]
        print(f"| {label} | " + " | ".join(cells) + " |")


def print_again(again: dict[str, Any]) -> None:
    summary = again["summary"]
    print(
        f"  the same file again: {again['seconds']:.1f} s (CPU {again['cpu_seconds']:.1f} s),"
        f" imported {summary['imported']}, unchanged {summary['unchanged']},"
        f" skipped {summary['skipped']}, still exact={again['check']['exact']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--line-items", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--again", action="store_true", help="then import the same file again")
    options = parser.parse_args()
    started = machine()
    path = input_file(options.line_items, options.seed)
    figures = file_figures(path)
    print(
        f"{path.name}: {figures.line_items} line items, {figures.orders} orders, "
        f"{len(figures.buyers)} customers"
    )
    kinds = ["sqlite", "postgresql"] if options.db == "both" else [options.db]
    results: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for number in range(options.runs):
        for kind in kinds:
            run = one_run(kind, path, figures, options.profile and number == 0, options.again)
            results[kind].append(run)
            check_result = run["check"]
            print(
                f"run {number + 1} {kind}: {run['seconds']:.1f} s (CPU {run['cpu_seconds']:.1f} s),"
                f" floor {run['floor']['seconds']:.1f} s, exact={check_result['exact']}"
                f" ({check_result['aggregate_mismatches']} aggregate mismatches)"
            )
            if "again" in run:
                print_again(run["again"])
    summaries = {kind: summarize(runs) for kind, runs in results.items()}
    print_table(summaries)
    write_results("import", vars(options), started, {"summaries": summaries, "runs": results})


if __name__ == "__main__":
    main()
