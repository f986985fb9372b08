"""abuse and privacy: PIN guards, abuse counters, reveal audit chain, transcript redaction

Revision ID: 0030
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0030"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pin_guards",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_try_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_pin_guards")),
    )
    op.create_table(
        "abuse_counters",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("window_start", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_abuse_counters")),
    )
    op.create_table(
        "reveal_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("other_official_id", sa.Integer(), nullable=False),
        sa.Column("approval_id", sa.Integer(), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reveal_audit")),
        sa.UniqueConstraint("approval_id", name=op.f("uq_reveal_audit_approval_id")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_reveal_audit_prev_hash")),
        sa.UniqueConstraint("hash", name=op.f("uq_reveal_audit_hash")),
    )
    with op.batch_alter_table("reveal_audit", schema=None) as batch_op:
        batch_op.create_index("ix_reveal_audit_case", ["case_id"], unique=False)
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sa.JSON(), nullable=True))
    with op.batch_alter_table("web_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redact_at", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_web_messages_redact_at"), ["redact_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("profile")
    with op.batch_alter_table("web_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_messages_redact_at"))
        batch_op.drop_column("redact_at")
    with op.batch_alter_table("reveal_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_reveal_audit_case")
    op.drop_table("reveal_audit")
    op.drop_table("abuse_counters")
    op.drop_table("pin_guards")
