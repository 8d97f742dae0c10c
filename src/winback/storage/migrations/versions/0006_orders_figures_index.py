"""orders by customer with the columns of the shopper's aggregates

The index on ``orders.customer_uid`` becomes one that also holds what a
shopper's aggregates read (store, test flag, creation time, currency, total),
so recomputing them reads the index alone, not each order's whole row.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FIGURE_COLUMNS = ["customer_uid", "store_id", "test", "created_at", "currency", "total_price"]


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_customer_figures", FIGURE_COLUMNS)
        batch_op.drop_index("ix_orders_customer_uid")


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_customer_uid", ["customer_uid"])
        batch_op.drop_index("ix_orders_customer_figures")
