"""Decode a request body: JSON, an object, not nested deeper than the limit, no
member named twice in one object."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from winback.errors import InvalidPayload, UnsupportedMediaType
from winback.reasons import json_kind
from winback.web.json_members import escape_name, repeated_member


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


def check_content_encoding(content_encoding: str | None) -> None:
    """The body is read as it came: a compressed one (gzip, br) would be read as
    garbage, or worse as something else, so it is refused as unsupported."""
    codings = [part.strip().lower() for part in (content_encoding or "").split(",")]
    unsupported = [coding for coding in codings if coding and coding != "identity"]
    if unsupported:
        raise UnsupportedMediaType(
            f"the body must be sent uncompressed, got Content-Encoding {unsupported[0]!r}"
        )


def _too_deep(max_depth: int) -> str:
    return f"the body is nested deeper than {max_depth} levels"


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether decoded JSON has objects or arrays more than ``limit`` levels deep."""
    return _survey(value, limit).too_deep


@dataclass
class _Survey:
    """What one walk of a decoded body finds (it runs for every delivery)."""

    too_deep: bool = False
    floats: list[float] = field(default_factory=list)
    members: int = 0


def _survey(value: Any, limit: int) -> _Survey:
    found = _Survey()
    if type(value) is not dict and type(value) is not list:
        if type(value) is float:
            found.floats.append(value)
        return found
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            found.too_deep = True
            return found
        if type(current) is dict:
            found.members += len(current)
            children = current.values()
        else:
            children = current
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is float:
                found.floats.append(child)
    return found


def _too_deep_at(value: Any, limit: int) -> str:
    """The JSON pointer of the first object or array nested deeper than ``limit``."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        current, pointer, depth = stack.pop()
        if depth > limit:
            return pointer
        if isinstance(current, dict):
            children = [(child, f"{pointer}/{escape_name(k)}") for k, child in current.items()]
        else:
            children = [(child, f"{pointer}/{index}") for index, child in enumerate(current)]
        stack.extend(
            (child, at, depth + 1)
            for child, at in reversed(children)
            if isinstance(child, (dict, list))
        )
    return ""


# orjson reads a JSON number as an int only when a 64-bit one holds it exactly, and
# any other as a double, so only a body with a double can hold a number it did not
# keep exactly: one written with many digits (a run of 16 digits or dots in the body
# finds it, or an id in a string), or one written with an exponent, which
# may have left the double's range (1e-400 reads as 0.0; a small double shows an
# exponent). The exponent is looked for only where a value starts: ids and tokens
# in strings such as "3e4f..." would otherwise send most bodies down the slow path.
_EXPONENT = re.compile(rb"[:\[,]\s*-?[0-9][0-9.]*[eE]")
_DIGIT_OR_DOT = bytes(1 if chr(byte) in "0123456789." else 0 for byte in range(256))
_LONG_RUN = b"\x01" * 16
# orjson's integers: signed 64-bit below zero, unsigned above; the rest are doubles.
_MIN_EXACT_INT = -(2**63)
_MAX_EXACT_INT = 2**64 - 1


def _is_exact(number: int | Decimal) -> bool:
    if isinstance(number, int):
        return _MIN_EXACT_INT <= number <= _MAX_EXACT_INT
    return Decimal(repr(float(number))) == number


def _may_be_inexact(raw: bytes, floats: list[float]) -> bool:
    """Whether the body may hold a number orjson did not read exactly (see above)."""
    if not floats:
        return False
    if _LONG_RUN in raw.translate(_DIGIT_OR_DOT):
        return True
    if any(number == 0.0 or "e" in repr(number) for number in floats):
        return _EXPONENT.search(raw) is not None
    return False


def holds_inexact_number(raw: bytes, value: Any) -> bool:
    """Whether ``value``, decoded from ``raw``, lost a number's exact value: read
    back, it would not show the number that was sent."""
    floats = _survey(value, 10**6).floats
    return _may_be_inexact(raw, floats) and _inexact_number(raw) is not None


def _inexact_number(raw: bytes) -> str | None:
    """The JSON pointer of the first number a double cannot hold exactly, if any."""
    stack: list[tuple[Any, str]] = [(json.loads(raw, parse_float=Decimal), "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, dict):
            stack.extend((child, f"{pointer}/{escape_name(key)}") for key, child in value.items())
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
                stack.append((child, f"{pointer}/{escape_name(key)}"))
        elif isinstance(current, list):
            stack.extend((child, f"{pointer}/{index}") for index, child in enumerate(current))
        elif isinstance(current, str) and "\x00" in current:
            return pointer
    return None


def _not_decoded(raw: bytes, error: orjson.JSONDecodeError, max_depth: int) -> InvalidPayload:
    """Why the parser stopped, said of the body rather than of the parser."""
    if str(error).startswith("depth limit exceeded"):  # (orjson stops at 1024 levels)
        return InvalidPayload(_too_deep(max_depth), pointer="")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return InvalidPayload(
            f"the body is not UTF-8: the byte 0x{raw[bad.start]:02x} at offset {bad.start}"
            " cannot be read; JSON is sent as UTF-8",
            pointer="",
        )
    if "infinity" in str(error):  # (a number past a double's range, like 1e400)
        try:
            inexact = _inexact_number(raw)
        except (ValueError, RecursionError):  # (too many digits, or too deep, to look)
            inexact = None
        if inexact is not None:
            return _inexact_at(inexact)
    return InvalidPayload(f"the body is not valid JSON: {error}", pointer="")


def _inexact_at(pointer: str) -> InvalidPayload:
    return InvalidPayload(
        "this number cannot be kept exactly (too many digits, or out of range); "
        "send it as a string",
        pointer=pointer,
        code="inexact_number",
    )


def decode_object(raw: bytes, *, max_depth: int) -> dict[str, Any]:
    """The body as a JSON object, or InvalidPayload saying why it is not one."""
    if not raw.strip():
        raise InvalidPayload("the body is empty; a JSON object is expected", pointer="")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise _not_decoded(raw, error, max_depth) from None
    if not isinstance(value, dict):
        raise InvalidPayload(f"the body must be a JSON object, got {json_kind(value)}", pointer="")
    found = _survey(value, max_depth)
    if found.too_deep:
        raise InvalidPayload(_too_deep(max_depth), pointer=_too_deep_at(value, max_depth))
    repeated = repeated_member(raw, found.members)
    if repeated is not None:
        raise repeated
    # A NUL can only come escaped; PostgreSQL text cannot hold one, so no database does.
    if b"\\u0000" in raw:
        nul_at = _nul_character(value)
        if nul_at is not None:
            raise InvalidPayload(
                "text must not contain the NUL character (\\u0000)",
                pointer=nul_at,
                code="nul_character",
            )
    inexact = _inexact_number(raw) if _may_be_inexact(raw, found.floats) else None
    if inexact is not None:
        raise _inexact_at(inexact)
    return value
