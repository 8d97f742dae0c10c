"""Carts: kept server-side under a random token, so a link can restore one in any browser."""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal

from winback_demo.catalog import Product, product_by_id
from winback_demo.clock import now_text
from winback_demo.database import Database

MAX_QUANTITY = 20


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int
    added_at: str

    @property
    def total(self) -> Decimal:
        return self.product.price * self.quantity


@dataclass(frozen=True)
class Cart:
    token: str
    user_id: int | None
    status: str
    created_at: str
    updated_at: str
    lines: list[CartLine] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)


def new_token() -> str:
    return secrets.token_urlsafe(16)


def load_cart(conn: sqlite3.Connection, token: str) -> Cart | None:
    row = conn.execute("SELECT * FROM carts WHERE token = ?", (token,)).fetchone()
    if row is None:
        return None
    lines = []
    for item in conn.execute(
        "SELECT * FROM cart_items WHERE cart_token = ? ORDER BY added_at, product_id", (token,)
    ):
        product = product_by_id(conn, item["product_id"])
        if product is not None:
            lines.append(CartLine(product, item["quantity"], item["added_at"]))
    return Cart(
        row["token"], row["user_id"], row["status"], row["created_at"], row["updated_at"], lines
    )


def get_cart(db: Database, token: str) -> Cart | None:
    with db.connect() as conn:
        return load_cart(conn, token)


def open_cart(db: Database, token: str | None, user_id: int | None) -> Cart:
    """The open cart under ``token``, or a new one; a logged-in shopper's cart is theirs."""
    with db.connect() as conn:
        cart = load_cart(conn, token) if token else None
        if cart is None or cart.status != "open":
            token = new_token()
            stamp = now_text()
            conn.execute(
                "INSERT INTO carts (token, user_id, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (token, user_id, stamp, stamp),
            )
        elif user_id is not None and cart.user_id != user_id:
            conn.execute("UPDATE carts SET user_id = ? WHERE token = ?", (user_id, cart.token))
        found = load_cart(conn, token or "")
    assert found is not None
    return found


def set_quantity(db: Database, token: str, product_id: str, quantity: int, *, add: bool) -> Cart:
    """Add to (or set) a product's quantity in the cart; zero removes it."""
    stamp = now_text()
    with db.connect() as conn:
        if product_by_id(conn, product_id) is None:
            raise KeyError(product_id)
        row = conn.execute(
            "SELECT quantity FROM cart_items WHERE cart_token = ? AND product_id = ?",
            (token, product_id),
        ).fetchone()
        current = row["quantity"] if row else 0
        wanted = max(0, min(MAX_QUANTITY, current + quantity if add else quantity))
        if wanted == 0:
            conn.execute(
                "DELETE FROM cart_items WHERE cart_token = ? AND product_id = ?",
                (token, product_id),
            )
        elif row is None:
            conn.execute(
                "INSERT INTO cart_items (cart_token, product_id, quantity, added_at) "
                "VALUES (?, ?, ?, ?)",
                (token, product_id, wanted, stamp),
            )
        else:
            conn.execute(
                "UPDATE cart_items SET quantity = ? WHERE cart_token = ? AND product_id = ?",
                (wanted, token, product_id),
            )
        conn.execute("UPDATE carts SET updated_at = ? WHERE token = ?", (stamp, token))
        cart = load_cart(conn, token)
    assert cart is not None
    return cart
