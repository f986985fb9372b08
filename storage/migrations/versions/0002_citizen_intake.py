"""citizen intake: drafts, evidence, privacy

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # --- evidence fetched by a queued job ---
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), server_default="stored", nullable=False))
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("platform_ref", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("fetch_attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("fetch_after", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("error", sa.String(length=255), nullable=True))
        batch_op.create_index("ix_attachments_fetch", ["status", "fetch_after"], unique=False)

    # --- drafts between messages ---
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("touched_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"], name=op.f("fk_drafts_citizen_id_citizens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        sa.UniqueConstraint("channel", "chat_id", name=op.f("uq_drafts_channel")),
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.create_index("ix_drafts_touched_at", ["touched_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_drafts_citizen_id"), ["citizen_id"], unique=False)

    # --- deletions finished after the last reply went out ---
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("requested_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
    )


def downgrade() -> None:
    op.drop_table("erasures")
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drafts_citizen_id"))
        batch_op.drop_index("ix_drafts_touched_at")
    op.drop_table("drafts")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_attachments_fetch")
        batch_op.drop_column("error")
        batch_op.drop_column("fetch_after")
        batch_op.drop_column("fetch_attempts")
        batch_op.drop_column("name")
        batch_op.drop_column("platform_ref")
        batch_op.drop_column("channel")
        batch_op.drop_column("status")
