"""The spellings of a flag that docs/integration.md promises, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from winback.shoppers.payloads import CustomerPayload


def consent(value: Any) -> bool | None:
    payload = {"email": "ada@example.com", "accepts_marketing": value}
    return CustomerPayload.model_validate(payload).accepts_marketing


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (True, True),
        (0, False),
        (1.0, True),
        ("false", False),
        ("TRUE", True),
        ("1", True),
        ("No", False),
        ("y", True),
        ("off", False),
        ("T", True),
        (None, None),
        ("", None),  # (PHP's way of writing a null: unknown, not false)
        (" ", None),
    ],
)
def test_a_flag_is_read_from_its_common_spellings(sent: Any, read: bool | None) -> None:
    assert consent(sent) is read


@pytest.mark.parametrize("sent", ["maybe", 2, "1.0", {"value": True}, [True]])
def test_anything_else_is_no_flag(sent: Any) -> None:
    with pytest.raises(ValidationError):
        consent(sent)
