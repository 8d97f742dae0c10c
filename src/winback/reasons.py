"""A payload's faults as reasons a person reads: sentences of ours, not the validator's.

pydantic says "Input should be a valid dictionary or instance of LineItem"; a
store's developer needs "must be an object, got a string". Each kind of fault
has its sentence here; our own validators' messages are already ours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# The validator's patterns, as the form they ask for.
_PATTERN_FORMS = {
    r"^[A-Za-z]{3}$": "a three-letter currency code (ISO 4217), like USD",
    r"^[A-Za-z0-9_-]{8,64}$": "8 to 64 letters, digits, '-' or '_'",
}
TIME_FORM = "a time in ISO 8601 with its time zone, like 2026-11-01T10:00:00Z or +02:00"

# The faults that begin with the value refused, which may be a person's own.
NOT_AN_EMAIL = "is not a valid email address"
NOT_A_PHONE = "is not a phone number"
# (only a birthdate is a date of this form: its refusal quotes a date of birth)
NOT_A_DATE = "is not a date written YYYY-MM-DD"
NOT_A_REAL_DATE = "is not a real date"
_PERSONAL_VALUE = re.compile(
    rf"""^(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*") """
    rf"(?={NOT_AN_EMAIL}|{NOT_A_PHONE}|{NOT_A_DATE}|{NOT_A_REAL_DATE})"
)

# Faults of type: the sentence, to which what was sent is added ("got a string").
_WRONG_TYPE = {
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_parsing_size": "must be a whole number no larger than 2**63 - 1",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "datetime_type": f"must be {TIME_FORM}",
    "datetime_parsing": f"must be {TIME_FORM}",
    "datetime_from_date_parsing": f"must be {TIME_FORM}",
    "date_type": "must be a date as YYYY-MM-DD",
    "date_parsing": "must be a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a date as YYYY-MM-DD",
}
# Faults of value: a sentence filled from the fault's context.
_WRONG_VALUE = {
    "missing": "this field is required",
    "timezone_aware": f"this time has no time zone; send {TIME_FORM}",
    "string_too_long": "must be at most {max_length} characters",
    "string_too_short": "must be at least {min_length} characters",
    "too_long": "must have at most {max_length} items",
    "too_short": "must have at least {min_length} items",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "literal_error": "must be {expected}",
    "enum": "must be {expected}",
}


def validation_reason(detail: Mapping[str, Any]) -> str:
    """One of pydantic's errors (``ValidationError.errors()``) as our sentence."""
    kind = str(detail["type"])
    context = detail.get("ctx") or {}
    if kind in _WRONG_TYPE:
        given = detail.get("input")
        if kind.endswith("_parsing") and isinstance(given, str) and given.strip():
            # (text of the wrong form: the text itself says more than "a string")
            return f"{_WRONG_TYPE[kind]}, got {given[:60]!r}"
        return f"{_WRONG_TYPE[kind]}, got {json_kind(given)}"
    if kind in _WRONG_VALUE:
        return _WRONG_VALUE[kind].format(**context)
    if kind == "extra_forbidden":
        return f"{str(detail['loc'][-1])!r} is not a field of this request"
    if kind == "string_pattern_mismatch":
        pattern = str(context.get("pattern", ""))
        return f"must be {_PATTERN_FORMS.get(pattern, 'of the form ' + pattern)}"
    # Our validators' own sentences (and any fault not named above, reworded).
    message = str(detail["msg"]).removeprefix("Value error, ")
    return message.replace("Input should be", "must be").replace("Input should", "must")


def json_kind(value: Any) -> str:
    """What a decoded JSON value is, in JSON's words: "a string", "null", ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string" if value.strip() else "a blank string" if value else "an empty string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (bytes, bytearray)):
        # (a request body the framework did not read as JSON: not JSON, or not sent
        # as application/json)
        return "a body that is not JSON (send it as application/json)"
    return "a value of another kind"


def without_personal_value(reason: str) -> str:
    """``reason`` for a log line: an address, phone number or date of birth it
    quotes left out. The integration log keeps the whole reason, in the store's own
    database, for its developer; a log line is copied to places winback never sees
    again."""
    return _PERSONAL_VALUE.sub("the value ", reason)
