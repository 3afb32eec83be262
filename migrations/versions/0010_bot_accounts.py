"""bot_accounts: the bot side of a person of role ``bot`` (description, owner, enabled)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_accounts",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("owner_department_id", sa.Integer(), nullable=True),
        sa.Column("owner_post_id", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_bot_accounts_person_id_people")),
        sa.ForeignKeyConstraint(["owner_department_id"], ["departments.id"],
                                name=op.f("fk_bot_accounts_owner_department_id_departments")),
        sa.ForeignKeyConstraint(["owner_post_id"], ["posts.id"], name=op.f("fk_bot_accounts_owner_post_id_posts")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_bot_accounts")),
    )


def downgrade() -> None:
    op.drop_table("bot_accounts")
