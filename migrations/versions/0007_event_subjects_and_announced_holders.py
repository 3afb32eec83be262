"""what each event is about (replay applies today's read rule and shows current state), and
the holders announced per post (rotations emit conversation.new / conversation.removed)

Events already in the log get their subject from their payload, so that a replay after the
upgrade filters them too. The announced holders start as the current holders of every post
that is a member of a conversation: nobody is told again what they already know.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MESSAGE_EVENTS = "('message.new', 'message.edited', 'message.recalled')"


def _text(dialect: str, path: tuple[str, ...]) -> str:
    if dialect == "postgresql":
        return f"(CAST(payload AS json) #>> '{{{','.join(path)}}}')"
    return f"json_extract(payload, '$.{'.'.join(path)}')"


def _ref(dialect: str, *path: str) -> str:
    """The id at ``path`` in the JSON payload, whether it holds an object (its ``id``) or the id
    itself (NULL when absent). COALESCE stops at the first value, so an object is never cast."""
    ints = [f"CAST({_text(dialect, (*path, 'id'))} AS BIGINT)", f"CAST({_text(dialect, path)} AS BIGINT)"]
    return f"COALESCE({', '.join(ints)})"


def _backfill(dialect: str) -> None:
    def ref(*path: str) -> str:
        return _ref(dialect, *path)

    kind = _text(dialect, ("kind",))
    # A message object names its conversation; an event may also name it beside the message.
    op.execute(f"UPDATE events SET conversation_id = COALESCE({ref('conversation')}, "
               f"{ref('message', 'conversation')}), message_id = {ref('message')} "
               f"WHERE type IN {MESSAGE_EVENTS} OR type IN ('card.click', 'conversation.new', "
               f"'conversation.read') OR (type = 'ding' AND {kind} = 'message')")
    op.execute(f"UPDATE events SET notice_id = {ref('notice')} "
               f"WHERE type IN ('notice.new', 'notice.read', 'notice.confirmed') "
               f"OR (type = 'ding' AND {kind} = 'notice')")


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                                   nullable=True))
        batch.add_column(sa.Column("notice_id", sa.Integer(), nullable=True))
    _backfill(op.get_bind().dialect.name)
    op.create_table(
        "announced_holders",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("post_id", "person_id", name=op.f("pk_announced_holders")),
    )
    op.execute(
        "INSERT INTO announced_holders (post_id, person_id) "
        "SELECT DISTINCT h.post_id, h.person_id FROM holdings h "
        "WHERE h.start_date <= CURRENT_DATE AND (h.end_date IS NULL OR h.end_date > CURRENT_DATE) "
        "AND h.post_id IN (SELECT post_id FROM conversation_members WHERE member_type = 'post')")


def downgrade() -> None:
    op.drop_table("announced_holders")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("notice_id")
        batch.drop_column("message_id")
        batch.drop_column("conversation_id")
