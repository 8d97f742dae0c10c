"""Decode a request body: JSON, an object, not nested deeper than the limit."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import orjson

from winback.errors import InvalidPayload, UnsupportedMediaType


def check_content_type(content_type: str | None) -> None:
    """Only JSON is accepted; a missing content type is read as JSON (curl's default)."""
    if not content_type:
        return
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        return
    raise UnsupportedMediaType(
        f"the body must be JSON (Content-Type: application/json), got {media_type!r}"
    )


def _too_deep(max_depth: int) -> str:
    return f"the body is nested deeper than {max_depth} levels"


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether decoded JSON has objects or arrays more than ``limit`` levels deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(current, dict):
            stack.extend(
                (child, depth + 1) for child in current.values() if isinstance(child, (dict, list))
            )
        elif isinstance(current, list):
            stack.extend((child, depth + 1) for child in current if isinstance(child, (dict, list)))
    return False


# orjson reads a JSON number as a 64-bit int or a double; one this long may not
# fit, nor one with an exponent (1e-400 reads as 0.0).
# (The exponent is looked for only where a value starts: ids and tokens in strings
# such as "3e4f..." would otherwise send most bodies down the slow path.)
_LONG_NUMBER = re.compile(rb"[0-9][0-9.]{15,}|[:\[,]\s*-?[0-9][0-9.]*[eE]")
# orjson's integers: signed 64-bit below zero, unsigned above; the rest are doubles.
_MIN_EXACT_INT = -(2**63)
_MAX_EXACT_INT = 2**64 - 1


def _is_exact(number: int | Decimal) -> bool:
    if isinstance(number, int):
        return _MIN_EXACT_INT <= number <= _MAX_EXACT_INT
    return Decimal(repr(float(number))) == number


def _inexact_number(raw: bytes) -> str | None:
    """The JSON pointer of the first number a double cannot hold exactly, if any."""
    if _LONG_NUMBER.search(raw) is None:
        return None
    stack: list[tuple[Any, str]] = [(json.loads(raw, parse_float=Decimal), "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, dict):
            stack.extend((child, f"{pointer}/{_escape(key)}") for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((child, f"{pointer}/{index}") for index, child in enumerate(value))
        elif (
            isinstance(value, (int, Decimal))
            and not isinstance(value, bool)
            and not _is_exact(value)
        ):
            return pointer
    return None


def _nul_character(value: Any) -> str | None:
    """The JSON pointer of the first string (or key) holding a NUL character, if any."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        current, pointer = stack.pop()
        if isinstance(current, dict):
            for key, child in current.items():
                if "\x00" in key:
                    return pointer
                stack.append((child, f"{pointer}/{_escape(key)}"))
        elif isinstance(current, list):
            stack.extend((child, f"{pointer}/{index}") for index, child in enumerate(current))
        elif isinstance(current, str) and "\x00" in current:
            return pointer
    return None


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def decode_object(raw: bytes, *, max_depth: int) -> dict[str, Any]:
    """The body as a JSON object, or InvalidPayload saying why it is not one."""
    if not raw.strip():
        raise InvalidPayload("the body is empty; a JSON object is expected", pointer="")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if str(error).startswith("depth limit exceeded"):  # (orjson stops at 1024 levels)
            raise InvalidPayload(_too_deep(max_depth), pointer="") from None
        raise InvalidPayload(f"the body is not valid JSON: {error}", pointer="") from None
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else f"a {type(value).__name__}"
        raise InvalidPayload(f"the body must be a JSON object, got {kind}", pointer="")
    if nested_deeper_than(value, max_depth):
        raise InvalidPayload(_too_deep(max_depth), pointer="")
    # A NUL can only come escaped; PostgreSQL text cannot hold one, so no database does.
    if b"\\u0000" in raw:
        nul_at = _nul_character(value)
        if nul_at is not None:
            raise InvalidPayload(
                "text must not contain the NUL character (\\u0000)",
                pointer=nul_at,
                code="nul_character",
            )
    inexact = _inexact_number(raw)
    if inexact is not None:
        raise InvalidPayload(
            "this number cannot be kept exactly (too many digits, or out of range); "
            "send it as a string",
            pointer=inexact,
            code="inexact_number",
        )
    return value
