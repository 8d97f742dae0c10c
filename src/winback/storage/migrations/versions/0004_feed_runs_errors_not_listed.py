"""feed runs count the row errors they do not list

A run lists its first 1,000 row errors; ``errors_not_listed`` says how many more
there were, as an import job's report does.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "feed_runs",
        sa.Column("errors_not_listed", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("feed_runs") as batch:
        batch.drop_column("errors_not_listed")
