"""Who is in a conversation: people directly, the current holders of member posts, and the
members of member enterprises. Holders are looked up when used, so when a post changes hands
the successor is in and the predecessor is out — with no membership rows to rewrite.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server import models as m
from orgchart import models as om
from orgchart.store.holdings import current_on

members = m.ConversationMember.__table__
holdings = om.Holding.__table__
enterprise_members = om.EnterpriseMember.__table__


def people_of(conversation_id: int, today: dt.date) -> Select:
    """Person ids of every member of the conversation now."""
    direct = select(members.c.person_id.label("person_id")).where(
        members.c.conversation_id == conversation_id, members.c.member_type == "person")
    by_post = (select(holdings.c.person_id)
               .join(members, members.c.post_id == holdings.c.post_id)
               .where(members.c.conversation_id == conversation_id, members.c.member_type == "post",
                      current_on(today)))
    by_enterprise = (select(enterprise_members.c.person_id)
                     .join(members, members.c.enterprise_id == enterprise_members.c.enterprise_id)
                     .where(members.c.conversation_id == conversation_id,
                            members.c.member_type == "enterprise"))
    return union(direct, by_post, by_enterprise)


def conversations_of(person_id: int, today: dt.date) -> Select:
    """Ids of every conversation the person is a member of now."""
    direct = select(members.c.conversation_id.label("conversation_id")).where(
        members.c.member_type == "person", members.c.person_id == person_id)
    by_post = (select(members.c.conversation_id)
               .join(holdings, holdings.c.post_id == members.c.post_id)
               .where(members.c.member_type == "post", holdings.c.person_id == person_id,
                      current_on(today)))
    by_enterprise = (select(members.c.conversation_id)
                     .join(enterprise_members, enterprise_members.c.enterprise_id == members.c.enterprise_id)
                     .where(members.c.member_type == "enterprise", enterprise_members.c.person_id == person_id))
    return union(direct, by_post, by_enterprise)


def _membership_rows(conversation_id: int, person_id: int, today: dt.date) -> ColumnElement[bool]:
    return and_(members.c.conversation_id == conversation_id, or_(
        and_(members.c.member_type == "person", members.c.person_id == person_id),
        and_(members.c.member_type == "post", exists(select(holdings.c.id).where(
            holdings.c.post_id == members.c.post_id, holdings.c.person_id == person_id,
            current_on(today)))),
        and_(members.c.member_type == "enterprise", exists(select(enterprise_members.c.person_id).where(
            enterprise_members.c.enterprise_id == members.c.enterprise_id,
            enterprise_members.c.person_id == person_id)))))


async def recipients(conn: AsyncConnection, conversation_id: int, today: dt.date) -> set[int]:
    return set((await conn.execute(people_of(conversation_id, today))).scalars())


async def membership(conn: AsyncConnection, conversation_id: int, person_id: int,
                     today: dt.date) -> tuple[bool, bool, str]:
    """``(is_member, may_post, best_role)`` of a person in a conversation."""
    rows = (await conn.execute(select(members.c.role, members.c.can_post).where(
        _membership_rows(conversation_id, person_id, today)))).all()
    if not rows:
        return False, False, "none"
    role = "owner" if any(r.role == "owner" for r in rows) else (
        "admin" if any(r.role == "admin" for r in rows) else "member")
    return True, any(r.can_post for r in rows) or role in ("owner", "admin"), role


async def held_posts(conn: AsyncConnection, person_id: int, today: dt.date) -> dict[str, tuple[int, str, bool]]:
    """The posts a person holds now: code -> (id, title, serves_enterprises)."""
    rows = (await conn.execute(
        select(om.Post.code, om.Post.id, om.Post.title, om.Post.serves_enterprises)
        .join(holdings, holdings.c.post_id == om.Post.id)
        .where(holdings.c.person_id == person_id, current_on(today)))).all()
    return {r.code: (r.id, r.title, r.serves_enterprises) for r in rows}


async def member_rows(conn: AsyncConnection, conversation_ids: set[int],
                      today: dt.date) -> list[tuple[int, int, str, bool]]:
    """``(conversation, person, role, can_post)`` for every member of several conversations, in
    one statement (the bulk send checks a whole batch of senders with it)."""
    cid = members.c.conversation_id
    direct = select(cid, members.c.person_id, members.c.role, members.c.can_post).where(
        cid.in_(conversation_ids), members.c.member_type == "person")
    by_post = (select(cid, holdings.c.person_id, members.c.role, members.c.can_post)
               .join(holdings, holdings.c.post_id == members.c.post_id)
               .where(cid.in_(conversation_ids), members.c.member_type == "post", current_on(today)))
    by_enterprise = (select(cid, enterprise_members.c.person_id, members.c.role, members.c.can_post)
                     .join(enterprise_members, enterprise_members.c.enterprise_id == members.c.enterprise_id)
                     .where(cid.in_(conversation_ids), members.c.member_type == "enterprise"))
    return [tuple(row) for row in (await conn.execute(direct.union_all(by_post, by_enterprise))).all()]


async def readable(conn: AsyncConnection, people: set[int], conversation_ids: set[int],
                   today: dt.date) -> set[tuple[int, int]]:
    """``(person, conversation)`` for each of ``people`` who is a member of each of the
    conversations now — :func:`membership`'s rule, for many pairs in one statement (replay)."""
    if not people or not conversation_ids:
        return set()
    cid = members.c.conversation_id
    direct = select(members.c.person_id, cid).where(
        cid.in_(conversation_ids), members.c.member_type == "person", members.c.person_id.in_(people))
    by_post = (select(holdings.c.person_id, cid)
               .join(holdings, holdings.c.post_id == members.c.post_id)
               .where(cid.in_(conversation_ids), members.c.member_type == "post",
                      holdings.c.person_id.in_(people), current_on(today)))
    by_enterprise = (select(enterprise_members.c.person_id, cid)
                     .join(enterprise_members, enterprise_members.c.enterprise_id == members.c.enterprise_id)
                     .where(cid.in_(conversation_ids), members.c.member_type == "enterprise",
                            enterprise_members.c.person_id.in_(people)))
    return {(person, conversation) for person, conversation in
            (await conn.execute(union(direct, by_post, by_enterprise))).all()}


async def held_codes(conn: AsyncConnection, people: set[int], today: dt.date) -> set[tuple[int, str]]:
    """``(person, post code)`` of every post the people hold now."""
    if not people:
        return set()
    rows = await conn.execute(select(holdings.c.person_id, om.Post.code)
                              .join(om.Post, om.Post.id == holdings.c.post_id)
                              .where(holdings.c.person_id.in_(people), current_on(today)))
    return {(person, code) for person, code in rows.all()}
