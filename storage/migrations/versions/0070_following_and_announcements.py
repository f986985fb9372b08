"""following an area and topics, and announcements to followers

Revision ID: 0070
Revises: 0060
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0070"
down_revision = "0060"
branch_labels = None
depends_on = None

TS = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=64), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("notice_version", sa.String(length=16), nullable=True),
        sa.Column("offered_at", TS, nullable=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("stopped_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"], name=op.f("fk_subscriptions_citizen_id_citizens")),
        sa.ForeignKeyConstraint(["identity_id"], ["channel_identities.id"],
                                name=op.f("fk_subscriptions_identity_id_channel_identities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("identity_id", name=op.f("uq_subscriptions_identity_id")),
    )
    op.create_index(op.f("ix_subscriptions_citizen_id"), "subscriptions", ["citizen_id"])
    op.create_index("ix_subscriptions_active", "subscriptions", ["active", "area_code"])
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("sender_identity_id", sa.Integer(), nullable=True),
        sa.Column("area_code", sa.String(length=64), nullable=True),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("settled_at", TS, nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_announcements_unit_id_units")),
        sa.ForeignKeyConstraint(["official_id"], ["officials.id"], name=op.f("fk_announcements_official_id_officials")),
        sa.ForeignKeyConstraint(["sender_identity_id"], ["channel_identities.id"],
                                name=op.f("fk_announcements_sender_identity_id_channel_identities")),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachments.id"],
                                name=op.f("fk_announcements_attachment_id_attachments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    op.create_index("ix_announcements_settled", "announcements", ["settled_at"])
    op.create_table(
        "announcement_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("proactive", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["announcement_id"], ["announcements.id"],
                                name=op.f("fk_announcement_recipients_announcement_id_announcements")),
        sa.ForeignKeyConstraint(["identity_id"], ["channel_identities.id"],
                                name=op.f("fk_announcement_recipients_identity_id_channel_identities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement_recipients")),
        sa.UniqueConstraint("announcement_id", "identity_id",
                            name=op.f("uq_announcement_recipients_announcement_id")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_announcement_recipients_dedup_key")),
    )
    op.create_index(op.f("ix_announcement_recipients_announcement_id"), "announcement_recipients",
                    ["announcement_id"])


def downgrade() -> None:
    op.drop_table("announcement_recipients")
    op.drop_index("ix_announcements_settled", table_name="announcements")
    op.drop_table("announcements")
    op.drop_index("ix_subscriptions_active", table_name="subscriptions")
    op.drop_index(op.f("ix_subscriptions_citizen_id"), table_name="subscriptions")
    op.drop_table("subscriptions")
