"""officials: invites, actions, ratings, reveals

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "official_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_by_identity_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["official_id"], ["officials.id"],
                                name=op.f("fk_official_invites_official_id_officials")),
        sa.ForeignKeyConstraint(["created_by"], ["officials.id"],
                                name=op.f("fk_official_invites_created_by_officials")),
        sa.ForeignKeyConstraint(["used_by_identity_id"], ["channel_identities.id"],
                                name=op.f("fk_official_invites_used_by_identity_id_channel_identities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_official_invites")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_official_invites_code_hash")),
    )
    with op.batch_alter_table("official_invites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_official_invites_official_id"), ["official_id"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_reply_identity", ["reply_identity_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_reply_identity")
    with op.batch_alter_table("official_invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_official_invites_official_id"))
    op.drop_table("official_invites")
