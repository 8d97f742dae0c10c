"""Shoppers' accounts: sign-up and login."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from winback_demo.clock import now_text
from winback_demo.database import Database
from winback_demo.passwords import hash_password, verify_password

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(Exception):
    """A sign-up or login that cannot go through, with a message for the form."""


@dataclass(frozen=True)
class User:
    id: int
    email: str
    first_name: str
    last_name: str
    accepts_marketing: bool
    created_at: str


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        accepts_marketing=bool(row["accepts_marketing"]),
        created_at=row["created_at"],
    )


def sign_up(
    db: Database,
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    accepts_marketing: bool,
) -> User:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise AccountError("Please enter a valid email address.")
    if len(password) < 8:
        raise AccountError("Please choose a password of at least 8 characters.")
    if not first_name.strip():
        raise AccountError("Please tell us your first name.")
    hashed = hash_password(password)
    try:
        with db.connect() as conn:
            cursor = conn.execute(
                "INSERT INTO users (email, first_name, last_name, password_hash, "
                "accepts_marketing, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    email,
                    first_name.strip(),
                    last_name.strip(),
                    hashed,
                    int(accepts_marketing),
                    now_text(),
                ),
            )
            row = conn.execute("SELECT * FROM users WHERE id = ?", (cursor.lastrowid,)).fetchone()
    except sqlite3.IntegrityError:
        raise AccountError("An account with this email exists: please log in.") from None
    return _user(row)


def log_in(db: Database, *, email: str, password: str) -> User:
    with db.connect() as conn:
        row = conn.execute(
            "SELECT * FROM users WHERE email = ?", (email.strip().lower(),)
        ).fetchone()
    # The same message either way: a login form must not tell who has an account.
    if row is None or not verify_password(password, row["password_hash"]):
        raise AccountError("Wrong email or password.")
    return _user(row)


def user_by_id(db: Database, user_id: int) -> User | None:
    with db.connect() as conn:
        row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return _user(row) if row else None
