"""the sign-ups that asked for a double opt-in, with what their wait was decided from

Whether a sign-up waits for its confirmation depends on the shopper's consent as
of the sign-up; what arrives later about that time (an older unsubscribe, an older
flag) decides it again, so the outcome does not depend on the order of delivery.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from winback.storage.schema import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opt_in_requests",
        sa.Column("store_id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("asked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "email", name=op.f("pk_opt_in_requests")),
    )


def downgrade() -> None:
    op.drop_table("opt_in_requests")
