"""a count of the transactions that wrote derived state

On SQLite the applier works a batch out on a snapshot, outside the one write
lock, and writes it only if no other transaction wrote derived state since:
every one that takes the apply lock counts itself here.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "derived_writes",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_derived_writes")),
    )


def downgrade() -> None:
    op.drop_table("derived_writes")
