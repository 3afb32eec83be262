"""notice_recipients without foreign keys (a notice to 10,000 people checked 40,000 row by row)

PostgreSQL checks a foreign key with a trigger per inserted row that locks the referenced row
FOR KEY SHARE: a notice to 1,000 people spent 67 of its 90 ms there, and held share locks on
1,000 people rows until it committed. The committer writes these rows with ids it has just
read in the same transaction, as it does the inbox's.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FOREIGN_KEYS = (
    ("fk_notice_recipients_notice_id_notices", "notices", "notice_id"),
    ("fk_notice_recipients_person_id_people", "people", "person_id"),
    ("fk_notice_recipients_via_post_id_posts", "posts", "via_post_id"),
    ("fk_notice_recipients_enterprise_id_enterprises", "enterprises", "enterprise_id"),
)


def upgrade() -> None:
    with op.batch_alter_table("notice_recipients") as batch:
        for name, _table, _column in FOREIGN_KEYS:
            batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("notice_recipients") as batch:
        for name, table, column in FOREIGN_KEYS:
            batch.create_foreign_key(name, table, [column], ["id"])
