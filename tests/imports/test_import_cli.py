"""``winback import orders|contacts``, run as a person runs it: a process on a fresh data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

WINBACK = str(Path(sys.executable).parent / "winback")
HEADER = (
    "order_id,order_created_at,order_status,order_total,customer_id,customer_email,product_id,"
    "price\n"
)
ORDERS = (
    HEADER
    + "A1,2024-01-01T10:00:00Z,complete,10.10,C1,ann@example.com,P1,10.10\n"
    + "A2,2024-02-01T10:00:00Z,complete,0.20,C1,ann@example.com,P1,oops\n"
    + "A3,2024-03-01T10:00:00Z,complete,0.20,C1,ann@example.com,P2,0.20\n"
)


class Shell:
    """Runs winback commands against one data directory (SQLite)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WINBACK_")}
        self.env |= {"WINBACK_DATA_DIR": str(data_dir), "WINBACK_LOG_LEVEL": "warning"}
        self.store_id = json.loads(self.run("store", "create", "--name", "CLI shop").stdout)[
            "store_id"
        ]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [WINBACK, *args], env=self.env, capture_output=True, text=True, timeout=120
        )

    def file(self, name: str, content: str | bytes) -> str:
        path = self.data_dir / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return str(path)

    def query(self, sql: str) -> list[Any]:
        engine = create_engine(f"sqlite:///{self.data_dir / 'winback.db'}")
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(text(sql))]
        finally:
            engine.dispose()


@pytest.fixture
def shell(tmp_path: Path) -> Shell:
    return Shell(tmp_path)


def test_an_orders_file_is_imported_with_a_summary_that_names_the_bad_line(shell: Shell) -> None:
    path = shell.file("orders.csv", ORDERS)

    done = shell.run("import", "orders", path, "--store", shell.store_id)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "rows read: 3",
        "orders imported: 2",
        "orders already stored as the file has them (unchanged): 0",
        "rows skipped: 1",
        "  line 3 [price]: 'oops' is not a number",
        "  line 3 [order_id]: order A2 is skipped because line(s) 3 have errors",
    ]
    assert "importing" in done.stderr  # the progress bar
    assert shell.query("SELECT external_id FROM orders ORDER BY 1") == [("A1",), ("A3",)]
    # 10.30, kept on SQLite as ten-thousandths (storage/schema.py Money)
    assert shell.query("SELECT orders_count, total_spent FROM customers") == [(2, 103000)]
    assert shell.query("SELECT external_id, status FROM products ORDER BY 1") == [
        ("P1", "disabled"),
        ("P2", "disabled"),
    ]


def test_the_summary_can_be_json(shell: Shell) -> None:
    path = shell.file("orders.csv", ORDERS)

    done = shell.run("import", "orders", path, "--store", shell.store_id, "--json")

    summary = json.loads(done.stdout)
    assert (summary["rows_read"], summary["imported"], summary["skipped"]) == (3, 2, 1)
    assert summary["errors"][0] == {
        "line": 3,
        "column": "price",
        "reason": "'oops' is not a number",
    }


def test_a_missing_column_refuses_the_file_with_exit_code_2_and_writes_nothing(
    shell: Shell,
) -> None:
    body = "order_id,order_created_at,customer_id\nA1,2024-01-01T00:00:00Z,C1\n"
    path = shell.file("orders.csv", body)

    done = shell.run("import", "orders", path, "--store", shell.store_id)

    assert done.returncode == 2
    assert "error: the mandatory column 'order_status' is missing" in done.stderr
    assert shell.query("SELECT count(*) FROM orders") == [(0,)]


def test_a_dry_run_writes_nothing(shell: Shell) -> None:
    path = shell.file("orders.csv", ORDERS)

    done = shell.run("import", "orders", path, "--store", shell.store_id, "--dry-run")

    assert done.returncode == 0
    assert "orders would be imported (dry run: nothing was written): 2" in done.stdout
    assert shell.query("SELECT count(*) FROM orders") == [(0,)]
    assert shell.query("SELECT count(*) FROM customers") == [(0,)]


def test_importing_twice_changes_nothing(shell: Shell) -> None:
    path = shell.file("orders.csv", ORDERS)
    tables = ("customers", "orders", "order_lines", "products")
    shell.run("import", "orders", path, "--store", shell.store_id)
    before = [shell.query(f"SELECT * FROM {table} ORDER BY 1, 2") for table in tables]

    again = shell.run("import", "orders", path, "--store", shell.store_id)

    assert again.returncode == 0
    assert "orders imported: 0\n" in again.stdout
    assert "orders already stored as the file has them (unchanged): 2\n" in again.stdout
    assert [shell.query(f"SELECT * FROM {table} ORDER BY 1, 2") for table in tables] == before


def test_a_file_that_is_not_utf8_is_refused_unless_its_encoding_is_named(shell: Shell) -> None:
    path = shell.file("contacts.csv", "email,first_name\nzoe@example.com,Zoë\n".encode("latin-1"))

    refused = shell.run("import", "contacts", path, "--store", shell.store_id)
    named = shell.run(
        "import", "contacts", path, "--store", shell.store_id, "--encoding", "latin-1"
    )

    assert refused.returncode == 2
    assert "the file is not valid UTF-8 text" in refused.stderr
    assert named.returncode == 0, named.stderr
    assert shell.query("SELECT email, first_name FROM customers") == [("zoe@example.com", "Zoë")]


def test_a_mapping_file_names_other_headers(shell: Shell) -> None:
    path = shell.file("contacts.csv", "E-Mail,Vorname\nzoe@example.com,Zoe\n")
    mapping = shell.file("mapping.json", '{"E-Mail": "email", "Vorname": "first_name"}')

    done = shell.run("import", "contacts", path, "--store", shell.store_id, "--mapping", mapping)

    assert done.returncode == 0, done.stderr
    assert "contacts imported: 1" in done.stdout
    assert shell.query("SELECT email, first_name FROM customers") == [("zoe@example.com", "Zoe")]


def test_an_unknown_store_is_an_error(shell: Shell) -> None:
    done = shell.run("import", "orders", shell.file("orders.csv", ORDERS), "--store", "nope")

    assert done.returncode == 2
    assert "error: no store with id 'nope'" in done.stderr
