"""when an erasure took a person's details out of a logged event

A customers/delete erases the person from the integration log as well as from
the shoppers, orders and carts: the events about them keep what replaying the
log needs (their ids, email, the sale) and lose the rest. The time says which
events were rewritten, and when.

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
