"""Coupon codes: short, random, easy to read aloud and to type from an email.

The alphabet leaves out 0/O, 1/I/L so a shopper copying a code by hand cannot
confuse them. Uniqueness within a store is the database's unique index; the
issuer draws again on the rare collision.
"""

from __future__ import annotations

import re
import secrets

from winback.errors import InvalidPayload

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RANDOM_LENGTH = 10
DEFAULT_PREFIX = "WB-"
MAX_PREFIX_LENGTH = 20
# The prefix is part of a code shoppers type and stores match: keep it plain.
_PREFIX = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")


def normalize_prefix(prefix: str | None) -> str:
    """The prefix in the form codes use (upper case), or a clear error."""
    if prefix is None:
        return DEFAULT_PREFIX
    text = prefix.strip().upper()
    if text == "":
        return ""
    if len(text) > MAX_PREFIX_LENGTH or not _PREFIX.match(text):
        raise InvalidPayload(
            f"a prefix is up to {MAX_PREFIX_LENGTH} letters, digits, '-' or '_'",
            pointer="/prefix",
            code="invalid_prefix",
        )
    return text


def generate_code(prefix: str = DEFAULT_PREFIX, length: int = RANDOM_LENGTH) -> str:
    """A new random code: ``prefix`` then ``length`` characters of the unambiguous alphabet.

    Ten characters of a 31-letter alphabet give about 50 bits: collisions are
    rare enough that retrying on one is all it takes.
    """
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize_code(code: str) -> str:
    """How a code is compared: stores and shoppers may change its case or pad it."""
    return code.strip().upper()
