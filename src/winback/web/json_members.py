"""A JSON object that names one member twice.

JSON parsers keep the last value of a repeated member and say nothing, so a body
with ``{"email": "a@...", "email": "b@..."}`` would be applied as one of two
values its sender wrote, and the integration log would show a body that was
never sent. winback refuses it, as it refuses a header or a query parameter
given twice with different values: which one was meant cannot be told.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from winback.errors import InvalidPayload

# Outside strings a quote only opens or closes one, and inside one it is escaped:
# so in a body without '\":' and without blanks between a name and its colon,
# every member's name ends in '":', and strings starting with a colon only add to
# the count (which then takes the slow path, never a wrong answer).
_NAME_END = b'":'
_ESCAPED_QUOTE_COLON = b'\\":'
_SPACED_NAME_END = re.compile(rb'"\s+:')


def repeated_member(raw: bytes, members_read: int) -> InvalidPayload | None:
    """The refusal of ``raw`` if one of its objects names a member twice: at the
    first such member.

    ``members_read``: how many members the parsed body holds in all its objects
    (a repeated one counted once), so that the common case costs a count."""
    counted_exactly = _ESCAPED_QUOTE_COLON not in raw and not _SPACED_NAME_END.search(raw)
    if counted_exactly and raw.count(_NAME_END) == members_read:
        return None
    return _first_repeated(raw)


class _Members(dict[str, Any]):
    repeated: str | None = None


def _members(pairs: list[tuple[str, Any]]) -> _Members:
    members = _Members(pairs)
    if len(members) != len(pairs):
        members.repeated = next(name for name, n in Counter(n for n, _ in pairs).items() if n > 1)
    return members


def _first_repeated(raw: bytes) -> InvalidPayload | None:
    try:
        tree = json.loads(raw, object_pairs_hook=_members)
    except (ValueError, RecursionError):  # (the body's own parser said it reads)
        return None
    stack: list[tuple[Any, str]] = [(tree, "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, _Members):
            if value.repeated is not None:
                return InvalidPayload(
                    f"the member {value.repeated!r} is given twice in this object;"
                    " which value was meant cannot be told",
                    pointer=f"{pointer}/{escape_name(value.repeated)}",
                    code="repeated_member",
                )
            children = [(child, f"{pointer}/{escape_name(k)}") for k, child in value.items()]
        elif isinstance(value, list):
            children = [(child, f"{pointer}/{index}") for index, child in enumerate(value)]
        else:
            continue
        stack.extend(reversed(children))  # (the first in the body is found first)
    return None


def count_members(value: Any) -> int:
    """How many members the objects in parsed JSON hold in all."""
    total = 0
    stack = [value]
    while stack:
        current = stack.pop()
        if type(current) is dict:
            total += len(current)
            stack.extend(current.values())
        elif type(current) is list:
            stack.extend(current)
    return total


def escape_name(name: str) -> str:
    """A member's name as a JSON pointer writes it (RFC 6901)."""
    return name.replace("~", "~0").replace("/", "~1")
