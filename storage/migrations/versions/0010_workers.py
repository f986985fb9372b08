"""workers: process heartbeats (a dead holder's chats are free at once), inbox retry spacing

Revision ID: 0010
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0010"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_workers")),
    )
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("next_attempt_at", storage.types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("leases") as batch:
        batch.create_index("ix_leases_owner", ["owner"])


def downgrade() -> None:
    with op.batch_alter_table("leases") as batch:
        batch.drop_index("ix_leases_owner")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("next_attempt_at")
    op.drop_table("workers")
