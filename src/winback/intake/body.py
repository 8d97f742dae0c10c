"""Decode a request body: JSON, an object, not nested deeper than the limit."""

from __future__ import annotations

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


def _depth_exceeds(value: Any, limit: int) -> bool:
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


def decode_object(raw: bytes, *, max_depth: int) -> dict[str, Any]:
    """The body as a JSON object, or InvalidPayload saying why it is not one."""
    if not raw.strip():
        raise InvalidPayload("the body is empty; a JSON object is expected", pointer="")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise InvalidPayload(f"the body is not valid JSON: {error}", pointer="") from None
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else f"a {type(value).__name__}"
        raise InvalidPayload(f"the body must be a JSON object, got {kind}", pointer="")
    if _depth_exceeds(value, max_depth):
        raise InvalidPayload(f"the body is nested deeper than {max_depth} levels", pointer="")
    return value
