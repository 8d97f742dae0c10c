"""when the process running an import job last said it was alive

A job whose process died (kill -9, a lost machine) stayed "running" for good;
the heartbeat lets any worker tell a running job from an abandoned one.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from winback.storage.schema import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_jobs", sa.Column("heartbeat_at", UTCDateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_column("heartbeat_at")
