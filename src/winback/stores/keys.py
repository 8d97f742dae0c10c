"""API keys: random, shown once, stored as a SHA-256 digest.

Keys carry 256 bits of entropy, so a fast digest is the right tool here (a slow
password hash protects guessable secrets, not random ones) and keeps the
check cheap on every request.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Callable, Sequence
from typing import TypeVar

from winback.errors import Unauthorized

T = TypeVar("T")

KEY_PREFIX = "wbk_"
STORE_ID_PREFIX = "st_"


def generate_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def generate_store_id() -> str:
    return STORE_ID_PREFIX + secrets.token_hex(8)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def by_any_key(keys: Sequence[str | None], check: Callable[[str], T]) -> T:
    """What ``check`` gives for the first of the sent ``keys`` it accepts (a sender may
    send a key in two headers, one of them stale after a rotation); the first key's
    refusal if it accepts none. At least one key must have been sent."""
    # (a key pasted with a space or tab around it is the same key: keys hold none)
    sent = list(dict.fromkeys(key.strip() for key in keys if key and key.strip()))
    if not sent:
        raise Unauthorized("no API key was sent")  # (callers say first which header)
    try:
        return check(sent[0])
    except Unauthorized:
        for key in sent[1:]:
            with contextlib.suppress(Unauthorized):
                return check(key)
        raise
