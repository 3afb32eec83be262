"""msg.send, set-based: a batch of plain sends in a handful of statements.

The committer hands this runner every plain send of a batch (text, markdown or card without
mentions, replies, attachments, ``as_post`` or DING — those take the one-by-one job). For the
whole batch it reads retried client ids, the conversations and every member once, takes the
sequence numbers in memory (the batch holds the stream lock, so no other writer moves them),
inserts all messages in one multi-row statement and bumps each conversation's ``last_seq``.
The rules are the ones :func:`im_server.handlers.messages.send` applies one by one.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from im_server import models as m
from im_server.delivery.committer import JobResult, Outgoing
from im_server.protocol import ProtocolError
from im_server.stores.membership import member_rows
from im_server.stores.messages import by_client_ids
from orgchart.service.present import iso

conversations = m.Conversation.__table__
messages = m.Message.__table__


@dataclass
class PlainSend:
    sender_id: int
    sender_name: str
    conversation: int
    client_msg_id: str
    type: str
    content: dict[str, Any]
    search_text: str

    @property
    def key(self) -> tuple[int, str]:
        return self.sender_id, self.client_msg_id


def is_plain(args: dict[str, Any], mentions: list) -> bool:
    return not (mentions or args.get("reply_to") or args.get("as_post") or args.get("urgent")
                or args["type"] in ("image", "file"))


async def send_many(conn: AsyncConnection, sends: list[PlainSend]) -> list[JobResult | Exception | None]:
    from im_server.handlers.messages import (  # the one definition of an acknowledgement
        ack,
        retry_ack,
    )

    today = dt.date.today()
    results: list[JobResult | Exception | None] = [None] * len(sends)
    retried = await by_client_ids(conn, {send.key for send in sends})
    seen: set[tuple[int, str]] = set()
    todo = []
    for index, send in enumerate(sends):
        if send.key in retried:
            try:
                results[index] = JobResult(retry_ack(retried[send.key], send.conversation))
            except ProtocolError as exc:
                results[index] = exc
        elif send.key in seen:
            results[index] = None  # the same id twice in one batch: the single path answers it
        else:
            seen.add(send.key)
            todo.append(index)
    wanted = {sends[i].conversation for i in todo}
    last_seq = dict((await conn.execute(select(conversations.c.id, conversations.c.last_seq)
                                        .where(conversations.c.id.in_(wanted)))).all()) if wanted else {}
    people: dict[int, set[int]] = defaultdict(set)
    may_post: dict[tuple[int, int], bool] = defaultdict(bool)
    for conversation, person, role, can_post in (await member_rows(conn, set(last_seq), today)
                                                 if last_seq else []):
        people[conversation].add(person)
        may_post[conversation, person] |= bool(can_post) or role in ("owner", "admin")
    now = dt.datetime.now(dt.UTC)
    rows, placed = [], []
    for index in todo:
        send = sends[index]
        if send.conversation not in last_seq:
            results[index] = ProtocolError("not_found", "会话不存在")
        elif send.sender_id not in people[send.conversation]:
            results[index] = ProtocolError("forbidden", "您不是该会话的成员")
        elif not may_post[send.conversation, send.sender_id]:
            results[index] = ProtocolError("forbidden", "该频道仅限指定岗位发言")
        else:
            last_seq[send.conversation] += 1
            rows.append({"conversation_id": send.conversation, "seq": last_seq[send.conversation],
                         "sender_id": send.sender_id, "as_post_id": None, "client_msg_id": send.client_msg_id,
                         "content_type": send.type, "search_text": send.search_text, "reply_to_id": None,
                         "urgent": False, "created_at": now, "edited_at": None, "recalled_at": None,
                         "body": json.dumps({"content": send.content, "mentions": []}, ensure_ascii=False)})
            placed.append(index)
    if not rows:
        return results
    # One multi-row statement; ids are matched by (conversation, seq), which is unique, because
    # asking for RETURNING in parameter order makes SQLAlchemy insert row by row on SQLite.
    ids = {(conversation, seq): message_id for message_id, conversation, seq in await conn.execute(
        insert(messages).returning(messages.c.id, messages.c.conversation_id, messages.c.seq), rows)}
    bumped = {row["conversation_id"]: row["seq"] for row in rows}
    await conn.execute(update(conversations).where(conversations.c.id == bindparam("b_id"))
                       .values(last_seq=bindparam("b_seq")),
                       [{"b_id": conversation, "b_seq": seq} for conversation, seq in bumped.items()])
    for index, row in zip(placed, rows):
        send = sends[index]
        message = {"id": ids[send.conversation, row["seq"]], "conversation": send.conversation, "seq": row["seq"],
                   "sender": {"id": send.sender_id, "name": send.sender_name}, "as_post": None,
                   "client_msg_id": send.client_msg_id, "type": send.type, "content": send.content,
                   "mentions": [], "reply_to": None, "urgent": False, "created_at": iso(now),
                   "edited_at": None, "recalled": False}
        results[index] = JobResult(ack(message), [Outgoing("message.new", {"message": message},
                                                           people[send.conversation])])
    return results
