"""SQL for messages: insert, find a retried send, history pages, edits and recalls."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server import models as m
from orgchart import models as om
from orgchart.service.present import iso

messages = m.Message.__table__

_COLUMNS = (messages, om.Person.name.label("sender_name"), om.Post.code.label("as_post_code"),
            om.Post.title.label("as_post_title"))


def _select():
    return (select(*_COLUMNS).join(om.Person, om.Person.id == messages.c.sender_id)
            .outerjoin(om.Post, om.Post.id == messages.c.as_post_id))


def message_json(row: Any) -> dict[str, Any]:
    """A message as clients see it; a recalled message keeps its place but not its content."""
    r = row._mapping if hasattr(row, "_mapping") else row
    recalled = r["recalled_at"] is not None
    body = json.loads(r["body"])
    return {
        "id": r["id"],
        "conversation": r["conversation_id"],
        "seq": r["seq"],
        "sender": {"id": r["sender_id"], "name": r["sender_name"]},
        "as_post": {"code": r["as_post_code"], "title": r["as_post_title"]} if r["as_post_code"] else None,
        "client_msg_id": r["client_msg_id"],
        "type": r["content_type"],
        "content": None if recalled else body.get("content"),
        "mentions": body.get("mentions", []),
        "reply_to": r["reply_to_id"],
        "urgent": bool(r["urgent"]),
        "created_at": iso(r["created_at"]),
        "edited_at": iso(r["edited_at"]),
        "recalled": recalled,
    }


async def by_client_id(conn: AsyncConnection, sender_id: int, client_msg_id: str) -> dict | None:
    row = (await conn.execute(_select().where(messages.c.sender_id == sender_id,
                                              messages.c.client_msg_id == client_msg_id))).first()
    return message_json(row) if row else None


async def by_client_ids(conn: AsyncConnection, keys: set[tuple[int, str]]) -> dict[tuple[int, str], dict]:
    """Messages already stored under these ``(sender, client_msg_id)`` pairs: retried sends."""
    if not keys:
        return {}
    rows = (await conn.execute(_select().where(
        tuple_(messages.c.sender_id, messages.c.client_msg_id).in_(sorted(keys))))).all()
    return {(row.sender_id, row.client_msg_id): message_json(row) for row in rows}


async def get(conn: AsyncConnection, message_id: int) -> Any:
    return (await conn.execute(_select().where(messages.c.id == message_id))).first()


async def insert_message(conn: AsyncConnection, **values: Any) -> dict[str, Any]:
    message_id = await conn.scalar(insert(messages).values(**values).returning(messages.c.id))
    return message_json(await get(conn, message_id))


async def history(conn: AsyncConnection, conversation_id: int, before_seq: int | None,
                  limit: int) -> list[dict[str, Any]]:
    query = _select().where(messages.c.conversation_id == conversation_id)
    if before_seq is not None:
        query = query.where(messages.c.seq < before_seq)
    rows = (await conn.execute(query.order_by(messages.c.seq.desc()).limit(limit))).all()
    return [message_json(r) for r in reversed(rows)]


async def set_edit(conn: AsyncConnection, message_id: int, body: str, search_text: str,
                   now: dt.datetime) -> dict[str, Any]:
    await conn.execute(update(messages).where(messages.c.id == message_id)
                       .values(body=body, search_text=search_text, edited_at=now))
    return message_json(await get(conn, message_id))


async def set_recalled(conn: AsyncConnection, message_id: int, now: dt.datetime) -> dict[str, Any]:
    await conn.execute(update(messages).where(messages.c.id == message_id)
                       .values(recalled_at=now, search_text=""))
    return message_json(await get(conn, message_id))


async def current(conn: AsyncConnection, message_ids: set[int]) -> dict[int, Any]:
    """The stored rows of several messages as they are now, by id (replay shows this state)."""
    if not message_ids:
        return {}
    return {row.id: row for row in (await conn.execute(_select().where(messages.c.id.in_(message_ids)))).all()}
