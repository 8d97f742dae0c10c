"""Checkout: turn the shopper's cart into an order, with an optional discount code."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from winback_demo.accounts import User
from winback_demo.carts import Cart, CartLine, load_cart
from winback_demo.clock import now_text
from winback_demo.database import Database
from winback_demo.discounts import AppliedDiscount, DiscountError, mark_redeemed, redeem

SHIPPING = Decimal("4.90")
FREE_SHIPPING_FROM = Decimal("50.00")


@dataclass(frozen=True)
class Order:
    id: int
    user: User
    cart_token: str
    created_at: str
    lines: list[CartLine]
    subtotal: Decimal
    shipping: Decimal
    discount: AppliedDiscount | None

    @property
    def total(self) -> Decimal:
        off = self.discount.amount if self.discount else Decimal(0)
        return self.subtotal + self.shipping - off


def shipping_for(subtotal: Decimal) -> Decimal:
    return Decimal("0.00") if subtotal >= FREE_SHIPPING_FROM else SHIPPING


def place_order(db: Database, user: User, cart_token: str, code: str | None) -> Order:
    """Create the order from the open cart in one transaction; the cart is then ordered."""
    with db.connect() as conn:
        cart: Cart | None = load_cart(conn, cart_token)
        if cart is None or cart.status != "open" or not cart.lines:
            raise DiscountError("Your cart is empty.")
        shipping = shipping_for(cart.subtotal)
        applied = redeem(conn, code, user.email, cart.subtotal, shipping) if code else None
        created_at = now_text()
        off = applied.amount if applied else Decimal(0)
        total = cart.subtotal + shipping - off
        order_id = conn.execute(
            "INSERT INTO orders (user_id, cart_token, email, created_at, subtotal, discount, "
            "shipping, total, discount_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                user.id,
                cart.token,
                user.email,
                created_at,
                str(cart.subtotal),
                str(off),
                str(shipping),
                str(total),
                applied.code if applied else None,
            ),
        ).lastrowid
        assert order_id is not None
        conn.executemany(
            "INSERT INTO order_lines (order_id, product_id, title, quantity, price) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (
                    order_id,
                    line.product.id,
                    line.product.title,
                    line.quantity,
                    str(line.product.price),
                )
                for line in cart.lines
            ],
        )
        conn.execute(
            "UPDATE carts SET status = 'ordered', user_id = ? WHERE token = ?",
            (user.id, cart.token),
        )
        if applied:
            mark_redeemed(conn, applied.code, order_id)
    return Order(
        order_id, user, cart.token, created_at, cart.lines, cart.subtotal, shipping, applied
    )


def order_count(db: Database) -> int:
    with db.connect() as conn:
        return int(conn.execute("SELECT count(*) FROM orders").fetchone()[0])
