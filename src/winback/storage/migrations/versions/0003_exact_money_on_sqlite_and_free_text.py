"""exact money on SQLite, free text without length limits

SQLite: money columns now hold integer ten-thousandths (a NUMERIC value there
is a binary float). PostgreSQL: names, statuses, SKUs, vendors and event types
become TEXT, so a long value the contract allows is kept rather than failing
the apply after the event was acknowledged. Ids stay bounded (checked at intake).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MONEY_COLUMNS = {
    "customers": ("total_spent", "average_order_value"),
    "orders": ("subtotal_price", "total_discounts", "total_tax", "total_shipping", "total_price"),
    "order_lines": ("price",),
    "products": ("price", "sale_price"),
    "carts": ("total_price",),
}

FREE_TEXT_COLUMNS = {
    "raw_events": ("event_type", "topic"),
    "customers": ("first_name", "last_name"),
    "orders": ("name", "status", "financial_status"),
    "order_lines": ("sku",),
    "products": ("sku", "vendor"),
    "activities": ("type",),
    "stores": ("name", "domain"),
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table, columns in MONEY_COLUMNS.items():
            for column in columns:
                op.execute(
                    f"UPDATE {table} SET {column} = CAST(ROUND({column} * 10000) AS INTEGER)"
                    f" WHERE {column} IS NOT NULL"
                )
    elif dialect == "postgresql":
        for table, columns in FREE_TEXT_COLUMNS.items():
            for column in columns:
                op.alter_column(table, column, type_=sa.Text())


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table, columns in MONEY_COLUMNS.items():
            for column in columns:
                op.execute(
                    f"UPDATE {table} SET {column} = {column} / 10000.0 WHERE {column} IS NOT NULL"
                )
