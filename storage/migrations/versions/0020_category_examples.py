"""category examples: what officials taught the matcher by re-categorising cases

Revision ID: 0020
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0020"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "category_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("official_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("previous_category_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name=op.f("fk_category_examples_category_id_categories")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_category_examples_case_id_cases")),
        sa.ForeignKeyConstraint(["official_id"], ["officials.id"],
                                name=op.f("fk_category_examples_official_id_officials")),
        sa.ForeignKeyConstraint(["previous_category_id"], ["categories.id"],
                                name=op.f("fk_category_examples_previous_category_id_categories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_examples")),
    )
    op.create_index(op.f("ix_category_examples_category_id"), "category_examples", ["category_id"])
    op.create_index(op.f("ix_category_examples_case_id"), "category_examples", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_category_examples_case_id"), table_name="category_examples")
    op.drop_index(op.f("ix_category_examples_category_id"), table_name="category_examples")
    op.drop_table("category_examples")
