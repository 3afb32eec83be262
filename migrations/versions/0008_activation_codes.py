"""activation codes: single-use, expiring codes with which imported people set their password

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activation_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("failed_attempts", sa.SmallInteger(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_activation_codes_person_id_people")),
        sa.ForeignKeyConstraint(["issued_by"], ["people.id"], name=op.f("fk_activation_codes_issued_by_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_codes")),
    )
    op.create_index("ix_activation_codes_person_created", "activation_codes", ["person_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_activation_codes_person_created", table_name="activation_codes")
    op.drop_table("activation_codes")
