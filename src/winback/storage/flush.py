"""Write a workspace's changes with bulk statements, then bring aggregates up to date."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    delete,
    insert,
    update,
)

from winback.carts.model import CART_ERASED, CONVERTED, OPEN, Cart
from winback.catalog.model import Product
from winback.orders.model import Order
from winback.shoppers.model import Customer
from winback.storage.aggregates import aggregate_figures, figure_columns, write_figures
from winback.storage.bulk import delete_by_keys, execute_many
from winback.storage.coupons import mark_used
from winback.storage.optins import write_opt_ins
from winback.storage.redaction import rewrite_bodies
from winback.storage.rows import entity_columns, to_row
from winback.storage.schema import (
    activities,
    carts,
    customers,
    former_emails,
    markers,
    order_lines,
    orders,
    products,
    suppressions,
    visitors,
)
from winback.storage.visitors import claim_for_visitors, unlink_erased, write_visitors
from winback.storage.workspace import Workspace

_TABLES: list[tuple[Table, type[Any]]] = [
    (customers, Customer),
    (orders, Order),
    (products, Product),
    (carts, Cart),
]


def flush(ws: Workspace) -> None:
    """Write everything the batch changed, inside the caller's transaction."""
    conn = ws.conn
    entities: dict[type[Any], list[Any]] = {
        Customer: list(ws.customers.values()),
        Order: [o for o in ws.orders.values() if o is not None],
        Product: [p for p in ws.products.values() if p is not None],
        Cart: [c for c in ws.carts.values() if c is not None],
    }
    _delete_removed(conn, ws.removed)
    for table, cls in _TABLES:
        if cls is Customer:
            continue  # last, with their order figures (see _write_customers)
        new = [e for e in entities[cls] if ws.is_new(e)]
        changed = [e for e in entities[cls] if ws.is_dirty(e)]
        _insert(conn, table, cls, new)
        for columns, members in _by_changed_columns(ws, changed).items():
            _update(conn, table, cls, members, columns)
        if cls is Order:
            _write_lines(conn, new, changed)
    _write_former_emails(conn, ws)
    erased_first = _merge_in_turn(conn, ws)
    _write_suppressions(conn, ws)
    _write_markers(conn, ws)
    write_opt_ins(conn, ws.changed_opt_ins())
    if ws.activities:
        execute_many(conn, insert(activities), ws.activities)
    seen = [v for v in ws.visitors.values() if v is not None]
    write_visitors(conn, [v for v in seen if ws.is_new(v)], [v for v in seen if ws.is_dirty(v)])
    # After the batch's carts and activities are written, so it claims those too.
    claim_for_visitors(conn, ws.visitor_claims)
    _convert_carts(conn, ws)
    mark_used(conn, ws.coupons_used)
    _erase(conn, ws.erasures[erased_first:])
    rewrite_bodies(conn, ws.redacted_bodies)
    _erase_former_emails(conn, ws)
    _erase_addresses_on_orders(conn, ws)
    _write_customers(conn, ws, entities[Customer])


def _write_customers(conn: Connection, ws: Workspace, held: list[Customer]) -> None:
    """The batch's customers, after everything that moves orders between them: the
    order figures of those written anyway go in the same row write, the others' alone."""
    figures = aggregate_figures(conn, ws.aggregates_due)
    new = [customer for customer in held if ws.is_new(customer)]
    changed = [customer for customer in held if ws.is_dirty(customer)]
    for customer in [*new, *changed]:
        found = figures.pop(customer.uid, None)
        if found is not None:
            for name, value in figure_columns(found).items():
                setattr(customer, name, value)
    _insert(conn, customers, Customer, new)
    _update(conn, customers, Customer, changed)
    write_figures(conn, figures)


def _insert(conn: Connection, table: Table, cls: type[Any], entities: list[Any]) -> None:
    if entities:
        rows = [to_row(entity) for entity in entities]
        execute_many(conn, insert(table), rows, shape=("insert", table.name))


def _by_changed_columns(
    ws: Workspace, changed: list[Any]
) -> dict[frozenset[str] | None, list[Any]]:
    groups: dict[frozenset[str] | None, list[Any]] = {}
    for entity in changed:
        groups.setdefault(ws.changed_columns(entity), []).append(entity)
    return groups


def _update(
    conn: Connection,
    table: Table,
    cls: type[Any],
    entities: list[Any],
    only: frozenset[str] | None = None,
) -> None:
    """Write ``entities`` over their rows: every column, or those in ``only``."""
    if not entities:
        return
    columns = [
        name
        for name in entity_columns(table, cls)
        if name != "uid" and (only is None or name in only)
    ]
    statement = (
        update(table)
        .where(table.c.uid == bindparam("b_uid"))
        .values({name: bindparam("b_" + name) for name in columns})
    )
    rows = [
        {"b_uid": entity.uid} | {"b_" + name: getattr(entity, name) for name in columns}
        for entity in entities
    ]
    execute_many(conn, statement, rows, shape=("update by uid", table.name, tuple(columns)))


def _write_lines(conn: Connection, new: list[Order], changed: list[Order]) -> None:
    if changed:
        execute_many(
            conn,
            delete(order_lines).where(order_lines.c.order_uid == bindparam("b_uid")),
            [{"b_uid": order.uid} for order in changed],
        )
    rows = [
        {
            "order_uid": order.uid,
            "position": position,
            "store_id": order.store_id,
            "product_id": line.get("product_id"),
            "variant_id": line.get("variant_id"),
            "sku": line.get("sku"),
            "name": line.get("name"),
            "quantity": Decimal(line.get("quantity") or 0),
            "price": Decimal(line["price"]) if line.get("price") is not None else None,
        }
        for order in [*new, *changed]
        for position, line in enumerate(order.line_items)
    ]
    execute_many(conn, insert(order_lines), rows)


def _merge_in_turn(conn: Connection, ws: Workspace) -> int:
    """The merges, each after the erasures the batch made before it: an erased record
    merged into another since loses its stored rows up to the erasure before they
    move, and rows moved after an erasure of their new owner are not its to lose.
    Returns how many erasures were made (the rest are made at their usual place)."""
    erased = 0
    merges = list(zip(ws.merges, ws.erasures_before_merge, strict=True))
    for before, group in itertools.groupby(merges, key=lambda merge: merge[1]):
        if before > erased:
            _erase(conn, ws.erasures[erased:before])
            erased = before
        _apply_merges(conn, [merge for merge, _ in group])
    return erased


def _apply_merges(conn: Connection, merges: list[tuple[str, str, str]]) -> None:
    """Rows of a merged customer move to the customer it became."""
    if not merges:
        return
    params = [{"b_store": store, "b_from": old, "b_into": new} for store, old, new in merges]
    # (former_emails: only a customer with an id changes address, and only one
    # without an id is merged into another, so a merged record has none to move)
    for table in (orders, carts, activities, visitors):
        execute_many(
            conn,
            update(table)
            .where(
                table.c.store_id == bindparam("b_store"),
                table.c.customer_uid == bindparam("b_from"),
            )
            .values(customer_uid=bindparam("b_into")),
            params,
        )


def _write_former_emails(conn: Connection, ws: Workspace) -> None:
    for store_id, email, uid, until in ws.former_emails_cut:
        conn.execute(
            delete(former_emails).where(
                former_emails.c.store_id == store_id,
                former_emails.c.email == email,
                former_emails.c.customer_uid == uid,
                former_emails.c.until == until,
            )
        )
    rows = ws.former_email_rows()
    if rows:
        execute_many(conn, insert(former_emails), rows)


def _erase_former_emails(conn: Connection, ws: Workspace) -> None:
    for store_id, column, value, at in ws.former_emails_erased:
        conn.execute(
            delete(former_emails).where(
                former_emails.c.store_id == store_id,
                former_emails.c[column] == value,
                former_emails.c.since <= at,
            )
        )


def _erase_addresses_on_orders(conn: Connection, ws: Workspace) -> None:
    for store_id, email, at in ws.addresses_erased:
        conn.execute(
            update(orders)
            .where(
                orders.c.store_id == store_id, orders.c.email == email, orders.c.version_at <= at
            )
            .values(email=None)
        )


def _delete_removed(conn: Connection, removed: list[Any]) -> None:
    for table, cls in _TABLES:
        uids = [entity.uid for entity in removed if isinstance(entity, cls)]
        if not uids:
            continue
        if cls is Order:
            conn.execute(delete(order_lines).where(order_lines.c.order_uid.in_(uids)))
        conn.execute(delete(table).where(table.c.uid.in_(uids)))


def _write_suppressions(conn: Connection, ws: Workspace) -> None:
    delete_by_keys(conn, suppressions, ("store_id", "email", "type"), [*ws.suppressions_removed])
    if ws.suppressions_added:
        execute_many(
            conn,
            insert(suppressions),
            [
                {"store_id": s, "email": e, "type": t, "created_at": at, "reason": reason}
                for (s, e, t), (at, reason) in ws.suppressions_added.items()
            ],
        )


def _write_markers(conn: Connection, ws: Workspace) -> None:
    if not ws.markers_changed:
        return
    keys = list(ws.markers_changed)
    delete_by_keys(conn, markers, ("store_id", "kind", "key"), keys)
    execute_many(
        conn,
        insert(markers),
        [
            {"store_id": s, "kind": k, "key": key, "at": ws.markers[(s, k, key)]}
            for s, k, key in keys
        ],
    )


def _convert_carts(conn: Connection, ws: Workspace) -> None:
    """Open carts of a buyer, last touched before the order, were bought.

    The carts the batch holds were converted as it went (``Workspace.convert_carts``).
    The statement sees them only as the batch ends (a cart written after the order
    too), so for those with a shopper their own status is written again; one without
    is left to it, as a visitor's claim at this flush may have given it a shopper."""
    if not ws.carts_to_convert:
        return
    execute_many(
        conn,
        update(carts)
        .where(
            carts.c.store_id == bindparam("b_store"),
            carts.c.customer_uid == bindparam("b_customer"),
            carts.c.status == OPEN,
            carts.c.version_at <= bindparam("b_at"),
        )
        .values(status=CONVERTED),
        [
            {"b_store": s, "b_customer": _merged_into(ws.merges, s, c), "b_at": at}
            for s, c, at in ws.carts_to_convert
        ],
    )
    buyers = {(s, c) for s, c, _ in ws.carts_to_convert} | {
        (s, _merged_into(ws.merges, s, c)) for s, c, _ in ws.carts_to_convert
    }
    held = [
        cart
        for cart in ws.carts.values()
        if cart is not None and cart.customer_uid and (cart.store_id, cart.customer_uid) in buyers
    ]
    _update(conn, carts, Cart, held, frozenset({"status"}))


def _merged_into(merges: list[tuple[str, str, str]], store_id: str, uid: str) -> str:
    """The customer ``uid`` became by the batch's merges (itself if none): by the time
    carts are converted, a merged buyer's carts are the customer's it was merged into."""
    into = {(store, old): new for store, old, new in merges}
    while (store_id, uid) in into:
        uid = into[(store_id, uid)]
    return uid


def _erase(conn: Connection, erasures: list[tuple[str, str, str | None, datetime]]) -> None:
    """Remove a deleted person's traces up to the deletion: carts and activity go,
    orders keep the sale but lose the person."""
    for store_id, uid, email, at in erasures:
        unlink_erased(conn, store_id, uid, at)
        erased_carts = conn.execute(
            delete(carts)
            .where(
                carts.c.store_id == store_id, carts.c.customer_uid == uid, carts.c.version_at <= at
            )
            .returning(carts.c.external_id, carts.c.version_at)
        ).all()
        _mark_carts_erased(conn, store_id, erased_carts)
        conn.execute(
            delete(activities).where(
                activities.c.store_id == store_id,
                activities.c.customer_uid == uid,
                activities.c.occurred_at <= at,
            )
        )
        conn.execute(
            update(orders)
            .where(
                orders.c.store_id == store_id,
                orders.c.customer_uid == uid,
                orders.c.version_at <= at,
            )
            .values(customer_uid=None, email=None, data={})
        )
        if email:
            conn.execute(
                update(orders)
                .where(
                    orders.c.store_id == store_id,
                    orders.c.customer_uid.is_(None),
                    orders.c.email == email,
                    orders.c.version_at <= at,
                )
                .values(email=None, data={})
            )


def _mark_carts_erased(conn: Connection, store_id: str, erased: Sequence[Any]) -> None:
    """So that an older update of an erased cart, arriving late, does not bring it back
    (a marker older than the cart's last version cannot exist: that version was applied)."""
    if not erased:
        return
    keys = [{"b_store": store_id, "b_key": row.external_id} for row in erased]
    execute_many(
        conn,
        delete(markers).where(
            markers.c.store_id == bindparam("b_store"),
            markers.c.kind == CART_ERASED,
            markers.c.key == bindparam("b_key"),
        ),
        keys,
    )
    execute_many(
        conn,
        insert(markers),
        [
            {
                "store_id": store_id,
                "kind": CART_ERASED,
                "key": row.external_id,
                "at": row.version_at,
            }
            for row in erased
        ],
    )
