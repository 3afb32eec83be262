"""SQL for the holders announced per post: who was last told they hold a post that is a member
of conversations (``announced_holders``), and how that differs from who holds it today.

A post conversation's members are the post's current holders, looked up when used; this table
only remembers whom the server has *told* so, so that a rotation — by the admin API, an import,
or a holding that ends by date — is announced exactly once, on whichever node notices it first.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, except_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server import models as m
from orgchart import models as om
from orgchart.store.holdings import current_on

announced = m.AnnouncedHolder.__table__
members = m.ConversationMember.__table__
holdings = om.Holding.__table__

Pair = tuple[int, int]  # post, person


def _watched(posts: set[int] | None):
    """Posts that are members of some conversation (of ``posts``, when given)."""
    query = select(members.c.post_id).where(members.c.member_type == "post")
    return query.where(members.c.post_id.in_(posts)) if posts is not None else query


def _holders_now(posts, today: dt.date):
    return select(holdings.c.post_id, holdings.c.person_id).where(holdings.c.post_id.in_(posts),
                                                                  current_on(today))


async def seed(conn: AsyncConnection, posts: set[int], today: dt.date) -> None:
    """A conversation got these posts as members: their holders now know (they got its
    ``conversation.new``), so they are announced already."""
    if not posts:
        return
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    await conn.execute(dialect_insert(announced).from_select(
        ["post_id", "person_id"], _holders_now(posts, today).distinct()).on_conflict_do_nothing())


async def differences(conn: AsyncConnection, posts: set[int] | None,
                      today: dt.date) -> tuple[set[Pair], set[Pair]]:
    """``(gained, lost)``: holders now not yet announced, and announced ones who hold no more —
    over the posts that are conversation members (of ``posts``, when given)."""
    if posts is not None and not posts:
        return set(), set()
    watched = _watched(posts)
    now = _holders_now(watched, today)
    told = select(announced.c.post_id, announced.c.person_id).where(announced.c.post_id.in_(watched))
    gained = {(post, person) for post, person in (await conn.execute(except_(now, told))).all()}
    lost = {(post, person) for post, person in (await conn.execute(except_(told, now))).all()}
    return gained, lost


async def record(conn: AsyncConnection, gained: Iterable[Pair], lost: Iterable[Pair]) -> None:
    gained, lost = sorted(gained), sorted(lost)
    if lost:
        await conn.execute(delete(announced).where(
            tuple_(announced.c.post_id, announced.c.person_id).in_(lost)))
    if gained:
        await conn.execute(announced.insert(), [{"post_id": post, "person_id": person}
                                                for post, person in gained])


async def conversations_of_posts(conn: AsyncConnection, posts: set[int]) -> list[Pair]:
    """``(conversation, post)`` for every conversation that has one of the posts as a member."""
    if not posts:
        return []
    rows = await conn.execute(select(members.c.conversation_id, members.c.post_id).distinct().where(
        members.c.member_type == "post", members.c.post_id.in_(posts)))
    return [(conversation, post) for conversation, post in rows.all()]
