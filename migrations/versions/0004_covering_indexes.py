"""Covering indexes for holders and duty tags (selector counts at province scale)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("holdings") as batch:
        batch.drop_index("ix_holdings_post_end")
        batch.create_index("ix_holdings_post_current", ["post_id", "end_date", "start_date", "person_id"])
    with op.batch_alter_table("post_duties") as batch:
        batch.drop_index("ix_post_duties_tag_path")
        batch.create_index("ix_post_duties_tag_path", ["tag", "unit_path", "level", "post_id"])


def downgrade() -> None:
    with op.batch_alter_table("post_duties") as batch:
        batch.drop_index("ix_post_duties_tag_path")
        batch.create_index("ix_post_duties_tag_path", ["tag", "unit_path"])
    with op.batch_alter_table("holdings") as batch:
        batch.drop_index("ix_holdings_post_current")
        batch.create_index("ix_holdings_post_end", ["post_id", "end_date"])
