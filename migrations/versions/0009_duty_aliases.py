"""duty_aliases: the short forms people type for duty tags (村支书 → 村党支部书记)

Seeded with the common short forms of the tags the directory uses (the generator's and so the
demo's); admins edit the table with ``zhengding org alias`` and the admin API.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: alias -> tags. Frozen here: later changes to the defaults are data edits, not this migration.
SEED: dict[str, tuple[str, ...]] = {
    "村支书": ("村党支部书记",),
    "支书": ("村党支部书记",),
    "村书记": ("村党支部书记",),
    "社区书记": ("社区党组织书记",),
    "村社书记": ("村党支部书记", "社区党组织书记"),
    "网格管理员": ("网格员",),
    "专职网格员": ("网格员",),
    "专管员": ("税务专管员",),
    "税收专管员": ("税务专管员",),
    "安监员": ("安全生产监管员",),
    "安全员": ("安全生产监管员",),
    "食安员": ("食品安全监管员",),
    "企服专员": ("企业服务专员",),
    "环保执法员": ("环境执法员",),
    "监委会主任": ("监督委员会主任",),
    "防汛负责人": ("防汛责任人",),
}


def upgrade() -> None:
    table = op.create_table(
        "duty_aliases",
        sa.Column("alias", sa.String(40), nullable=False),
        sa.Column("tag", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("alias", "tag", name=op.f("pk_duty_aliases")),
    )
    op.bulk_insert(table, [{"alias": alias, "tag": tag}
                           for alias, tags in SEED.items() for tag in tags])


def downgrade() -> None:
    op.drop_table("duty_aliases")
