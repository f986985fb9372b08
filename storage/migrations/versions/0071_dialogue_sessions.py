"""dialogue sessions: leaders meet citizens, with questions in advance and supports; the reception schedule

Revision ID: 0071
Revises: 0070
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0071"
down_revision = "0070"
branch_labels = None
depends_on = None

TS = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dialogue_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("series_key", sa.String(length=120), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=64), nullable=True),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("reminded_at", TS, nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_dialogue_sessions_unit_id_units")),
        sa.ForeignKeyConstraint(["created_by"], ["officials.id"],
                                name=op.f("fk_dialogue_sessions_created_by_officials")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogue_sessions")),
        sa.UniqueConstraint("series_key", name=op.f("uq_dialogue_sessions_series_key")),
    )
    op.create_index("ix_dialogue_sessions_starts_at", "dialogue_sessions", ["starts_at"])
    op.create_table(
        "dialogue_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=True),
        sa.Column("identity_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("area_code", sa.String(length=64), nullable=True),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("supports", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["dialogue_sessions.id"],
                                name=op.f("fk_dialogue_questions_session_id_dialogue_sessions")),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"], name=op.f("fk_dialogue_questions_citizen_id_citizens")),
        sa.ForeignKeyConstraint(["identity_id"], ["channel_identities.id"],
                                name=op.f("fk_dialogue_questions_identity_id_channel_identities")),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachments.id"],
                                name=op.f("fk_dialogue_questions_attachment_id_attachments")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_dialogue_questions_unit_id_units")),
        sa.ForeignKeyConstraint(["answered_by"], ["officials.id"],
                                name=op.f("fk_dialogue_questions_answered_by_officials")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_dialogue_questions_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogue_questions")),
    )
    op.create_index(op.f("ix_dialogue_questions_session_id"), "dialogue_questions", ["session_id"])
    op.create_table(
        "dialogue_supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["dialogue_questions.id"],
                                name=op.f("fk_dialogue_supports_question_id_dialogue_questions")),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"], name=op.f("fk_dialogue_supports_citizen_id_citizens")),
        sa.ForeignKeyConstraint(["identity_id"], ["channel_identities.id"],
                                name=op.f("fk_dialogue_supports_identity_id_channel_identities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialogue_supports")),
        sa.UniqueConstraint("question_id", "citizen_id", name=op.f("uq_dialogue_supports_question_id")),
    )
    op.create_index(op.f("ix_dialogue_supports_question_id"), "dialogue_supports", ["question_id"])


def downgrade() -> None:
    op.drop_table("dialogue_supports")
    op.drop_table("dialogue_questions")
    op.drop_table("dialogue_sessions")
