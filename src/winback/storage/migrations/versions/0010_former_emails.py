"""each time a customer left an address, and since when they had it

An unsubscribe of an address its customer has since left, delivered after the
change, must still reach that customer (and follow them to their new address),
as it would have had it arrived first.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from winback.storage.schema import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "former_emails",
        sa.Column("store_id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("customer_uid", sa.String(length=32), nullable=False),
        sa.Column("until", UTCDateTime(timezone=True), nullable=False),
        sa.Column("since", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "store_id", "email", "customer_uid", "until", name=op.f("pk_former_emails")
        ),
    )
    op.create_index(
        "ix_former_emails_customer", "former_emails", ["store_id", "customer_uid"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_former_emails_customer", table_name="former_emails")
    op.drop_table("former_emails")
