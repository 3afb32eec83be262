"""inbox without foreign keys (fan-out: PostgreSQL checks them row by row)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_constraint("fk_inbox_event_id_events", type_="foreignkey")
        batch.drop_constraint("fk_inbox_person_id_people", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.create_foreign_key("fk_inbox_person_id_people", "people", ["person_id"], ["id"])
        batch.create_foreign_key("fk_inbox_event_id_events", "events", ["event_id"], ["id"],
                                 ondelete="CASCADE")
