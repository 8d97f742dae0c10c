"""when an erasure emptied a refused delivery that named the person

A customers/delete empties the refused deliveries that name the person (they
are shown on /api/v1/events, and never applied); the time says which were
emptied, and when.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from winback.storage.schema import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # (a plain ALTER on both databases: the log is the largest table, never copied)
    op.add_column("raw_events", sa.Column("redacted_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("raw_events") as batch:
        batch.drop_column("redacted_at")
