"""import_orders and import_contacts on both databases, with batches small enough that a
shopper's orders fall in several of them."""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, text

from tests.imports.conftest import snapshot
from winback.apply.direct import apply_direct
from winback.apply.item import ApplyItem
from winback.imports.service import import_contacts, import_orders
from winback.imports.table import MAX_FIELD_CHARS
from winback.intake.topics import Topic
from winback.shoppers.payloads import CustomerDeletePayload
from winback.storage.schema import customers, orders
from winback.stores.service import create_store

HEADER = "order_id,order_created_at,order_status,order_total,customer_id,customer_email,price\n"
START = datetime(2024, 1, 1, tzinfo=UTC)


def new_store(engine: Engine) -> str:
    return create_store(engine, name="Service import " + secrets.token_hex(3))[0].id


def history(seed: int, orders: int) -> tuple[bytes, dict[str, tuple[int, Decimal, str, str]]]:
    """An orders file and, per customer id, the aggregates it must give (computed here)."""
    rng = random.Random(seed)
    rows, figures = [HEADER], defaultdict(list)
    for number in range(orders):
        customer = f"C{rng.randrange(12)}"
        created = START + timedelta(minutes=rng.randrange(500_000))
        total = Decimal(rng.randrange(1, 100_000)) / 100
        figures[customer].append((created, total))
        when = created.isoformat().replace("+00:00", "Z")
        rows.append(f"O{number},{when},complete,{total},{customer},{customer}@example.com,1\n")
    expected = {
        customer: (
            len(placed),
            sum((total for _, total in placed), Decimal(0)),
            min(placed)[0].isoformat(),
            max(placed)[0].isoformat(),
        )
        for customer, placed in figures.items()
    }
    return "".join(rows).encode(), expected


def stored_aggregates(engine: Engine, store_id: str) -> dict[str, tuple[int, Decimal, str, str]]:
    columns = (
        customers.c.external_id,
        customers.c.orders_count,
        customers.c.total_spent,
        customers.c.first_order_at,
        customers.c.last_order_at,
    )
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).where(customers.c.store_id == store_id))
        return {
            row.external_id: (
                row.orders_count,
                row.total_spent,
                row.first_order_at.isoformat(),
                row.last_order_at.isoformat(),
            )
            for row in rows
        }


def test_aggregates_are_exact_when_a_shoppers_orders_span_many_batches(engine: Engine) -> None:
    store_id = new_store(engine)
    body, expected = history(seed=3, orders=400)

    summary = import_orders(engine, store_id, body, batch_size=7)

    assert (summary.imported, summary.skipped, summary.errors) == (400, 0, [])
    assert stored_aggregates(engine, store_id) == expected


def test_a_second_import_of_the_same_history_changes_no_row(engine: Engine) -> None:
    store_id = new_store(engine)
    body, _ = history(seed=4, orders=120)
    import_orders(engine, store_id, body, batch_size=25)
    before = snapshot(engine, store_id)

    import_orders(engine, store_id, body, batch_size=11)

    assert snapshot(engine, store_id) == before


def test_progress_is_heard_and_the_last_report_is_the_summary(engine: Engine) -> None:
    store_id = new_store(engine)
    body, _ = history(seed=5, orders=2500)
    heard: list[tuple[int, int]] = []

    summary = import_orders(
        engine,
        store_id,
        body,
        batch_size=1000,
        progress=lambda seen: heard.append((seen.rows_read, seen.imported)),
    )

    assert heard[-1] == (2500, 2500) == (summary.rows_read, summary.imported)
    assert [rows for rows, _ in heard] == sorted(rows for rows, _ in heard)
    assert any(imported == 1000 for _, imported in heard)  # after the first batch


def test_a_contacts_file_is_applied_as_of_its_first_import(engine: Engine) -> None:
    store_id = new_store(engine)
    first = b"id,email,first_name\nC1,ann@example.com,Ann\n"
    changed = b"id,email,first_name\nC1,ann@example.com,Anna\n"

    import_contacts(engine, store_id, first)
    import_contacts(engine, store_id, changed)
    import_contacts(engine, store_id, first)

    # The first file again is the same snapshot as before: it does not undo the newer one.
    with engine.connect() as conn:
        name = conn.execute(
            select(customers.c.first_name).where(customers.c.store_id == store_id)
        ).scalar_one()
    assert name == "Anna"


def test_a_dry_run_of_contacts_leaves_no_trace(engine: Engine) -> None:
    store_id = new_store(engine)

    summary = import_contacts(engine, store_id, b"email\na@example.com\n", dry_run=True)

    assert summary.imported == 1
    assert snapshot(engine, store_id) == snapshot(engine, "no such store")


@pytest.fixture
def refuse_status(engine: Engine) -> Iterator[str]:
    """A trigger that makes the database itself refuse orders with this status, as a
    constraint or a full disk would: the import cannot foresee such a refusal.

    (Named anew each time: on SQLite, creating it again on a pooled connection can
    still find the one dropped after the previous test.)"""
    status = "refuse-me"
    trigger = f"refuse_order_{secrets.token_hex(4)}"
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    f"CREATE FUNCTION {trigger}() RETURNS trigger AS $$ BEGIN"
                    " IF NEW.status = 'refuse-me' THEN"
                    " RAISE EXCEPTION 'refused by the test trigger'; END IF;"
                    " RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    f"CREATE TRIGGER {trigger} BEFORE INSERT ON orders"
                    f" FOR EACH ROW EXECUTE FUNCTION {trigger}()"
                )
            )
        else:
            conn.execute(
                text(
                    f"CREATE TRIGGER {trigger} BEFORE INSERT ON orders"
                    " WHEN NEW.status = 'refuse-me'"
                    " BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"
                )
            )
    yield status
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"DROP TRIGGER {trigger} ON orders"))
            conn.execute(text(f"DROP FUNCTION {trigger}()"))
        else:
            conn.execute(text(f"DROP TRIGGER {trigger}"))


def _with_a_refused_order(refuse_status: str) -> bytes:
    """Three orders of C1, the second with the status the database refuses."""
    return (
        HEADER
        + "R1,2024-01-01T00:00:00Z,complete,1.00,C1,c1@example.com,1\n"
        + f"R2,2024-01-02T00:00:00Z,{refuse_status},2.00,C1,c1@example.com,1\n"
        + "R3,2024-01-03T00:00:00Z,complete,3.00,C1,c1@example.com,1\n"
    ).encode()


def test_an_order_the_database_refuses_is_reported_and_its_batch_still_goes_in(
    engine: Engine, refuse_status: str
) -> None:
    store_id = new_store(engine)

    summary = import_orders(engine, store_id, _with_a_refused_order(refuse_status))

    assert (summary.imported, summary.skipped) == (2, 1)
    [error] = summary.errors
    assert (error.line, error.column) == (3, None)
    assert error.reason.startswith("the database refused it:")
    assert "refused by the test trigger" in error.reason
    assert stored_aggregates(engine, store_id)["C1"][:2] == (2, Decimal("4.00"))


def test_a_dry_run_reports_what_the_database_would_refuse_and_writes_nothing(
    engine: Engine, refuse_status: str
) -> None:
    # given a file with one order the database itself refuses
    store_id = new_store(engine)

    # when it is imported as a dry run
    body = _with_a_refused_order(refuse_status)
    summary = import_orders(engine, store_id, body, dry_run=True)

    # then the refusal is reported as a real run reports it, and nothing is stored
    assert (summary.imported, summary.skipped) == (2, 1)
    assert summary.errors[0].line == 3
    assert "refused by the test trigger" in summary.errors[0].reason
    assert snapshot(engine, store_id) == snapshot(engine, "no such store")


def test_a_dry_run_of_a_file_already_imported_counts_its_orders_unchanged(engine: Engine) -> None:
    # given an orders file imported, then one of its orders changed in the file
    store_id = new_store(engine)
    body, _ = history(seed=5, orders=40)
    import_orders(engine, store_id, body, batch_size=7)
    stored = snapshot(engine, store_id)
    changed = body.replace(b",complete,", b",cancelled,", 1)
    assert changed != body

    # when both are imported again as dry runs
    again = import_orders(engine, store_id, body, batch_size=7, dry_run=True)
    with_change = import_orders(engine, store_id, changed, batch_size=7, dry_run=True)

    # then they say what real runs would (nothing new; one order updated), and
    # what is stored stays as it was
    assert (again.imported, again.unchanged) == (0, 40)
    assert (with_change.imported, with_change.unchanged) == (1, 39)
    assert snapshot(engine, store_id) == stored


POS_ORDERS = "order_id,order_created_at,order_status,customer_pos_id,order_total\n"


# (id, email, pos_id, phone, first name, orders count)
Person = tuple[str | None, str | None, str | None, str | None, str | None, int]


def stored_people(engine: Engine, store_id: str) -> list[Person]:
    """Every customer of the store as (id, email, pos_id, phone, first name, orders count)."""
    columns = (
        customers.c.external_id,
        customers.c.email,
        customers.c.pos_id,
        customers.c.sms_phone_number,
        customers.c.first_name,
        customers.c.orders_count,
    )
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).where(customers.c.store_id == store_id))
        return sorted((tuple(row) for row in rows), key=repr)


def buyers(engine: Engine, store_id: str) -> dict[str, str | None]:
    """Each order's id and the pos_id of its buyer."""
    query = (
        select(orders.c.external_id, customers.c.pos_id)
        .select_from(orders.outerjoin(customers, customers.c.uid == orders.c.customer_uid))
        .where(orders.c.store_id == store_id)
    )
    with engine.connect() as conn:
        return {row.external_id: row.pos_id for row in conn.execute(query)}


def test_an_order_whose_buyer_is_named_only_by_pos_id_goes_to_the_contact_with_it(
    engine: Engine,
) -> None:
    # Given a contact known by its point-of-sale id and email
    store_id = new_store(engine)
    import_contacts(engine, store_id, b"pos_id,email,first_name\nPOS55,pos55@example.com,Pos\n")

    # When an order names its buyer only by that pos_id
    import_orders(
        engine,
        store_id,
        (POS_ORDERS + "5020,2025-06-01T10:00:00Z,completed,POS55,42.00\n").encode(),
    )

    # Then the order is the contact's, and no second customer was made
    assert buyers(engine, store_id) == {"5020": "POS55"}
    assert stored_people(engine, store_id) == [(None, "pos55@example.com", "POS55", None, "Pos", 1)]


def test_a_buyer_named_only_by_an_unknown_pos_id_is_created_with_it_and_found_again(
    engine: Engine,
) -> None:
    store_id = new_store(engine)
    body = (
        POS_ORDERS
        + "1,2025-06-01T10:00:00Z,completed,P9,1.00\n2,2025-06-02T10:00:00Z,completed,P9,2.00\n"
    )

    import_orders(engine, store_id, body.encode(), batch_size=1)
    import_contacts(engine, store_id, b"pos_id,first_name\nP9,Nine\n")

    # One customer, made by the first order, found by the second and by the contact
    assert stored_people(engine, store_id) == [(None, None, "P9", None, "Nine", 2)]


@pytest.mark.parametrize(
    ("column", "cell", "stored"),
    [
        ("pos_id", "P1", ("P1", None)),
        ("sms_phone_number", "+49 151 2345678", (None, "+491512345678")),
    ],
)
def test_a_contact_known_only_by_pos_id_or_phone_is_imported_and_found_again(
    engine: Engine, column: str, cell: str, stored: tuple[str | None, str | None]
) -> None:
    store_id = new_store(engine)

    first = import_contacts(engine, store_id, f"{column},first_name\n{cell},Ann\n".encode())
    import_contacts(engine, store_id, f"{column},last_name\n{cell},Lee\n".encode())

    assert (first.imported, first.errors) == (1, [])
    assert stored_people(engine, store_id) == [(None, None, *stored, "Ann", 0)]
    with engine.connect() as conn:
        last_name = conn.execute(
            select(customers.c.last_name).where(customers.c.store_id == store_id)
        ).scalar_one()
    assert last_name == "Lee"


def test_an_id_or_an_email_is_looked_up_and_a_pos_id_is_not(engine: Engine) -> None:
    # Given a customer with the store's id C1 and the pos_id P1
    store_id = new_store(engine)
    import_contacts(engine, store_id, b"id,pos_id,first_name\nC1,P1,Ann\n")

    # When orders name other buyers, by id and by email, that carry the same pos_id
    body = (
        "order_id,order_created_at,order_status,customer_id,customer_email,customer_pos_id\n"
        "1,2025-06-01T10:00:00Z,completed,C2,,P1\n"
        "2,2025-06-01T10:00:00Z,completed,,b@example.com,P1\n"
    )
    import_orders(engine, store_id, body.encode())

    # Then each is its own customer: the pos_id is only asked when nothing else names one
    assert [(row[0], row[1], row[5]) for row in stored_people(engine, store_id)] == [
        ("C1", None, 0),
        ("C2", None, 1),
        (None, "b@example.com", 1),
    ]


def test_an_erasure_takes_the_pos_id_so_it_names_no_one_afterwards(engine: Engine) -> None:
    # Given a customer known by id, email and pos_id, who is then erased
    store_id = new_store(engine)
    import_contacts(engine, store_id, b"id,email,pos_id\nC1,c1@example.com,P1\n")
    erase = ApplyItem(
        store_id=store_id,
        topic=Topic.CUSTOMER_DELETE,
        event_type=Topic.CUSTOMER_DELETE.value,
        payload=CustomerDeletePayload(id="C1"),
        body={},
        event_time=datetime.now(UTC) + timedelta(seconds=1),
        source="test",
    )
    apply_direct(engine, [erase])
    assert stored_people(engine, store_id) == []

    # When an order then names its buyer by that pos_id only
    import_orders(
        engine, store_id, (POS_ORDERS + "1,2025-06-01T10:00:00Z,completed,P1,1.00\n").encode()
    )

    # Then it is a new person, not the erased one come back
    assert stored_people(engine, store_id) == [(None, None, "P1", None, None, 1)]


@pytest.mark.parametrize(("first", "second"), [("First", "Second"), ("Second", "First")])
def test_a_later_row_of_the_same_contact_wins_and_a_second_import_changes_nothing(
    engine: Engine, first: str, second: str
) -> None:
    # Given a contacts file that names K7 twice, the later row with another last name
    store_id = new_store(engine)
    body = f"id,last_name,first_name\nK7,{first},Kay\nK7,{second},\n".encode()

    # When it is imported, then imported again
    summary = import_contacts(engine, store_id, body, batch_size=1)
    before = snapshot(engine, store_id)
    again = import_contacts(engine, store_id, body)

    # Then the later row's value is kept, what only the first row said too, and nothing moved
    with engine.connect() as conn:
        names = conn.execute(
            select(customers.c.first_name, customers.c.last_name).where(
                customers.c.store_id == store_id
            )
        ).all()
    assert [tuple(row) for row in names] == [("Kay", second)]
    assert (summary.imported, summary.errors) == (2, [])
    assert (again.imported, again.unchanged) == (0, 2)
    assert snapshot(engine, store_id) == before


LINES = "order_id,order_created_at,order_status,customer_id,product_id,price,order_total\n"


def stored_lines(engine: Engine, store_id: str) -> dict[str, tuple[Decimal, list[str]]]:
    """Each order's total and the products of its lines, in order."""
    with engine.connect() as conn:
        found = {
            row.external_id: (row.total_price, [line["product_id"] for line in row.line_items])
            for row in conn.execute(
                select(orders.c.external_id, orders.c.total_price, orders.c.line_items).where(
                    orders.c.store_id == store_id
                )
            )
        }
    return found


def test_an_order_split_in_the_file_goes_in_whole_once_the_file_is_corrected(
    engine: Engine,
) -> None:
    # Given an orders file where a row of order 4001 comes after order 4002
    store_id = new_store(engine)
    split = (
        LINES
        + "4001,2025-06-01T10:00:00Z,completed,C1,P1,10.00,30.00\n"
        + "4002,2025-06-02T10:00:00Z,completed,C1,P1,10.00,10.00\n"
        + "4001,2025-06-01T10:00:00Z,completed,C1,P2,20.00,30.00\n"
    )

    # When it is imported
    summary = import_orders(engine, store_id, split.encode())

    # Then 4001 went in with its first line, and the report says so and what to do
    assert stored_lines(engine, store_id)["4001"] == (Decimal("30.00"), ["P1"])
    [error] = summary.errors
    assert (error.line, error.column) == (4, "order_id")
    assert error.reason.startswith("order 4001 is imported with its rows before line 4 only")
    assert error.reason.endswith("put all its rows together and import the file again")

    # When the corrected file is imported
    corrected = (
        LINES
        + "4001,2025-06-01T10:00:00Z,completed,C1,P1,10.00,30.00\n"
        + "4001,2025-06-01T10:00:00Z,completed,C1,P2,20.00,30.00\n"
        + "4002,2025-06-02T10:00:00Z,completed,C1,P1,10.00,10.00\n"
    )
    again = import_orders(engine, store_id, corrected.encode())

    # Then the order is replaced with all its lines, and its buyer counts it once
    # (the order that had gone in whole is found as it was)
    assert (again.imported, again.unchanged, again.errors) == (1, 1, [])
    assert stored_lines(engine, store_id) == {
        "4001": (Decimal("30.00"), ["P1", "P2"]),
        "4002": (Decimal("10.00"), ["P1"]),
    }
    assert stored_aggregates(engine, store_id)["C1"][:2] == (2, Decimal("40.00"))


def test_a_value_over_the_limit_skips_its_order_and_the_file_goes_on(engine: Engine) -> None:
    # Given an order whose second line's product id is longer than a cell may be
    store_id = new_store(engine)
    too_long = "x" * (MAX_FIELD_CHARS + 1)
    body = (
        LINES
        + "1,2025-06-01T10:00:00Z,completed,C1,P1,1.00,1.00\n"
        + "2,2025-06-02T10:00:00Z,completed,C1,P1,1.00,3.00\n"
        + f'2,2025-06-02T10:00:00Z,completed,C1,"{too_long}\nP2",2.00,3.00\n'
        + "3,2025-06-03T10:00:00Z,completed,C1,P1,1.00,1.00\n"
    )

    # When the file is imported
    summary = import_orders(engine, store_id, body.encode(), batch_size=1)

    # Then order 2 is skipped whole, the others go in, and the file was read to its end
    assert summary.stopped is None
    assert sorted(stored_lines(engine, store_id)) == ["1", "3"]
    assert [(e.line, e.column) for e in summary.errors] == [(3, "order_id"), (4, "product_id")]
    assert summary.errors[1].reason == f"the value is longer than {MAX_FIELD_CHARS} characters"
    assert (summary.imported, summary.skipped) == (2, 2)


def test_the_skipped_count_never_falls_while_the_import_goes(engine: Engine) -> None:
    # Given a history whose every 40th order has a price that is not a number
    store_id = new_store(engine)
    body, _ = history(seed=9, orders=2500)
    lines = body.decode().splitlines(keepends=True)
    for at in range(1, len(lines), 40):
        lines[at] = lines[at].replace(",complete,", ",complete,oops", 1)
    heard: list[int] = []

    # When it is imported in small batches
    summary = import_orders(
        engine,
        store_id,
        "".join(lines).encode(),
        batch_size=50,
        progress=lambda seen: heard.append(seen.skipped),
    )

    # Then the count shown only grows, to the exact figure at the end
    assert summary.skipped == 63
    assert heard == sorted(heard) and heard[-1] == 63
