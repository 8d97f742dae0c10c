"""customers keep their purchases in one compact map

Each order that named a customer as its buyer was a profile register
(``_registers["_bought:<order id>"]``, holding when it was placed and the
order's version as a stamp) and a copy of the placing time in ``data``. A
regular buyer's record grew by about 150 bytes an order, and is read and
written whole with each of their orders. They become one entry each in
``data["_purchases"]``: order id -> [version, placed], in microseconds since
the epoch. The newest version of each order is kept, as before.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_BOUGHT = "_bought:"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CUSTOMERS = sa.table("customers", sa.column("uid", sa.String), sa.column("data", sa.JSON))


def upgrade() -> None:
    _rewrite(_BOUGHT, compact)


def downgrade() -> None:
    _rewrite('"_purchases"', expand)


def _rewrite(marker: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Apply ``change`` to the ``data`` of every customer whose text holds ``marker``."""
    bind = op.get_bind()
    text_of_data = sa.cast(_CUSTOMERS.c.data, sa.Text)
    found = sa.select(_CUSTOMERS.c.uid).where(text_of_data.contains(marker, autoescape=True))
    for uid in list(bind.execute(found).scalars()):
        data = bind.execute(
            sa.select(_CUSTOMERS.c.data).where(_CUSTOMERS.c.uid == uid)
        ).scalar_one()
        changed = change(data)
        bind.execute(sa.update(_CUSTOMERS).where(_CUSTOMERS.c.uid == uid).values(data=changed))


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its purchase registers and their copies as one map."""
    registers = dict(data.get("_registers", {}))
    purchases = dict(data.get("_purchases", {}))
    for name in [name for name in registers if name.startswith(_BOUGHT)]:
        slot = registers.pop(name).get("implied")
        if slot and isinstance(slot[0], str):
            order_id = name.removeprefix(_BOUGHT)
            purchase = [_micros(slot[1][0]), _micros(slot[0])]
            purchases[order_id] = max(purchase, purchases.get(order_id, purchase))
    kept = {key: value for key, value in data.items() if not key.startswith(_BOUGHT)}
    if "_registers" in data:
        kept["_registers"] = registers
    if purchases:
        kept["_purchases"] = purchases
    return kept


def expand(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each purchase as a register and its copy, as before 0008."""
    expanded = {key: value for key, value in data.items() if key != "_purchases"}
    registers = expanded["_registers"] = dict(data.get("_registers", {}))
    for order_id, (written, placed) in data.get("_purchases", {}).items():
        placed_at = _iso(placed)
        digest = hashlib.sha1(orjson.dumps(placed_at), usedforsecurity=False).hexdigest()
        registers[_BOUGHT + order_id] = {"implied": [placed_at, [_iso(written), digest[:12]]]}
        expanded[_BOUGHT + order_id] = placed_at
    return expanded


def _micros(iso_time: str) -> int:
    return (datetime.fromisoformat(iso_time) - _EPOCH) // timedelta(microseconds=1)


def _iso(micros: int) -> str:
    return (_EPOCH + timedelta(microseconds=micros)).isoformat()
