"""channels: Zalo, web chat, sending rules, tracking

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import storage.types  # noqa: F401

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # --- web chat history and tracking-page PIN attempts ---
    op.create_table(
        "web_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_messages")),
    )
    with op.batch_alter_table("web_messages", schema=None) as batch_op:
        batch_op.create_index("ix_web_messages_chat", ["chat_id", "id"], unique=False)
    op.create_table(
        "pin_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pin_attempts")),
    )
    with op.batch_alter_table("pin_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_pin_attempts_code", ["code", "at"], unique=False)
        batch_op.create_index("ix_pin_attempts_address", ["address", "at"], unique=False)

    # --- Zalo: reply windows, proactive quota, the Official Account's tokens ---
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_as", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("held_at", storage.types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("channel_identities", schema=None) as batch_op:
        batch_op.create_index("ix_channel_identities_chat", ["channel", "chat_id"], unique=False)
    op.create_table(
        "proactive_quota",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "period", name=op.f("pk_proactive_quota")),
    )
    op.create_table(
        "zalo_oa_tokens",
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("access_expires_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("seeded_from", sa.String(length=64), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_zalo_oa_tokens")),
    )


def downgrade() -> None:
    # --- Zalo: reply windows, proactive quota, the Official Account's tokens ---
    op.drop_table("zalo_oa_tokens")
    op.drop_table("proactive_quota")
    with op.batch_alter_table("channel_identities", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_identities_chat")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("held_at")
        batch_op.drop_column("sent_as")

    # --- web chat history and tracking-page PIN attempts ---
    op.drop_table("pin_attempts")
    op.drop_table("web_messages")
