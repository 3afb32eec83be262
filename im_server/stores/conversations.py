"""SQL for conversations: create, find, describe, list with unread counts."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import and_, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server import models as m
from im_server.stores.membership import conversations_of
from orgchart import models as om
from orgchart.service.present import iso

conversations = m.Conversation.__table__
members = m.ConversationMember.__table__


async def find_by_pair(conn: AsyncConnection, pair_key: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(conversations).where(conversations.c.pair_key == pair_key))).first()
    return dict(row._mapping) if row else None


async def get(conn: AsyncConnection, conversation_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(select(conversations).where(conversations.c.id == conversation_id))).first()
    return dict(row._mapping) if row else None


async def create(conn: AsyncConnection, *, kind: str, title: str, pair_key: str | None,
                 created_by: int, member_rows: list[dict[str, Any]]) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    conversation_id = await conn.scalar(insert(conversations).values(
        kind=kind, title=title, pair_key=pair_key, created_by=created_by, created_at=now,
        last_seq=0).returning(conversations.c.id))
    await conn.execute(insert(members), [
        {"conversation_id": conversation_id, "person_id": None, "post_id": None, "enterprise_id": None,
         "selector": None, "role": "member", "can_post": True, **row} for row in member_rows])
    return {"id": conversation_id, "kind": kind, "title": title, "pair_key": pair_key,
            "created_by": created_by, "created_at": now, "last_seq": 0}


async def next_seq(conn: AsyncConnection, conversation_id: int) -> int:
    """Take the next sequence number; the row lock orders concurrent senders."""
    return await conn.scalar(update(conversations).where(conversations.c.id == conversation_id)
                             .values(last_seq=conversations.c.last_seq + 1)
                             .returning(conversations.c.last_seq))


async def describe_members(conn: AsyncConnection, conversation_id: int) -> list[dict[str, Any]]:
    rows = (await conn.execute(
        select(members.c.member_type, members.c.role, members.c.can_post, members.c.selector,
               om.Person.id.label("person_id"), om.Person.name.label("person_name"),
               om.Post.code.label("post_code"), om.Post.title.label("post_title"),
               om.Enterprise.credit_code, om.Enterprise.name.label("enterprise_name"))
        .outerjoin(om.Person, om.Person.id == members.c.person_id)
        .outerjoin(om.Post, om.Post.id == members.c.post_id)
        .outerjoin(om.Enterprise, om.Enterprise.id == members.c.enterprise_id)
        .where(members.c.conversation_id == conversation_id).order_by(members.c.id))).all()
    described = []
    for r in rows:
        item: dict[str, Any] = {"type": r.member_type, "role": r.role, "can_post": r.can_post}
        if r.member_type == "person":
            item["person"] = {"id": r.person_id, "name": r.person_name}
        elif r.member_type == "post":
            item["post"] = {"code": r.post_code, "title": r.post_title}
        elif r.member_type == "enterprise":
            item["enterprise"] = {"credit_code": r.credit_code, "name": r.enterprise_name}
        else:
            item["selector"] = r.selector
        described.append(item)
    return described


async def list_for(conn: AsyncConnection, person_id: int, today: dt.date, limit: int) -> list[dict[str, Any]]:
    """The person's conversations, most recently active first, with unread counts."""
    mine = conversations_of(person_id, today).subquery()
    last_at = (select(func.max(m.Message.created_at)).where(m.Message.conversation_id == conversations.c.id)
               .scalar_subquery())
    rows = (await conn.execute(
        select(conversations, last_at.label("last_at"))
        .where(conversations.c.id.in_(select(mine.c.conversation_id)))
        .order_by(func.coalesce(last_at, conversations.c.created_at).desc()).limit(limit))).all()
    ids = [r.id for r in rows]
    unread: dict[int, int] = {}
    if ids:
        read = m.ReadState.__table__
        unread = dict((await conn.execute(
            select(m.Message.conversation_id, func.count())
            .outerjoin(read, and_(read.c.conversation_id == m.Message.conversation_id,
                                  read.c.person_id == person_id))
            .where(m.Message.conversation_id.in_(ids), m.Message.sender_id != person_id,
                   m.Message.recalled_at.is_(None),
                   m.Message.seq > func.coalesce(read.c.last_read_seq, 0))
            .group_by(m.Message.conversation_id))).all())
    last = await last_messages(conn, [(r.id, r.last_seq) for r in rows if r.last_seq])
    return [{"id": r.id, "kind": r.kind, "title": r.title, "last_seq": r.last_seq,
             "last_at": iso(r.last_at or r.created_at),
             "unread": unread.get(r.id, 0), "last_message": last.get(r.id)} for r in rows]


PREVIEW_CHARS = 80
_PLACEHOLDERS = {"image": "[图片]", "file": "[文件]", "card": "[卡片]"}


def preview(content_type: str, content: dict[str, Any] | None) -> str:
    """A one-line summary of a message for conversation lists (at most 80 characters)."""
    if content is None:
        return ""
    if content_type in ("text", "markdown"):
        text = content.get("title") or content.get("text") or ""
    else:
        text = _PLACEHOLDERS.get(content_type, "") + (content.get("title") or "")
    return " ".join(text.split())[:PREVIEW_CHARS]


async def last_messages(conn: AsyncConnection, keys: list[tuple[int, int]]) -> dict[int, dict[str, Any]]:
    """conversation -> a summary of its latest message, for ``(conversation, last_seq)`` pairs."""
    if not keys:
        return {}
    msg = m.Message.__table__
    rows = (await conn.execute(
        select(msg.c.conversation_id, msg.c.id, msg.c.seq, msg.c.sender_id, msg.c.content_type,
               msg.c.body, msg.c.created_at, msg.c.recalled_at, om.Person.name)
        .join(om.Person, om.Person.id == msg.c.sender_id)
        .where(tuple_(msg.c.conversation_id, msg.c.seq).in_(keys)))).all()
    return {r.conversation_id: {
        "id": r.id, "seq": r.seq, "sender": {"id": r.sender_id, "name": r.name}, "type": r.content_type,
        "preview": "" if r.recalled_at else preview(r.content_type, json.loads(r.body).get("content")),
        "created_at": iso(r.created_at), "recalled": r.recalled_at is not None} for r in rows}
