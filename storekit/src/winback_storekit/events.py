"""What an outgoing event is: its JSON body and the entity whose order it must keep."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def encode_body(payload: Mapping[str, Any]) -> str:
    """Serialise a payload to compact JSON, failing now rather than at delivery time.

    Decimals become numeric strings (winback reads money from strings exactly; a
    float would round), dates and times ISO 8601, UUIDs their text.
    """
    if not isinstance(payload, Mapping):
        raise TypeError(f"an event payload must be a mapping, not {type(payload).__name__}")
    return json.dumps(
        payload, default=_encode_value, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )


def _encode_value(value: object) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send a non-finite amount: {value}")
        return format(value, "f")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot send a value of type {type(value).__name__} as JSON")


def entity_key(event_type: str, payload: Mapping[str, Any]) -> str:
    """The key that orders an event among its entity's events.

    The family is the part of the type before the slash (`orders/update` and
    `orders/created` are both `orders`); the entity is the payload's `id`, else its
    email. An event naming neither is ordered against nothing.
    """
    family = event_type.split("/", 1)[0].strip().lower()
    ident = payload.get("id")
    if ident is not None and str(ident).strip():
        return f"{family}:id:{str(ident).strip()}"
    email = payload.get("email")
    if isinstance(email, str) and email.strip():
        return f"{family}:email:{email.strip().lower()}"
    return f"{family}:event:{uuid.uuid4().hex}"
