"""The shop's discounts: its rules (templates) and the codes made from them.

winback asks for codes through ``/discounts`` (the store kit's app calls
``create_discount`` below); shoppers redeem them at checkout.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from winback_storekit import DiscountRejected, DiscountRequest

from winback_demo.clock import now, now_text
from winback_demo.database import Database

# (id, name, kind, amount)
RULES = [
    ("TEN_PERCENT", "10% off the order", "percent", "10"),
    ("FIVE_OFF", "5.00 off the order", "fixed", "5.00"),
    ("FREE_SHIPPING", "Free shipping", "free_shipping", "0"),
]
CENTS = Decimal("0.01")


class DiscountError(Exception):
    """A code that cannot be used for this order, with a message for the shopper."""


@dataclass(frozen=True)
class AppliedDiscount:
    code: str
    kind: str
    amount: Decimal


def seed_rules(db: Database) -> None:
    with db.connect() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO discount_rules (id, name, kind, amount) VALUES (?, ?, ?, ?)",
            RULES,
        )


class DiscountMaker:
    """``create_discount`` for the store kit's ``/discounts`` app, backed by the shop's tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def __call__(self, request: DiscountRequest) -> None:
        code = request.code.strip().upper()
        expires = request.expiration.isoformat() if request.expiration else None
        with self.db.connect() as conn:
            rule = conn.execute(
                "SELECT id FROM discount_rules WHERE id = ?", (request.rule_id,)
            ).fetchone()
            if rule is None:
                raise DiscountRejected(f"unknown discount rule {request.rule_id!r}")
            existing = conn.execute("SELECT * FROM discounts WHERE code = ?", (code,)).fetchone()
            if existing is not None:
                # winback retries calls that timed out: the same code for the same rule and
                # customer is the same request, and succeeds again.
                if (existing["rule_id"], existing["email"]) == (request.rule_id, request.email):
                    return
                raise DiscountRejected(f"the code {code} already exists")
            conn.execute(
                "INSERT INTO discounts (code, rule_id, email, expires_at, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (code, request.rule_id, request.email, expires, now_text()),
            )


def redeem(
    conn: sqlite3.Connection, code: str, email: str, subtotal: Decimal, shipping: Decimal
) -> AppliedDiscount:
    """Check a code for this shopper and order, and say how much it takes off."""
    code = code.strip().upper()
    row = conn.execute(
        "SELECT d.*, r.kind, r.amount FROM discounts d "
        "JOIN discount_rules r ON r.id = d.rule_id WHERE d.code = ?",
        (code,),
    ).fetchone()
    if row is None:
        raise DiscountError(f"The code {code} does not exist.")
    if row["used_order_id"] is not None:
        raise DiscountError(f"The code {code} has already been used.")
    if row["expires_at"] and datetime.fromisoformat(row["expires_at"]) <= now():
        raise DiscountError(f"The code {code} has expired.")
    if row["email"] and row["email"].lower() != email.lower():
        raise DiscountError(f"The code {code} belongs to another customer.")
    amount = Decimal(row["amount"])
    if row["kind"] == "percent":
        off = (subtotal * amount / 100).quantize(CENTS)
    elif row["kind"] == "fixed":
        off = min(amount, subtotal)
    else:
        off = shipping
    return AppliedDiscount(code, row["kind"], off)


def mark_redeemed(conn: sqlite3.Connection, code: str, order_id: int) -> None:
    conn.execute("UPDATE discounts SET used_order_id = ? WHERE code = ?", (order_id, code))


def discount_codes(db: Database) -> list[dict[str, str | None]]:
    """Every code the shop holds (for the shop's own admin view and the tests)."""
    with db.connect() as conn:
        rows = conn.execute("SELECT * FROM discounts ORDER BY created_at, code").fetchall()
    return [
        {
            "code": row["code"],
            "rule_id": row["rule_id"],
            "email": row["email"],
            "expires_at": row["expires_at"],
            "used_order_id": None if row["used_order_id"] is None else str(row["used_order_id"]),
        }
        for row in rows
    ]
