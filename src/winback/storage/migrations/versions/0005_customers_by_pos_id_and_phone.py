"""customers found by pos_id and sms phone number

A contact or a buyer that a CSV file names only by its point-of-sale id or its
phone number is found by those: both profile fields get an indexed column of
their own, filled from what customers already hold in ``data`` (a value that is
not a string of at most 255 characters can name no one and stays out).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# column -> the profile field in ``data`` it copies
COLUMNS = {"pos_id": "pos_id", "sms_phone_number": "sms_phone_number_e164"}


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.add_column(sa.Column(column, sa.String(length=255), nullable=True))
            batch_op.create_index(f"ix_customers_store_{column}", ["store_id", column])
    for column, field in COLUMNS.items():
        op.execute(_backfill(op.get_bind().dialect.name, column, field))


def _backfill(dialect: str, column: str, field: str) -> str:
    if dialect == "postgresql":
        value, kind, string = f"data->>'{field}'", f"json_typeof(data->'{field}')", "'string'"
    else:
        value, kind, string = (
            f"json_extract(data, '$.{field}')",
            f"json_type(data, '$.{field}')",
            "'text'",
        )
    return (
        f"UPDATE customers SET {column} = {value}"
        f" WHERE {kind} = {string} AND length({value}) BETWEEN 1 AND 255"
    )


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f"ix_customers_store_{column}")
            batch_op.drop_column(column)
